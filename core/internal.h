/*
 * internal.h - helpers shared inside liblade, not part of the public API.
 * Names here are lade__<module>_<verb>.
 */
#ifndef LADE_INTERNAL_H
#define LADE_INTERNAL_H

#include "lade/common.h"
#include "lade/sys/util.h"
#include "lade/target.h"
#include <stdarg.h>

/* Caps on everything read from outside, by name (STYLE.md rule 6). */
#define LADE_MANIFEST_MAX ((size_t)4 * 1024 * 1024)
#define LADE_ERROR_BODY_MAX ((size_t)64 * 1024)
#define LADE_INDEX_JSON_MAX ((size_t)64 * 1024 * 1024)
#define LADE_SMALL_BLOB_MAX ((size_t)4 * 1024 * 1024)

/* Set the thread's error and return code, so callers can `return lade__error(...)`. */
int lade__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As lade__error, with the HTTP status and registry code of a registry reply. */
int lade__error_http(int code, long status, const char *registry_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * What the referrers side needs of a manifest or index (desc and its bytes):
 * into entry (may be NULL), the descriptor a referrers index lists for it --
 * desc's media type, digest and size, the artifactType (the manifest's,
 * else its config's media type) and all its annotations; into *subject
 * (subject may be NULL), a copy of its subject, or NULL when it has none.
 * Parsed as an index when desc says one, else as a manifest. Caller
 * disposes entry and frees *subject (lade_descriptor_dispose, free).
 */
int lade__referrer_facts(const lade_descriptor *desc, const char *data, size_t len, lade_descriptor *entry,
			 lade_descriptor **subject);

/* Sleep ms milliseconds, whatever signals come (registry_engine.c). */
void lade__sleep_ms(long ms);

/*
 * Content handed on as it streams, hashed on the way (lade_target_fetch_stream):
 * feed refuses bytes past the descriptor's size, finish checks size and digest.
 */
typedef struct lade__checked_stream {
	const lade_descriptor *desc; /* borrowed */
	struct lade_hasher *hasher;
	lade_stream_cb cb;
	void *payload;
	int stopped; /* what cb answered when it stopped the stream, else 0 */
} lade__checked_stream;

int lade__checked_stream_init(lade__checked_stream *cs, const lade_descriptor *desc, lade_stream_cb cb, void *payload);
int lade__checked_stream_feed(lade__checked_stream *cs, const void *data, size_t len);
int lade__checked_stream_finish(lade__checked_stream *cs);
void lade__checked_stream_dispose(lade__checked_stream *cs);

#endif

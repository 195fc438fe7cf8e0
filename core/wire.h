/*
 * wire.h - the parsers of what a registry sends besides manifests: the
 * headers lade reads (Link, Retry-After, Content-Range, an upload's Range)
 * and the small JSON bodies (error body, token reply). Pure functions of
 * their input, so each has a fuzz target (tests/fuzz/) and registry.c
 * calls them without any transfer state. Also what a credential helper
 * answers, parsed for auth.c. Internal to liblade.
 */
#ifndef LADE_WIRE_H
#define LADE_WIRE_H

#include "lade/auth.h"
#include "lade/common.h"
#include <stddef.h>
#include <stdint.h>

/*
 * The next page a Link header names (RFC 8288, rel="next"), made absolute
 * on base_url ("scheme://host[:port]"): 1 with out set, 0 when there is
 * none, LADE_EPROTOCOL when it names another origin or is too long.
 */
int lade__link_next(const char *base_url, const char *link, char *out, size_t outlen);

/*
 * Retry-After as seconds to wait: delta-seconds or an HTTP date (read by
 * libcurl, which must be loaded). -1 when it is neither.
 */
long lade__retry_after_parse(const char *value);

/* The first byte of a 206 reply's Content-Range ("bytes 100-199/200"); LADE_EPROTOCOL when malformed. */
int lade__content_range_start(const char *value, uint64_t *start);

/*
 * Where an interrupted upload goes on, from its status reply's Range
 * ("0-<last>" or "bytes=0-<last>") for a blob of size bytes: *offset is
 * last + 1, or 0 when the Range is absent, malformed, or out of bounds
 * (distribution writes 0-0 for nothing at all, so only last > 0 counts).
 */
void lade__upload_range_next(const char *value, uint64_t size, uint64_t *offset);

/*
 * The token in a token service's reply ("access_token", else "token"), and
 * its lifetime in seconds ("expires_in", kept only between min_lifetime
 * and a billion; else min_lifetime). The reply's copies of the token are
 * wiped. LADE_EPROTOCOL when there is no token, LADE_ETOOLARGE when it
 * does not fit in token.
 */
int lade__token_reply_parse(const char *data, size_t len, size_t max, char *token, size_t tokenlen, long min_lifetime,
			    long *lifetime);

/*
 * A registry error body's first error code and message (the distribution
 * spec's {"errors":[{"code","message"}]}), or, when it is not that, one
 * line of the raw body. Control characters become '?', so a registry
 * cannot write escape sequences to the user's terminal. Never fails.
 */
void lade__error_body_parse(const char *body, size_t len, char *code, size_t codelen, char *msg, size_t msglen);

/*
 * A credential helper's "get" reply ({"Username","Secret"}; "<token>" as the
 * user name means an identity token) into out, which the caller disposes;
 * name is the helper's, for messages. LADE_EAUTH when it is not that JSON.
 */
int lade__helper_reply_parse(const char *data, size_t len, const char *name, lade_credential *out);

#endif

/*
 * layout_internal.h - the OCI image layout target's two halves, shared
 * between layout.c (blobs: the content-addressed store, opening and
 * creating a layout) and layout_index.c (index.json: what is tagged,
 * resolving, tagging, untagging, forgetting a manifest), and layout_pipes.c
 * (blobs to and from sockets, several at once, for a copy).
 */
#ifndef LADE_LAYOUT_INTERNAL_H
#define LADE_LAYOUT_INTERNAL_H

#include "internal.h"
#include "fsutil.h"
#include "json.h"
#include "lade/layout.h"
#include "lade/sys/target.h"

#include <limits.h>

typedef struct layout {
	lade_target base;
	char root[PATH_MAX];
} layout;

/*
 * index.json, read as text and walked one entry at a time (json.h's
 * split), so 200,000 tags cost their text, not a cJSON tree of hundreds of
 * megabytes. A tag rewrites the text: every other entry is copied as it
 * was, byte for byte.
 */
typedef struct index_text {
	char path[PATH_MAX];
	lade_buf data;
	lade__json_split sp;
} index_text;

/* blobs/<algorithm>/<encoded> of d, under the layout's root. */
int lade__layout_blob_path(const layout *l, const lade_descriptor *d, char *out, size_t outlen);
/* An exclusive lock on the layout folder itself (flock), held while index.json changes. */
int lade__layout_lock(const layout *l, int *fd_out);
void lade__layout_unlock(int fd);
/* index.json read as text and split; dispose after. */
int lade__layout_load_index(const layout *l, index_text *ix);
void lade__layout_index_dispose(index_text *ix);
/* An index.json entry's tag (org.opencontainers.image.ref.name), or NULL; its digest, or "". */
const char *lade__layout_entry_ref_name(const cJSON *entry);
const char *lade__layout_entry_digest(const cJSON *entry);

/* The target operations, by half. */
int lade__layout_exists(lade_target *t, const lade_descriptor *desc, int *found);
int lade__layout_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out);
int lade__layout_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len);
int lade__layout_resolve(lade_target *t, const char *reference, lade_descriptor *out);
int lade__layout_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len, const char *tag);
int lade__layout_list_tags(lade_target *t, lade_tag_cb cb, void *payload);
int lade__layout_untag(lade_target *t, const char *tag);
int lade__layout_referrers(lade_target *t, const lade_descriptor *subject, const char *artifact_type,
			   lade_descriptor_cb cb, void *payload);
/* The layout's side of a copy through sockets (layout_pipes.c). */
int lade__layout_fetch_pipes(lade_target *t, lade_pipe_job *jobs, size_t count);
int lade__layout_push_pipes(lade_target *t, lade_pipe_job *jobs, size_t count);
/* A sink for desc: a temporary in ingest/, renamed into blobs/ on commit. */
int lade__layout_ingest(layout *l, const lade_descriptor *desc, lade__sink *sink);
/* Drop every index.json entry of desc's digest, tagged or not; *gone counts them. */
int lade__layout_forget(layout *l, const lade_descriptor *desc, size_t *gone);

#endif

/*
 * lade/sys/target.h - for implementers of a content store: the operations
 * a target provides and the struct it embeds. Code that only uses targets
 * includes lade/target.h, which keeps lade_target opaque; this is the
 * libgit2-style "sys" layer for those who add a backend (an in-memory
 * store, a cache, another protocol). docs/custom_target.c is a whole one.
 *
 * What a target promises (lade/target.h): blobs stream and are verified
 * before they count as stored; manifests are routed by media type
 * (lade_mediatype_is_manifest); one thread at a time.
 *
 * Ownership: the ops table is static storage, the implementer's; the
 * target struct is the implementer's allocation, released by ops->free.
 */
#ifndef LADE_SYS_TARGET_H
#define LADE_SYS_TARGET_H

#include "lade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADE_TARGET_OPS_VERSION 3

/*
 * The operations. Every function returns 0 or a negative lade_error_code
 * with the message set (lade_error_set). Only free is required: an
 * operation left NULL makes its dispatcher fail with LADE_EUNSUPPORTED.
 */
typedef struct lade_target_ops {
	unsigned int version; /* LADE_TARGET_OPS_VERSION */
	/* Is the content there? *found = 1 or 0. */
	int (*exists)(lade_target *t, const lade_descriptor *desc, int *found);
	/* The size of a blob known only by digest. LADE_ENOTFOUND when absent. */
	int (*blob_size)(lade_target *t, const lade_digest *digest, uint64_t *size);
	/* Read small content (manifests, configs) into out, capped at max, verified. */
	int (*fetch_bytes)(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out);
	/* Fetch blobs to files: several at once where the target can. Returns the first job error. */
	int (*fetch_files)(lade_target *t, lade_blob_job *jobs, size_t count);
	/* Store small content from memory (verified against desc). */
	int (*push_bytes)(lade_target *t, const lade_descriptor *desc, const void *data, size_t len);
	/* Store blobs from files, skipping what is there. Returns the first job error. */
	int (*push_files)(lade_target *t, lade_blob_job *jobs, size_t count);
	/*
	 * Store a blob read from fd to its end, size unknown beforehand (standard
	 * input); name is for messages. desc->media_type is the caller's; its
	 * digest and size are filled in. Not retried: a stream cannot be read twice.
	 * When desc already has a digest and a size (a copy from another target,
	 * verified on the reading side), the content may be sent as it is read
	 * without hashing it again; a store that checks digests still checks.
	 */
	int (*push_stream)(lade_target *t, int fd, const char *name, lade_descriptor *desc);
	/*
	 * Optional: a manifest by tag or digest in one request, its exact bytes
	 * into bytes (capped at max) and its descriptor (digest computed from
	 * the bytes, size, media type) into *desc. Without it the dispatcher
	 * resolves, then fetches.
	 */
	int (*fetch_manifest)(lade_target *t, const char *reference, size_t max, lade_descriptor *desc,
			      lade_buf *bytes);
	/* Resolve a tag or digest to the descriptor of a manifest. Caller disposes *out. */
	int (*resolve)(lade_target *t, const char *reference, lade_descriptor *out);
	/*
	 * Point tag at a manifest. With its bytes (data, len), the manifest is
	 * stored too; with data NULL it must be stored already. A NULL or empty
	 * tag records the manifest untagged where the target keeps such a list.
	 */
	int (*tag)(lade_target *t, const lade_descriptor *desc, const void *data, size_t len, const char *tag);
	/* Call cb for every tag, in the target's order. */
	int (*list_tags)(lade_target *t, lade_tag_cb cb, void *payload);
	/* Release the target and what it owns. Required. */
	void (*free)(lade_target *t);
	/* version 2: what copy, delete and discover need (lade/target.h says what each does) */
	int (*fetch_stream)(lade_target *t, const lade_descriptor *desc, lade_stream_cb cb, void *payload);
	int (*mount)(lade_target *t, const lade_descriptor *desc, const char *from_repository, int *mounted);
	int (*delete_content)(lade_target *t, const lade_descriptor *desc);
	int (*untag)(lade_target *t, const char *tag);
	int (*referrers)(lade_target *t, const lade_descriptor *subject, const char *artifact_type,
			 lade_descriptor_cb cb, void *payload);
	/* version 3: several blobs through sockets at once (lade/target.h); optional */
	int (*fetch_pipes)(lade_target *t, lade_pipe_job *jobs, size_t count);
	int (*push_pipes)(lade_target *t, lade_pipe_job *jobs, size_t count);
} lade_target_ops;

/* Implementations embed this as their first member and set it with lade_target_init. */
struct lade_target {
	const lade_target_ops *ops;
	const char *kind;          /* "oci-layout", "registry", ...; static storage */
	lade_progress_cb progress; /* optional; set through lade_target_set_progress */
	void *progress_payload;
};

/*
 * Set up the embedded struct: ops (static storage, version checked, free
 * required) and kind (static storage, for messages). Returns 0 or
 * LADE_EINVALID.
 */
LADE_EXTERN int lade_target_init(lade_target *t, const lade_target_ops *ops, const char *kind);

#ifdef __cplusplus
}
#endif
#endif

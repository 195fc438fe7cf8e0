/*
 * lade/target.h - the one interface every content store implements: an OCI
 * image layout folder (lade/layout.h) or a registry repository
 * (lade/registry.h). Push, pull and copy are walks over a content graph
 * between two targets, written against this interface only.
 *
 * Invariants:
 *  - Blobs stream: fetch_files and push_files move content between a target
 *    and local files without holding it in memory, hashing as they go.
 *  - Nothing unverified takes a final name: a fetched file is written to a
 *    temporary file beside its destination and renamed only after its size
 *    and digest match the descriptor.
 *  - Manifests and indexes (lade_mediatype_is_manifest) are routed by
 *    media type; every other descriptor is a blob.
 *  - A target is used from one thread at a time.
 */
#ifndef LADE_TARGET_H
#define LADE_TARGET_H

#include "lade/common.h"
#include "lade/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lade_target lade_target;

/* One blob to move between a target and a local file. */
typedef struct lade_blob_job {
	const lade_descriptor *desc; /* borrowed; what to move */
	const char *path;            /* borrowed; the local file (source on push, destination on fetch) */
	int error;                   /* out: 0 or the job's lade_error_code */
	int skipped;                 /* out: 1 when the target already had the blob (push) */
	uint64_t transferred;        /* out: content bytes actually sent or received */
} lade_blob_job;

/* Called once per tag by list_tags; return non-zero to stop (returned as is). */
typedef int (*lade_tag_cb)(const char *tag, void *payload);

/* Progress of a blob job: bytes so far of desc->size. Called often; keep it cheap. */
typedef void (*lade_progress_cb)(const lade_blob_job *job, uint64_t done, void *payload);

/*
 * The operations. Every function returns 0 or a negative lade_error_code
 * with the message set. Implementations fill all fields except those
 * marked optional.
 */
typedef struct lade_target_ops {
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
	 */
	int (*push_stream)(lade_target *t, int fd, const char *name, lade_descriptor *desc);
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
	/* Release the target. */
	void (*free)(lade_target *t);
} lade_target_ops;

/* Implementations embed this as their first member. */
struct lade_target {
	const lade_target_ops *ops;
	const char *kind;               /* "oci-layout" or "registry" */
	lade_progress_cb progress;      /* optional */
	void *progress_payload;
};

/* Dispatchers: each calls the matching operation. */
LADE_EXTERN int lade_target_exists(lade_target *t, const lade_descriptor *desc, int *found);
LADE_EXTERN int lade_target_blob_size(lade_target *t, const lade_digest *digest, uint64_t *size);
LADE_EXTERN int lade_target_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out);
LADE_EXTERN int lade_target_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count);
LADE_EXTERN int lade_target_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len);
LADE_EXTERN int lade_target_push_files(lade_target *t, lade_blob_job *jobs, size_t count);
LADE_EXTERN int lade_target_push_stream(lade_target *t, int fd, const char *name, lade_descriptor *desc);
LADE_EXTERN int lade_target_resolve(lade_target *t, const char *reference, lade_descriptor *out);
LADE_EXTERN int lade_target_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len,
				const char *tag);
LADE_EXTERN int lade_target_list_tags(lade_target *t, lade_tag_cb cb, void *payload);

/* Set a progress callback for blob jobs (NULL to clear). */
LADE_EXTERN void lade_target_set_progress(lade_target *t, lade_progress_cb cb, void *payload);

/* Release a target; accepts NULL. */
LADE_EXTERN void lade_target_free(lade_target *t);

#ifdef __cplusplus
}
#endif
#endif

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
 *
 * Users of targets see the opaque lade_target and the dispatchers below;
 * a store of your own implements the operations of lade/sys/target.h.
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

/*
 * One blob moved through a socket between two targets, each in its own
 * thread (a copy): one target's fetch_pipes writes the content into fd
 * while the other's push_pipes reads it from the socket's other end.
 */
typedef struct lade_pipe_job {
	const lade_descriptor *desc; /* borrowed; digest and size known */
	int fd;                      /* the caller's stream socket; the target sets its blocking mode */
	int error;                   /* out: 0 or the job's lade_error_code */
	uint64_t transferred;        /* out: content bytes through the socket */
} lade_pipe_job;

/* Called once per tag by list_tags; return non-zero to stop (returned as is). */
typedef int (*lade_tag_cb)(const char *tag, void *payload);

/*
 * Called once per chunk of content by lade_target_fetch_stream, in order.
 * A non-zero return stops the transfer and is returned as is.
 */
typedef int (*lade_stream_cb)(const void *data, size_t len, void *payload);

/* Called once per descriptor by lade_target_referrers; non-zero stops (returned as is). */
typedef int (*lade_descriptor_cb)(const lade_descriptor *desc, void *payload);

/* Progress of a blob job: bytes so far of desc->size. Called often; keep it cheap. */
typedef void (*lade_progress_cb)(const lade_blob_job *job, uint64_t done, void *payload);

/*
 * Dispatchers: each calls the target's operation (lade/sys/target.h says
 * what each does). An operation the target does not have fails with
 * LADE_EUNSUPPORTED and a message naming the target and the operation.
 */
LADE_EXTERN int lade_target_exists(lade_target *t, const lade_descriptor *desc, int *found);
LADE_EXTERN int lade_target_blob_size(lade_target *t, const lade_digest *digest, uint64_t *size);
LADE_EXTERN int lade_target_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out);
LADE_EXTERN int lade_target_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count);
LADE_EXTERN int lade_target_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len);
LADE_EXTERN int lade_target_push_files(lade_target *t, lade_blob_job *jobs, size_t count);
LADE_EXTERN int lade_target_push_stream(lade_target *t, int fd, const char *name, lade_descriptor *desc);
LADE_EXTERN int lade_target_resolve(lade_target *t, const char *reference, lade_descriptor *out);
/*
 * A manifest by tag or digest: its descriptor and exact bytes (at most
 * max), verified; in one request where the target can. Caller disposes
 * *desc.
 */
LADE_EXTERN int lade_target_fetch_manifest(lade_target *t, const char *reference, size_t max, lade_descriptor *desc,
					   lade_buf *bytes);
LADE_EXTERN int lade_target_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len,
				const char *tag);
LADE_EXTERN int lade_target_list_tags(lade_target *t, lade_tag_cb cb, void *payload);
/*
 * Content streamed to cb in chunks as it arrives, nothing kept whole: a
 * copy between targets reads one and writes the other. Verified at the
 * end: LADE_EDIGEST after the last chunk when size or digest is wrong, so
 * what cb received counts only once this returned 0.
 */
LADE_EXTERN int lade_target_fetch_stream(lade_target *t, const lade_descriptor *desc, lade_stream_cb cb, void *payload);
/*
 * Several blobs through sockets at once, the counterpart of each job's fd
 * being read (fetch_pipes) or written (push_pipes) by another target in
 * another thread. Jobs are taken in the order given, up to the target's
 * concurrency at once, and one socket that cannot go on never holds up
 * another: two targets doing this never wait on each other. fetch_pipes
 * writes each job's content and then shuts its socket for writing, so the
 * reader sees the end (early, when the job failed); the content counts only
 * once the call returned 0. push_pipes reads exactly desc->size bytes per
 * job and stores them, verified. The caller closes its sockets after the
 * call, which ends whatever the other side still waits for. A target
 * without these operations serves them one job at a time through
 * fetch_stream and push_stream.
 */
LADE_EXTERN int lade_target_fetch_pipes(lade_target *t, lade_pipe_job *jobs, size_t count);
LADE_EXTERN int lade_target_push_pipes(lade_target *t, lade_pipe_job *jobs, size_t count);

/*
 * Make a blob of another repository on the same store available here
 * without sending it (a registry's cross-repository mount). *mounted is
 * 1, or 0 when the store declined and the caller must copy.
 */
LADE_EXTERN int lade_target_mount(lade_target *t, const lade_descriptor *desc, const char *from_repository,
				  int *mounted);
/*
 * Remove a manifest (by digest: every tag naming it goes too) or a blob.
 * LADE_ENOTFOUND when absent; LADE_EUNSUPPORTED where the store refuses.
 */
LADE_EXTERN int lade_target_delete(lade_target *t, const lade_descriptor *desc);
/* Remove a tag, keeping the manifest. LADE_ENOTFOUND when there is no such tag. */
LADE_EXTERN int lade_target_untag(lade_target *t, const char *tag);
/*
 * The manifests whose subject is subject's digest, one descriptor each
 * (artifactType and annotations as the referrers index lists them);
 * artifact_type, when not NULL, keeps only that type.
 */
LADE_EXTERN int lade_target_referrers(lade_target *t, const lade_descriptor *subject, const char *artifact_type,
				      lade_descriptor_cb cb, void *payload);

/*
 * The tag a registry without the referrers API keeps a subject's
 * referrers index under: "<alg>-<encoded>", the algorithm cut to 32
 * characters and the encoded part to 64, any other character '-'
 * (sha256-<64 hex>). out needs LADE_REF_TAG_MAX bytes.
 */
LADE_EXTERN int lade_referrers_tag(const lade_digest *d, char *out, size_t outlen);

/* The target's kind: "oci-layout", "registry", or what its implementer named it. Static storage. */
LADE_EXTERN const char *lade_target_kind(const lade_target *t);

/* Set a progress callback for blob jobs (NULL to clear). */
LADE_EXTERN void lade_target_set_progress(lade_target *t, lade_progress_cb cb, void *payload);

/* Release a target; accepts NULL. */
LADE_EXTERN void lade_target_free(lade_target *t);

#ifdef __cplusplus
}
#endif
#endif

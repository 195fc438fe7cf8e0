/*
 * lade/copy.h - copy a content graph from one target to another: an
 * artifact or image manifest with its config and layers, an image index
 * with its manifests (or the one for a platform), and with `recursive`
 * the referrers of every node, from a registry or layout to another.
 *
 * Order: children before parents and the tags last, so a reader of the
 * destination never meets a manifest whose content is not all there.
 * Manifests arrive byte for byte (same digests). A blob the destination
 * has is skipped; one another repository of the same registry has is
 * mounted (mount_from). The rest of an index's blobs, of all its
 * manifests, move together, each target's concurrency at once, through
 * sockets from the source's fetch_pipes to the destination's push_pipes
 * (never whole in memory or in a temporary file), hashed on the way: a
 * source that lies about a digest fails the copy before any manifest is
 * written; an upload the destination's link or server broke goes again
 * from the source. What waits to be written is bounded (256 manifests,
 * 8 MiB of them, 4,096 blobs). A copy that stopped is rerun: what arrived
 * is skipped.
 *
 * Ownership: options are borrowed for the call; the result's descriptor is
 * the caller's (lade_copy_result_dispose).
 */
#ifndef LADE_COPY_H
#define LADE_COPY_H

#include "lade/common.h"
#include "lade/manifest.h"
#include "lade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADE_COPY_OPTIONS_VERSION 1

typedef struct lade_copy_options {
	unsigned int version;    /* LADE_COPY_OPTIONS_VERSION */
	const char *const *tags; /* tags at the destination; none: the manifest is stored by digest */
	size_t tag_count;
	const char *platform;   /* an index: copy only its manifest for "os/arch[/variant]", which the tags name */
	int recursive;          /* the referrers of every node too, and theirs */
	const char *mount_from; /* the source's repository, when both are repositories of one registry */
} lade_copy_options;

#define LADE_COPY_OPTIONS_INIT                                                                                         \
	{                                                                                                              \
		.version = LADE_COPY_OPTIONS_VERSION                                                                   \
	}

typedef struct lade_copy_result {
	lade_descriptor root;  /* what was copied (the platform's manifest when one was chosen) */
	size_t manifests;      /* manifests and indexes written */
	size_t blobs_copied;   /* blobs sent */
	size_t blobs_skipped;  /* blobs the destination had */
	size_t blobs_mounted;  /* blobs mounted from mount_from */
	size_t referrers;      /* referrers copied (recursive) */
	uint64_t bytes_copied; /* blob bytes sent */
} lade_copy_result;

/*
 * Copy what reference (tag or digest) names in src to dst. Returns 0, or
 * LADE_ENOTFOUND (the reference, or the platform in an index), LADE_EDIGEST
 * (the source's content is not what its descriptor says), or a target's
 * error. Nothing is tagged unless everything below arrived.
 */
LADE_EXTERN int lade_copy(lade_target *src, lade_target *dst, const char *reference, const lade_copy_options *opts,
			  lade_copy_result *result);

LADE_EXTERN void lade_copy_result_dispose(lade_copy_result *result);

#ifdef __cplusplus
}
#endif
#endif

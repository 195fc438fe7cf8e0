/*
 * lade/graph.h - a walk over the content graph below a descriptor: an
 * index leads to its manifests, a manifest to its config and layers.
 * Pull, copy and discover are visits over this walk; a program of yours
 * can be too (list what an image holds, count its bytes, mirror it).
 *
 * Order: depth-first, a node before its children, children in document
 * order (an index's manifests; a manifest's config, then its layers).
 * Each distinct digest is visited once, even when several parents name it.
 * Memory: one parsed manifest or index per level, at most max_depth
 * levels, plus the digests seen; manifests are fetched capped at 4 MiB
 * and verified. Blobs are never fetched.
 *
 * Ownership: the descriptors a visitor gets are borrowed for the call.
 */
#ifndef LADE_GRAPH_H
#define LADE_GRAPH_H

#include "lade/common.h"
#include "lade/manifest.h"
#include "lade/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A visitor's answer besides 0 (go on): do not go below this node. A negative code stops the walk with it. */
#define LADE_WALK_SKIP 1

/*
 * Called for each node: node is the descriptor, parent the one that named
 * it (NULL for the root), depth 0 for the root.
 */
typedef int (*lade_walk_cb)(const lade_descriptor *node, const lade_descriptor *parent, size_t depth, void *payload);

#define LADE_WALK_OPTIONS_VERSION 1

typedef struct lade_walk_options {
	unsigned int version; /* LADE_WALK_OPTIONS_VERSION */
	size_t max_depth;     /* levels of index below the root; 0: 8 */
} lade_walk_options;

#define LADE_WALK_OPTIONS_INIT                                                                                         \
	{                                                                                                              \
		.version = LADE_WALK_OPTIONS_VERSION                                                                   \
	}

/*
 * Walk the graph below root in target t, calling visit for every node.
 * opts may be NULL. Returns 0, the visitor's negative code, or an error
 * (a manifest that cannot be fetched or read; LADE_ETOOLARGE past
 * max_depth).
 */
LADE_EXTERN int lade_graph_walk(lade_target *t, const lade_descriptor *root, lade_walk_cb visit, void *payload,
				const lade_walk_options *opts);

#ifdef __cplusplus
}
#endif
#endif

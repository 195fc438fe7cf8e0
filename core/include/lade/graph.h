/*
 * lade/graph.h - a walk over the content graph below a descriptor: an
 * index leads to its manifests, a manifest to its config and layers.
 * Pull, copy and discover are visits over this walk; a program of yours
 * can be too (list what an image holds, count its bytes, mirror it).
 *
 * Order: depth-first, a node before its children, children in document
 * order (an index's manifests; a manifest's config, then its layers).
 * Each distinct digest is visited once, even when several parents name it.
 * Memory: one manifest or index per level (its bytes and the parsed
 * document), at most max_depth levels, plus the digests seen; manifests
 * are fetched capped at 4 MiB and verified. Blobs are never fetched.
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
 * A node as a visitor sees it. Everything is borrowed for the call.
 * For a manifest or an index the walk has fetched its content (one request,
 * verified against desc) before calling: bytes are the exact bytes (what a
 * copy writes, so the digest stays), and the parsed document is manifest
 * or index. Blobs are never fetched: bytes is NULL and both are NULL.
 */
typedef struct lade_walk_node {
	const lade_descriptor *desc;   /* the node */
	const lade_descriptor *parent; /* the node that named it; NULL for the root */
	size_t depth;                  /* 0 for the root */
	const char *bytes;             /* manifests and indexes: their content; else NULL */
	size_t size;
	const char *media_type;        /* the document's own media type (sniffed), else desc's */
	const lade_manifest *manifest; /* an image manifest (or the withdrawn artifact manifest), parsed */
	const lade_index *index;       /* an image index or Docker manifest list, parsed */
	/*
	 * One flag per child (an index's manifests; a manifest's config, then
	 * its layers), all 1 when the visitor is called. A visitor that clears
	 * one keeps the walk from that child: pull and copy --platform keep an
	 * index's other platforms from ever being fetched.
	 */
	unsigned char *follow;
	size_t child_count;
} lade_walk_node;

/* Called for each node; answers 0, LADE_WALK_SKIP or a negative code. */
typedef int (*lade_walk_cb)(const lade_walk_node *node, void *payload);

#define LADE_WALK_OPTIONS_VERSION 2

typedef struct lade_walk_options {
	unsigned int version; /* LADE_WALK_OPTIONS_VERSION; 1 is accepted (max_depth only) */
	size_t max_depth;     /* levels of index below the root; 0: 8 */
	/* version 2 */
	/*
	 * Called after a node's children, so the order is children before
	 * parents (a copy writes layers, then the manifest, then the index:
	 * a reader never meets a manifest whose content is not there yet).
	 * Not called for a node whose visit answered LADE_WALK_SKIP. NULL: none.
	 */
	lade_walk_cb leave;
	/*
	 * The root's content when the caller has it already (a pull that
	 * resolved the reference with lade_target_fetch_manifest): checked
	 * against root's digest and size, not fetched again. NULL: fetched.
	 * Borrowed for the walk.
	 */
	const char *root_bytes;
	size_t root_size;
} lade_walk_options;

#define LADE_WALK_OPTIONS_INIT                                                                                         \
	{                                                                                                              \
		.version = LADE_WALK_OPTIONS_VERSION                                                                   \
	}

/*
 * Walk the graph below root in target t, calling visit for every node
 * (and opts->leave after its children). opts may be NULL. Returns 0, the
 * visitor's negative code, or an error (a manifest that cannot be fetched
 * or read; LADE_ETOOLARGE past max_depth; LADE_EDIGEST when root_bytes
 * are not root's).
 */
LADE_EXTERN int lade_graph_walk(lade_target *t, const lade_descriptor *root, lade_walk_cb visit, void *payload,
				const lade_walk_options *opts);

#ifdef __cplusplus
}
#endif
#endif

/*
 * The content graph walk (lade/graph.h): depth-first, a node before its
 * children, each digest once. Only manifests and indexes are fetched (and
 * verified); their children are read from the parsed document, which is
 * released before the walk goes back up.
 */
#include "internal.h"
#include "lade/graph.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_DEPTH 8

/* The digests visited, in an open-addressing set that doubles. */
typedef struct seen {
	lade_digest *slots;
	unsigned char *used;
	size_t count, cap;
} seen;

static size_t hash_of(const lade_digest *d, size_t cap)
{
	return lade_hash_string(lade_digest_hex(d)) & (cap - 1);
}

/* 1 when d was new (and is now remembered), 0 when seen before, or an error. */
static int remember(seen *s, const lade_digest *d)
{
	size_t i;
	if ((s->count + 1) * 2 > s->cap) {
		seen bigger = {NULL, NULL, 0, s->cap ? s->cap * 2 : 64};
		if (!(bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots))) ||
		    !(bigger.used = calloc(bigger.cap, 1))) {
			free(bigger.slots);
			return lade_error_set_oom();
		}
		for (i = 0; i < s->cap; i++)
			if (s->used[i]) {
				size_t j = hash_of(&s->slots[i], bigger.cap);
				while (bigger.used[j])
					j = (j + 1) & (bigger.cap - 1);
				bigger.slots[j] = s->slots[i];
				bigger.used[j] = 1;
				bigger.count++;
			}
		free(s->slots);
		free(s->used);
		*s = bigger;
	}
	for (i = hash_of(d, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (lade_digest_equal(&s->slots[i], d))
			return 0;
	s->slots[i] = *d;
	s->used[i] = 1;
	s->count++;
	return 1;
}

typedef struct walk {
	lade_target *t;
	lade_walk_cb visit;
	void *payload;
	size_t max_depth;
	seen seen;
} walk;

static int visit_node(walk *w, const lade_descriptor *node, const lade_descriptor *parent, size_t depth);

static int visit_children(walk *w, const lade_descriptor *node, size_t depth)
{
	lade_buf bytes;
	char media_type[256];
	size_t i;
	int err;

	if (depth >= w->max_depth)
		return lade__error(LADE_ETOOLARGE, "%s: indexes nest deeper than %zu levels", node->digest.str,
				   w->max_depth);
	lade_buf_init(&bytes, LADE_MANIFEST_LIMIT);
	if ((err = lade_target_fetch_bytes(w->t, node, LADE_MANIFEST_LIMIT, &bytes)) < 0 ||
	    (err = lade_manifest_sniff_media_type(bytes.ptr, bytes.size, media_type, sizeof(media_type))) < 0)
		goto done;
	if (!strcmp(media_type, LADE_MEDIATYPE_INDEX) || !strcmp(media_type, LADE_MEDIATYPE_DOCKER_LIST)) {
		lade_index idx;
		if ((err = lade_index_parse(&idx, bytes.ptr, bytes.size)) < 0)
			goto done;
		lade_buf_dispose(&bytes); /* parsed: the text is not needed below */
		for (i = 0; i < idx.manifest_count && err == 0; i++)
			err = visit_node(w, &idx.manifests[i], node, depth + 1);
		lade_index_dispose(&idx);
	} else {
		lade_manifest m;
		if ((err = lade_manifest_parse(&m, bytes.ptr, bytes.size)) < 0)
			goto done;
		lade_buf_dispose(&bytes);
		err = visit_node(w, &m.config, node, depth + 1);
		for (i = 0; i < m.layer_count && err == 0; i++)
			err = visit_node(w, &m.layers[i], node, depth + 1);
		lade_manifest_dispose(&m);
	}
done:
	lade_buf_dispose(&bytes);
	return err;
}

static int visit_node(walk *w, const lade_descriptor *node, const lade_descriptor *parent, size_t depth)
{
	int err;
	if ((err = remember(&w->seen, &node->digest)) <= 0)
		return err; /* seen before (0) or out of memory */
	if ((err = w->visit(node, parent, depth, w->payload)) < 0)
		return err;
	if (err == LADE_WALK_SKIP || !lade_mediatype_is_manifest(node->media_type))
		return 0;
	return visit_children(w, node, depth);
}

int lade_graph_walk(lade_target *t, const lade_descriptor *root, lade_walk_cb visit, void *payload,
		    const lade_walk_options *opts)
{
	walk w;
	int err;
	if (opts && (opts->version < 1 || opts->version > LADE_WALK_OPTIONS_VERSION))
		return lade__error(LADE_EINVALID, "walk options version %u is not 1 to %d", opts->version,
				   LADE_WALK_OPTIONS_VERSION);
	memset(&w, 0, sizeof(w));
	w.t = t;
	w.visit = visit;
	w.payload = payload;
	w.max_depth = opts && opts->max_depth ? opts->max_depth : DEFAULT_MAX_DEPTH;
	err = visit_node(&w, root, NULL, 0);
	free(w.seen.slots);
	free(w.seen.used);
	return err;
}

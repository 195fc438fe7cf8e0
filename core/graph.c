/*
 * The content graph walk (lade/graph.h): depth-first, a node before its
 * children (and the leave callback after them), each digest once. Only
 * manifests and indexes are fetched (and verified); a node's bytes and
 * parsed document live while its children are walked, and are released
 * before the walk goes back up.
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
	lade_walk_cb visit, leave;
	void *payload;
	size_t max_depth;
	const char *root_bytes;
	size_t root_size;
	seen seen;
} walk;

/* A manifest's or index's content: the bytes, fetched or handed in, and the parsed document. */
typedef struct content {
	lade_buf fetched;
	char media_type[256];
	lade_manifest manifest;
	lade_index index;
	int is_index, parsed;
} content;

static int read_content(walk *w, const lade_descriptor *desc, size_t depth, lade_walk_node *node, content *c)
{
	int err;
	lade_buf_init(&c->fetched, LADE_MANIFEST_LIMIT);
	if (depth == 0 && w->root_bytes) {
		lade_digest got;
		if ((err = lade_digest_buffer(&got, desc->digest.alg, w->root_bytes, w->root_size)) < 0)
			return err;
		if (w->root_size != desc->size || !lade_digest_equal(&got, &desc->digest))
			return lade__error(LADE_EDIGEST, "the root content handed to the walk is not %s",
					   desc->digest.str);
		node->bytes = w->root_bytes;
		node->size = w->root_size;
	} else {
		if ((err = lade_target_fetch_bytes(w->t, desc, LADE_MANIFEST_LIMIT, &c->fetched)) < 0)
			return err;
		node->bytes = c->fetched.ptr;
		node->size = c->fetched.size;
	}
	if ((err = lade_manifest_sniff_media_type(node->bytes, node->size, c->media_type, sizeof(c->media_type))) < 0)
		return err;
	node->media_type = c->media_type;
	c->is_index = !strcmp(c->media_type, LADE_MEDIATYPE_INDEX) ||
		      !strcmp(c->media_type, LADE_MEDIATYPE_DOCKER_LIST);
	if (c->is_index) {
		if ((err = lade_index_parse(&c->index, node->bytes, node->size)) < 0)
			return err;
		node->index = &c->index;
		node->child_count = c->index.manifest_count;
	} else {
		if ((err = lade_manifest_parse(&c->manifest, node->bytes, node->size)) < 0)
			return err;
		node->manifest = &c->manifest;
		node->child_count = 1 + c->manifest.layer_count;
	}
	c->parsed = 1;
	if (!(node->follow = malloc(node->child_count ? node->child_count : 1)))
		return lade_error_set_oom();
	memset(node->follow, 1, node->child_count);
	return 0;
}

static void content_dispose(content *c, lade_walk_node *node)
{
	if (c->parsed && c->is_index)
		lade_index_dispose(&c->index);
	else if (c->parsed)
		lade_manifest_dispose(&c->manifest);
	lade_buf_dispose(&c->fetched);
	free(node->follow);
}

static const lade_descriptor *child_of(const lade_walk_node *node, size_t i)
{
	if (node->index)
		return &node->index->manifests[i];
	return i == 0 ? &node->manifest->config : &node->manifest->layers[i - 1];
}

static int visit_node(walk *w, const lade_descriptor *desc, const lade_descriptor *parent, size_t depth)
{
	lade_walk_node node;
	content c;
	size_t i;
	int err, manifest = lade_mediatype_is_manifest(desc->media_type);

	if ((err = remember(&w->seen, &desc->digest)) <= 0)
		return err; /* seen before (0) or out of memory */
	memset(&node, 0, sizeof(node));
	memset(&c, 0, sizeof(c));
	node.desc = desc;
	node.parent = parent;
	node.depth = depth;
	node.media_type = desc->media_type;
	if (manifest && depth >= w->max_depth)
		return lade__error(LADE_ETOOLARGE, "%s: indexes nest deeper than %zu levels", desc->digest.str,
				   w->max_depth);
	if (manifest && (err = read_content(w, desc, depth, &node, &c)) < 0)
		goto done;
	if ((err = w->visit(&node, w->payload)) < 0 || err == LADE_WALK_SKIP) {
		err = err < 0 ? err : 0;
		goto done;
	}
	for (i = 0; i < node.child_count && err == 0; i++)
		if (node.follow[i])
			err = visit_node(w, child_of(&node, i), desc, depth + 1);
	if (err == 0 && w->leave && (err = w->leave(&node, w->payload)) > 0)
		err = 0;
done:
	content_dispose(&c, &node);
	return err;
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
	if (opts && opts->version >= 2) {
		w.leave = opts->leave;
		w.root_bytes = opts->root_bytes;
		w.root_size = opts->root_size;
	}
	err = visit_node(&w, root, NULL, 0);
	free(w.seen.slots);
	free(w.seen.used);
	return err;
}

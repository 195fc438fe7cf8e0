/* Unit tests: the content graph walk over a real layout (index -> manifests -> config and layers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lade/digest.h"
#include "lade/graph.h"
#include "lade/layout.h"

typedef struct fixture {
	char root[64];
	lade_target *t;
	lade_descriptor layers[3], config, manifests[2], index;
} fixture;

/* Store bytes as a descriptor of media type mt; d is filled. */
static void put(lade_target *t, lade_descriptor *d, const char *mt, const char *data, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->media_type = strdup(mt);
	d->size = len;
	assert_int_equal(lade_digest_buffer(&d->digest, LADE_DIGEST_SHA256, data, len), 0);
	assert_int_equal(lade_target_push_bytes(t, d, data, len), 0);
}

static void put_manifest(lade_target *t, lade_descriptor *out, const lade_descriptor *config,
			 const lade_descriptor *layers, size_t n)
{
	lade_manifest m;
	lade_buf b;
	size_t i;
	memset(&m, 0, sizeof(m));
	m.schema_version = 2;
	m.media_type = strdup(LADE_MEDIATYPE_MANIFEST);
	assert_int_equal(lade_descriptor_copy(&m.config, config), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(lade_manifest_add_layer(&m, &layers[i]), 0);
	lade_buf_init(&b, LADE_MANIFEST_LIMIT);
	assert_int_equal(lade_manifest_encode(&b, &m), 0);
	put(t, out, LADE_MEDIATYPE_MANIFEST, b.ptr, b.size);
	lade_buf_dispose(&b);
	lade_manifest_dispose(&m);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	lade_index idx;
	lade_buf b;
	strcpy(f->root, "/tmp/lade-graph-XXXXXX");
	if (!mkdtemp(f->root) || lade_layout_open(&f->t, f->root, 1) != 0)
		return -1;
	put(f->t, &f->config, "application/vnd.oci.image.config.v1+json", "{\"os\":\"linux\"}", 14);
	put(f->t, &f->layers[0], "text/plain", "one", 3);
	put(f->t, &f->layers[1], "text/plain", "two", 3);
	put(f->t, &f->layers[2], "text/plain", "three", 5);
	/* two manifests sharing the config and layer "two" */
	put_manifest(f->t, &f->manifests[0], &f->config, f->layers, 2);
	put_manifest(f->t, &f->manifests[1], &f->config, f->layers + 1, 2);
	memset(&idx, 0, sizeof(idx));
	idx.schema_version = 2;
	idx.media_type = strdup(LADE_MEDIATYPE_INDEX);
	idx.manifest_count = 3; /* the first manifest named twice */
	idx.manifests = calloc(3, sizeof(*idx.manifests));
	lade_descriptor_copy(&idx.manifests[0], &f->manifests[0]);
	lade_descriptor_copy(&idx.manifests[1], &f->manifests[1]);
	lade_descriptor_copy(&idx.manifests[2], &f->manifests[0]);
	lade_buf_init(&b, LADE_MANIFEST_LIMIT);
	if (lade_index_encode(&b, &idx) != 0)
		return -1;
	put(f->t, &f->index, LADE_MEDIATYPE_INDEX, b.ptr, b.size);
	lade_buf_dispose(&b);
	lade_index_dispose(&idx);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];
	size_t i;
	lade_target_free(f->t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	for (i = 0; i < 3; i++)
		lade_descriptor_dispose(&f->layers[i]);
	lade_descriptor_dispose(&f->config);
	lade_descriptor_dispose(&f->manifests[0]);
	lade_descriptor_dispose(&f->manifests[1]);
	lade_descriptor_dispose(&f->index);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

typedef struct record {
	char seen[16][LADE_DIGEST_STRLEN];
	size_t depth[16];
	size_t count;
	const char *skip; /* answer LADE_WALK_SKIP for this digest */
	int fail_at;      /* answer LADE_EINVALID at this visit (1-based), 0: never */
} record;

static int note(const lade_walk_node *node, void *payload)
{
	record *r = payload;
	assert_true(r->count < 16);
	assert_true(node->depth == 0 ? node->parent == NULL : node->parent != NULL);
	/* manifests and indexes come with their verified bytes and parsed document; blobs without */
	if (lade_mediatype_is_manifest(node->desc->media_type)) {
		lade_digest d;
		assert_non_null(node->bytes);
		assert_int_equal(lade_digest_buffer(&d, LADE_DIGEST_SHA256, node->bytes, node->size), 0);
		assert_string_equal(d.str, node->desc->digest.str);
		assert_true((node->manifest != NULL) != (node->index != NULL));
		assert_int_equal(node->child_count,
				 node->index ? node->index->manifest_count : 1 + node->manifest->layer_count);
	} else {
		assert_null(node->bytes);
		assert_int_equal(node->child_count, 0);
	}
	strcpy(r->seen[r->count], node->desc->digest.str);
	r->depth[r->count++] = node->depth;
	if (r->fail_at && (int)r->count == r->fail_at)
		return LADE_EINVALID;
	return r->skip && !strcmp(r->skip, node->desc->digest.str) ? LADE_WALK_SKIP : 0;
}

static void test_graph_walk__depth_first_each_once(void **state)
{
	fixture *f = *state;
	record r = {0};
	const lade_descriptor *want[] = {&f->index,     &f->manifests[0], &f->config,   &f->layers[0],
					 &f->layers[1], &f->manifests[1], &f->layers[2]};
	const size_t depth[] = {0, 1, 2, 2, 2, 1, 2};
	size_t i;
	assert_int_equal(lade_graph_walk(f->t, &f->index, note, &r, NULL), 0);
	assert_int_equal(r.count, 7);
	for (i = 0; i < 7; i++) {
		assert_string_equal(r.seen[i], want[i]->digest.str);
		assert_int_equal(r.depth[i], depth[i]);
	}
}

static void test_graph_walk__skip_and_stop(void **state)
{
	fixture *f = *state;
	record r = {0};
	lade_walk_options opts = LADE_WALK_OPTIONS_INIT;
	r.skip = f->manifests[0].digest.str;
	assert_int_equal(lade_graph_walk(f->t, &f->index, note, &r, NULL), 0);
	/* index, manifest 0 (not entered), manifest 1, its config and its two layers */
	assert_int_equal(r.count, 6);
	memset(&r, 0, sizeof(r));
	r.fail_at = 3;
	assert_int_equal(lade_graph_walk(f->t, &f->index, note, &r, NULL), LADE_EINVALID);
	assert_int_equal(r.count, 3);
	memset(&r, 0, sizeof(r));
	opts.max_depth = 1; /* the index may be entered, its manifests not */
	assert_int_equal(lade_graph_walk(f->t, &f->index, note, &r, &opts), LADE_ETOOLARGE);
	opts.version = 99;
	assert_int_equal(lade_graph_walk(f->t, &f->index, note, &r, &opts), LADE_EINVALID);
}

static void test_graph_walk__missing_manifest(void **state)
{
	fixture *f = *state;
	record r = {0};
	lade_descriptor ghost;
	memset(&ghost, 0, sizeof(ghost));
	ghost.media_type = LADE_MEDIATYPE_MANIFEST;
	ghost.size = 5;
	assert_int_equal(lade_digest_buffer(&ghost.digest, LADE_DIGEST_SHA256, "ghost", 5), 0);
	assert_int_equal(lade_graph_walk(f->t, &ghost, note, &r, NULL), LADE_ENOTFOUND);
	assert_int_equal(r.count, 0); /* a manifest is read before it is visited */
}

/* An index visitor that follows only the index's second manifest. */
static int only_second(const lade_walk_node *node, void *payload)
{
	size_t i;
	if (node->index)
		for (i = 0; i < node->child_count; i++)
			node->follow[i] = i == 1;
	return note(node, payload);
}

static void test_graph_walk__follow_prunes_before_fetching(void **state)
{
	fixture *f = *state;
	record r = {0};
	assert_int_equal(lade_graph_walk(f->t, &f->index, only_second, &r, NULL), 0);
	/* index, manifest 1, its config and its two layers: manifest 0 never fetched nor visited */
	assert_int_equal(r.count, 5);
	assert_string_equal(r.seen[1], f->manifests[1].digest.str);
}

static int left(const lade_walk_node *node, void *payload)
{
	record *r = payload;
	strcpy(r->seen[r->count], node->desc->digest.str);
	r->depth[r->count++] = node->depth;
	return 0;
}

static int quiet(const lade_walk_node *node, void *payload)
{
	(void)node;
	(void)payload;
	return 0;
}

static void test_graph_walk__leave_is_children_first(void **state)
{
	fixture *f = *state;
	record r = {0};
	lade_walk_options opts = LADE_WALK_OPTIONS_INIT;
	const lade_descriptor *want[] = {&f->config,    &f->layers[0],    &f->layers[1], &f->manifests[0],
					 &f->layers[2], &f->manifests[1], &f->index};
	size_t i;
	opts.leave = left;
	assert_int_equal(lade_graph_walk(f->t, &f->index, quiet, &r, &opts), 0);
	assert_int_equal(r.count, 7);
	for (i = 0; i < 7; i++)
		assert_string_equal(r.seen[i], want[i]->digest.str);
}

static void test_graph_walk__root_bytes_in_hand(void **state)
{
	fixture *f = *state;
	record r = {0};
	lade_walk_options opts = LADE_WALK_OPTIONS_INIT;
	lade_buf b;
	lade_buf_init(&b, LADE_MANIFEST_LIMIT);
	assert_int_equal(lade_target_fetch_bytes(f->t, &f->index, LADE_MANIFEST_LIMIT, &b), 0);
	opts.root_bytes = b.ptr;
	opts.root_size = b.size;
	assert_int_equal(lade_graph_walk(f->t, &f->index, note, &r, &opts), 0);
	assert_int_equal(r.count, 7);
	/* bytes that are not the root's are refused before anything is visited */
	memset(&r, 0, sizeof(r));
	b.ptr[b.size - 1] = ' ';
	assert_int_equal(lade_graph_walk(f->t, &f->index, note, &r, &opts), LADE_EDIGEST);
	assert_int_equal(r.count, 0);
	/* version 1 options (max_depth alone) are still taken */
	opts.version = 1;
	assert_int_equal(lade_graph_walk(f->t, &f->index, note, &r, &opts), 0);
	lade_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_graph_walk__depth_first_each_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_graph_walk__skip_and_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_graph_walk__missing_manifest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_graph_walk__follow_prunes_before_fetching, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_graph_walk__leave_is_children_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_graph_walk__root_bytes_in_hand, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

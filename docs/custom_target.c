/*
 * custom_target.c - a content store of your own: a toy in-memory target,
 * written against lade/sys/target.h, that lade_push writes into and
 * lade_pull reads from like any layout or registry. Build against an
 * installed lade:
 *
 *   cc custom_target.c $(pkg-config --cflags --libs lade) -o custom_target
 *   ./custom_target FILE OUT_DIR
 *
 * It keeps every blob in memory, so it suits small content only; a real
 * backend would stream (lade_blob_job names files, not buffers). What it
 * must honour, like every target: nothing counts as stored until its size
 * and digest match the descriptor, and errors are reported with
 * lade_error_set.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <lade/lade.h>
#include <lade/sys/target.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct blob {
	lade_descriptor desc; /* owned copy */
	char *data;
	size_t len;
	struct blob *next;
} blob;

typedef struct tag {
	char *name;
	lade_digest digest;
	struct tag *next;
} tag;

typedef struct memory {
	lade_target base; /* first: the dispatchers see a lade_target */
	blob *blobs;
	tag *tags;
} memory;

static blob *find(memory *m, const lade_digest *d)
{
	blob *b;
	for (b = m->blobs; b; b = b->next)
		if (lade_digest_equal(&b->desc.digest, d))
			return b;
	return NULL;
}

static int mem_exists(lade_target *t, const lade_descriptor *desc, int *found)
{
	*found = find((memory *)t, &desc->digest) != NULL;
	return 0;
}

/* Store data as desc says, once its size and digest match. */
static int store(memory *m, const lade_descriptor *desc, const void *data, size_t len)
{
	lade_digest got;
	blob *b;
	int err;
	if (find(m, &desc->digest))
		return 0;
	if (len != desc->size)
		return lade_error_set(LADE_EDIGEST, "%s: %zu bytes, not %llu", desc->digest.str, len,
				      (unsigned long long)desc->size);
	if ((err = lade_digest_buffer(&got, desc->digest.alg, data, len)) < 0)
		return err;
	if (!lade_digest_equal(&got, &desc->digest))
		return lade_error_set(LADE_EDIGEST, "content is %s, not %s", got.str, desc->digest.str);
	if (!(b = calloc(1, sizeof(*b))) || !(b->data = malloc(len ? len : 1))) {
		free(b);
		return lade_error_set(LADE_ENOMEM, "out of memory");
	}
	if ((err = lade_descriptor_copy(&b->desc, desc)) < 0) {
		free(b->data);
		free(b);
		return err;
	}
	memcpy(b->data, data, len);
	b->len = len;
	b->next = m->blobs;
	m->blobs = b;
	return 0;
}

static int mem_push_bytes(lade_target *t, const lade_descriptor *desc, const void *data, size_t len)
{
	return store((memory *)t, desc, data, len);
}

static int mem_push_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	size_t i;
	for (i = 0; i < count; i++) {
		FILE *f;
		char *data;
		size_t len;
		int err;
		if (find((memory *)t, &jobs[i].desc->digest)) {
			jobs[i].skipped = 1;
			continue;
		}
		if (!(f = fopen(jobs[i].path, "rb")))
			return jobs[i].error = lade_error_set(LADE_EIO, "cannot open '%s'", jobs[i].path);
		data = malloc(jobs[i].desc->size ? jobs[i].desc->size : 1);
		len = data ? fread(data, 1, jobs[i].desc->size, f) : 0;
		fclose(f);
		if (!data)
			return jobs[i].error = lade_error_set(LADE_ENOMEM, "out of memory");
		err = store((memory *)t, jobs[i].desc, data, len);
		free(data);
		if (err < 0)
			return jobs[i].error = err;
		jobs[i].transferred = len;
	}
	return 0;
}

static int mem_fetch_bytes(lade_target *t, const lade_descriptor *desc, size_t max, lade_buf *out)
{
	blob *b = find((memory *)t, &desc->digest);
	if (!b)
		return lade_error_set(LADE_ENOTFOUND, "%s is not in memory", desc->digest.str);
	if (b->len > max)
		return lade_error_set(LADE_ETOOLARGE, "%s is over %zu bytes", desc->digest.str, max);
	return lade_buf_put(out, b->data, b->len);
}

/* Write each blob to a temporary name beside its destination, then rename: nothing partial takes the name. */
static int mem_fetch_files(lade_target *t, lade_blob_job *jobs, size_t count)
{
	size_t i;
	for (i = 0; i < count; i++) {
		blob *b = find((memory *)t, &jobs[i].desc->digest);
		char temp[4096];
		FILE *f;
		if (!b)
			return jobs[i].error = lade_error_set(LADE_ENOTFOUND, "%s is not in memory",
							      jobs[i].desc->digest.str);
		snprintf(temp, sizeof(temp), "%s.part", jobs[i].path);
		if (!(f = fopen(temp, "wb")) || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0 ||
		    rename(temp, jobs[i].path) != 0) {
			remove(temp);
			return jobs[i].error = lade_error_set(LADE_EIO, "cannot write '%s'", jobs[i].path);
		}
		jobs[i].transferred = b->len;
	}
	return 0;
}

static int mem_resolve(lade_target *t, const char *reference, lade_descriptor *out)
{
	memory *m = (memory *)t;
	lade_digest d;
	blob *b;
	tag *g;
	if (lade_digest_parse(&d, reference) < 0) {
		lade_error_clear();
		for (g = m->tags; g && strcmp(g->name, reference) != 0; g = g->next)
			;
		if (!g)
			return lade_error_set(LADE_ENOTFOUND, "no tag '%s'", reference);
		d = g->digest;
	}
	if (!(b = find(m, &d)))
		return lade_error_set(LADE_ENOTFOUND, "no manifest %s", d.str);
	return lade_descriptor_copy(out, &b->desc);
}

static int mem_tag(lade_target *t, const lade_descriptor *desc, const void *data, size_t len, const char *name)
{
	memory *m = (memory *)t;
	tag *g;
	int err;
	if (data && (err = store(m, desc, data, len)) < 0)
		return err;
	if (!name || !*name)
		return 0;
	for (g = m->tags; g && strcmp(g->name, name) != 0; g = g->next)
		;
	if (!g) {
		if (!(g = calloc(1, sizeof(*g))) || !(g->name = strdup(name))) {
			free(g);
			return lade_error_set(LADE_ENOMEM, "out of memory");
		}
		g->next = m->tags;
		m->tags = g;
	}
	g->digest = desc->digest;
	return 0;
}

static int mem_list_tags(lade_target *t, lade_tag_cb cb, void *payload)
{
	tag *g;
	int r;
	for (g = ((memory *)t)->tags; g; g = g->next)
		if ((r = cb(g->name, payload)) != 0)
			return r;
	return 0;
}

static void mem_free(lade_target *t)
{
	memory *m = (memory *)t;
	while (m->blobs) {
		blob *b = m->blobs;
		m->blobs = b->next;
		lade_descriptor_dispose(&b->desc);
		free(b->data);
		free(b);
	}
	while (m->tags) {
		tag *g = m->tags;
		m->tags = g->next;
		free(g->name);
		free(g);
	}
	free(m);
}

/* blob_size and push_stream are left out: lade says so when they are asked for. */
static const lade_target_ops memory_ops = {
    .version = LADE_TARGET_OPS_VERSION,
    .exists = mem_exists,
    .fetch_bytes = mem_fetch_bytes,
    .fetch_files = mem_fetch_files,
    .push_bytes = mem_push_bytes,
    .push_files = mem_push_files,
    .resolve = mem_resolve,
    .tag = mem_tag,
    .list_tags = mem_list_tags,
    .free = mem_free,
};

static int memory_open(lade_target **out)
{
	memory *m = calloc(1, sizeof(*m));
	int err;
	if (!m)
		return lade_error_set(LADE_ENOMEM, "out of memory");
	if ((err = lade_target_init(&m->base, &memory_ops, "memory")) < 0) {
		free(m);
		return err;
	}
	*out = &m->base;
	return 0;
}

static int print_tag(const char *name, void *payload)
{
	(void)payload;
	printf("tag %s\n", name);
	return 0;
}

static int report(const char *what)
{
	const lade_error *e = lade_error_last();
	fprintf(stderr, "custom_target: %s: %s (%s)\n", what, e->message, lade_error_name(e->code));
	return 1;
}

int main(int argc, char **argv)
{
	lade_target *target;
	lade_push_file file = {0};
	lade_push_options push = LADE_PUSH_OPTIONS_INIT;
	lade_pull_options pull = LADE_PULL_OPTIONS_INIT;
	lade_push_result pushed;
	lade_pull_result pulled;
	lade_descriptor stream = {0};
	const char *tags[] = {"v1"};
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: custom_target FILE OUT_DIR\n");
		return 2;
	}
	if (memory_open(&target) < 0)
		return report("cannot open the memory target");
	file.path = argv[1];
	file.media_type = "text/plain";
	push.files = &file;
	push.file_count = 1;
	push.tags = tags;
	push.tag_count = 1;
	if (lade_push(target, &push, &pushed) < 0) {
		report("push failed");
		goto done;
	}
	printf("pushed %s into the %s target\n", pushed.manifest.digest.str, lade_target_kind(target));
	lade_push_result_dispose(&pushed);
	lade_target_list_tags(target, print_tag, NULL);

	pull.output_dir = argv[2];
	if (lade_pull(target, "v1", &pull, &pulled) < 0) {
		report("pull failed");
		goto done;
	}
	printf("pulled %zu file(s) into %s\n", pulled.layer_count, argv[2]);
	lade_pull_result_dispose(&pulled);

	/* An operation the store left out fails cleanly, naming the store and the operation. */
	if (lade_target_push_stream(target, 0, "stdin", &stream) != LADE_EUNSUPPORTED)
		goto done;
	printf("push_stream: %s\n", lade_error_last()->message);
	rc = 0;
done:
	lade_target_free(target);
	return rc;
}

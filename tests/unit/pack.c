/* Unit tests: lade_push and lade_pull through a layout, on the public API alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lade/lade.h"

typedef struct fixture {
	char root[64];
	char a[96], b[96], out[96];
	lade_target *t;
} fixture;

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char layout[96];
	strcpy(f->root, "/tmp/lade-pack-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->a, sizeof(f->a), "%s/a.txt", f->root);
	snprintf(f->b, sizeof(f->b), "%s/b.bin", f->root);
	snprintf(f->out, sizeof(f->out), "%s/out", f->root);
	snprintf(layout, sizeof(layout), "%s/layout", f->root);
	write_text(f->a, "alpha\n");
	write_text(f->b, "beta bytes\n");
	if (lade_layout_open(&f->t, layout, 1) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];
	lade_target_free(f->t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

/* Push a.txt (titled "docs/a.txt") and b.bin as one artifact tagged v1. */
static void push_two(fixture *f, lade_push_result *res)
{
	lade_push_file files[2];
	lade_push_options opts = LADE_PUSH_OPTIONS_INIT;
	const char *tags[] = {"v1"};
	memset(files, 0, sizeof(files));
	files[0].path = f->a;
	files[0].title = "docs/a.txt";
	files[0].media_type = "text/plain";
	files[1].path = f->b;
	files[1].title = "b.bin";
	files[1].media_type = "application/octet-stream";
	opts.files = files;
	opts.file_count = 2;
	opts.tags = tags;
	opts.tag_count = 1;
	opts.created = "2025-01-02T03:04:05Z";
	assert_int_equal(lade_push(f->t, &opts, res), 0);
}

static void test_push__manifest_shape(void **state)
{
	fixture *f = *state;
	lade_push_result res, again;
	lade_manifest m;
	(void)state;
	push_two(f, &res);
	assert_int_equal(lade_manifest_parse(&m, res.manifest_bytes.ptr, res.manifest_bytes.size), 0);
	assert_int_equal(m.layer_count, 2);
	assert_string_equal(m.artifact_type, "application/vnd.unknown.artifact.v1");
	assert_string_equal(m.config.media_type, LADE_MEDIATYPE_EMPTY);
	assert_string_equal(lade_annotations_get(&m.layers[0].annotations, LADE_ANNOTATION_TITLE), "docs/a.txt");
	assert_string_equal(lade_annotations_get(&m.annotations, LADE_ANNOTATION_CREATED), "2025-01-02T03:04:05Z");
	assert_int_equal(res.blobs_pushed, 2); /* the two files */
	lade_manifest_dispose(&m);
	/* The same inputs: the same digest, nothing sent again. */
	push_two(f, &again);
	assert_string_equal(again.manifest.digest.str, res.manifest.digest.str);
	assert_int_equal(again.blobs_pushed, 0);
	lade_push_result_dispose(&again);
	lade_push_result_dispose(&res);
}

static void test_pull__files_selection_and_refusals(void **state)
{
	fixture *f = *state;
	lade_push_result pushed;
	lade_pull_options opts = LADE_PULL_OPTIONS_INIT;
	lade_pull_result res;
	const char *only[] = {"b.bin"};
	char path[160];
	push_two(f, &pushed);
	lade_push_result_dispose(&pushed);
	opts.output_dir = f->out;
	assert_int_equal(lade_pull(f->t, "v1", &opts, &res), 0);
	assert_int_equal(res.layer_count, 2);
	snprintf(path, sizeof(path), "%s/docs/a.txt", f->out);
	assert_int_equal(access(path, F_OK), 0);
	lade_pull_result_dispose(&res);
	/* keep_old_files: the file is there, so the pull is refused and it stays */
	opts.keep_old_files = 1;
	assert_int_equal(lade_pull(f->t, "v1", &opts, &res), LADE_EEXISTS);
	opts.keep_old_files = 0;
	/* a selection by name */
	opts.file_names = only;
	opts.file_name_count = 1;
	assert_int_equal(lade_pull(f->t, "v1", &opts, &res), 0);
	assert_int_equal(res.layers[0].skipped, 1);
	assert_int_equal(res.layers[1].skipped, 0);
	lade_pull_result_dispose(&res);
	/* nothing matched */
	only[0] = "nope";
	assert_int_equal(lade_pull(f->t, "v1", &opts, &res), LADE_ENOTFOUND);
	/* an unknown tag */
	opts.file_names = NULL;
	opts.file_name_count = 0;
	assert_int_equal(lade_pull(f->t, "v9", &opts, &res), LADE_ENOTFOUND);
	/* a newer options version than this library knows */
	opts.version = LADE_PULL_OPTIONS_VERSION + 1;
	assert_int_equal(lade_pull(f->t, "v1", &opts, &res), LADE_EINVALID);
}

static void test_push__unsafe_or_bad_inputs(void **state)
{
	fixture *f = *state;
	lade_push_file file;
	lade_push_options opts = LADE_PUSH_OPTIONS_INIT;
	lade_push_result res;
	memset(&file, 0, sizeof(file));
	file.path = "/nonexistent/file";
	opts.files = &file;
	opts.file_count = 1;
	assert_int_equal(lade_push(f->t, &opts, &res), LADE_ENOTFOUND);
	file.path = f->a;
	file.media_type = "not a media type";
	assert_int_equal(lade_push(f->t, &opts, &res), LADE_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_push__manifest_shape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pull__files_selection_and_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_push__unsafe_or_bad_inputs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

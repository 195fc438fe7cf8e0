#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lade/layout.h"

typedef struct fixture {
	char root[64];
	lade_target *t;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	strcpy(f->root, "/tmp/lade-layout-XXXXXX");
	if (!mkdtemp(f->root) || lade_layout_open(&f->t, f->root, 1) != 0)
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
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void make_desc(lade_descriptor *d, const char *media_type, const char *data)
{
	memset(d, 0, sizeof(*d));
	d->media_type = (char *)media_type;
	d->size = strlen(data);
	lade_digest_buffer(&d->digest, LADE_DIGEST_SHA256, data, strlen(data));
}

static void test_layout_push_bytes__verified_and_idempotent(void **state)
{
	fixture *f = *state;
	lade_descriptor d, wrong;
	lade_buf out;
	int found = 0;
	make_desc(&d, "text/plain", "hello");
	assert_int_equal(lade_target_push_bytes(f->t, &d, "hello", 5), 0);
	assert_int_equal(lade_target_push_bytes(f->t, &d, "hello", 5), 0);
	assert_int_equal(lade_target_exists(f->t, &d, &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(lade_target_fetch_bytes(f->t, &d, 100, &out), 0);
	assert_string_equal(out.ptr, "hello");
	lade_buf_dispose(&out);
	assert_int_equal(lade_target_fetch_bytes(f->t, &d, 3, &out), LADE_ETOOLARGE);

	make_desc(&wrong, "text/plain", "other");
	assert_int_equal(lade_target_push_bytes(f->t, &wrong, "hellx", 5), LADE_EDIGEST);
	assert_int_equal(lade_target_exists(f->t, &wrong, &found), 0);
	assert_int_equal(found, 0);
}

static void test_layout_fetch_files__no_partial_file(void **state)
{
	fixture *f = *state;
	lade_descriptor d;
	lade_blob_job job = {0};
	char dest[128], blob[256];
	FILE *fp;
	DIR *dir;
	struct dirent *e;
	make_desc(&d, "text/plain", "0123456789");
	assert_int_equal(lade_target_push_bytes(f->t, &d, "0123456789", 10), 0);
	/* Corrupt the stored blob: the fetch must fail and leave nothing behind. */
	snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", f->root, lade_digest_hex(&d.digest));
	fp = fopen(blob, "w");
	fputs("0123456788", fp);
	fclose(fp);
	snprintf(dest, sizeof(dest), "%s/out.txt", f->root);
	job.desc = &d;
	job.path = dest;
	assert_int_equal(lade_target_fetch_files(f->t, &job, 1), LADE_EDIGEST);
	assert_int_equal(access(dest, F_OK), -1);
	dir = opendir(f->root);
	while ((e = readdir(dir)))
		assert_null(strstr(e->d_name, "out.txt"));
	closedir(dir);
}

static void test_layout_tag__resolve_and_move(void **state)
{
	fixture *f = *state;
	lade_descriptor a, b, got;
	make_desc(&a, LADE_MEDIATYPE_MANIFEST, "{\"schemaVersion\":2}");
	make_desc(&b, LADE_MEDIATYPE_MANIFEST, "{\"schemaVersion\":2 }");
	assert_int_equal(lade_target_push_bytes(f->t, &a, "{\"schemaVersion\":2}", a.size), 0);
	assert_int_equal(lade_target_push_bytes(f->t, &b, "{\"schemaVersion\":2 }", b.size), 0);
	assert_int_equal(lade_target_tag(f->t, &a, NULL, 0, "v1"), 0);
	assert_int_equal(lade_target_resolve(f->t, "v1", &got), 0);
	assert_true(lade_digest_equal(&got.digest, &a.digest));
	lade_descriptor_dispose(&got);
	assert_int_equal(lade_target_tag(f->t, &b, NULL, 0, "v1"), 0);
	assert_int_equal(lade_target_resolve(f->t, "v1", &got), 0);
	assert_true(lade_digest_equal(&got.digest, &b.digest));
	lade_descriptor_dispose(&got);
	assert_int_equal(lade_target_resolve(f->t, "nope", &got), LADE_ENOTFOUND);
	assert_non_null(strstr(lade_error_last()->message, "tag 'nope' not found"));
	assert_int_equal(lade_target_resolve(f->t, a.digest.str, &got), 0); /* by digest, untagged now */
	assert_int_equal(got.size, a.size);
	lade_descriptor_dispose(&got);
}

static int count_tag(const char *tag, void *payload)
{
	(void)tag;
	(*(int *)payload)++;
	return 0;
}

/* Two processes tagging the same layout at once must not lose an entry. */
static void test_layout_tag__concurrent_writers_keep_all(void **state)
{
	fixture *f = *state;
	lade_descriptor d;
	pid_t pids[2];
	int p, count = 0, status;
	make_desc(&d, LADE_MEDIATYPE_MANIFEST, "{}");
	assert_int_equal(lade_target_push_bytes(f->t, &d, "{}", 2), 0);
	for (p = 0; p < 2; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			lade_target *t;
			char tag[32];
			int i;
			if (lade_layout_open(&t, f->root, 0) != 0)
				_exit(1);
			for (i = 0; i < 50; i++) {
				snprintf(tag, sizeof(tag), "p%d-%d", p, i);
				if (lade_target_tag(t, &d, NULL, 0, tag) != 0)
					_exit(2);
			}
			lade_target_free(t);
			_exit(0);
		}
	}
	for (p = 0; p < 2; p++) {
		waitpid(pids[p], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(lade_target_list_tags(f->t, count_tag, &count), 0);
	assert_int_equal(count, 100);
}

static void test_layout_open__not_a_layout(void **state)
{
	lade_target *t = NULL;
	(void)state;
	assert_int_equal(lade_layout_open(&t, "/tmp", 0), LADE_ENOTFOUND);
	assert_non_null(strstr(lade_error_last()->message, "not an OCI image layout"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_layout_push_bytes__verified_and_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_layout_fetch_files__no_partial_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_layout_tag__resolve_and_move, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_layout_tag__concurrent_writers_keep_all, setup, teardown),
	    cmocka_unit_test(test_layout_open__not_a_layout),
	};
	return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}

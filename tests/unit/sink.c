/* Unit tests: the hashing, writing sink: nothing takes the final name until size and digest match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "lade/digest.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/lade-sink-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void describe(lade_descriptor *d, const char *data, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->media_type = "text/plain";
	d->size = len;
	assert_int_equal(lade_digest_buffer(&d->digest, LADE_DIGEST_SHA256, data, len), 0);
}

/* Only dest, or nothing: no temporary is left in the folder either way. */
static size_t entries(void)
{
	char cmd[128];
	FILE *p;
	size_t n = 0;
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_int_equal(fscanf(p, "%zu", &n), 1);
	pclose(p);
	return n;
}

static void test_sink__commit_after_match(void **state)
{
	lade__sink s;
	lade_descriptor d;
	char dest[128];
	(void)state;
	snprintf(dest, sizeof(dest), "%s/out.txt", dir);
	describe(&d, "hello world", 11);
	assert_int_equal(lade__sink_open(&s, dest, NULL, &d), 0);
	assert_int_equal(lade__sink_write(&s, "hello ", 6), 0);
	assert_int_equal(access(dest, F_OK), -1); /* not before commit */
	assert_int_equal(lade__sink_write(&s, "world", 5), 0);
	assert_int_equal(lade__sink_commit(&s), 0);
	assert_int_equal(access(dest, F_OK), 0);
	assert_int_equal(entries(), 1);
	unlink(dest);
}

static void test_sink__wrong_content_never_lands(void **state)
{
	lade__sink s;
	lade_descriptor d;
	char dest[128];
	(void)state;
	snprintf(dest, sizeof(dest), "%s/out.txt", dir);
	describe(&d, "hello world", 11);
	assert_int_equal(lade__sink_open(&s, dest, NULL, &d), 0);
	assert_int_equal(lade__sink_write(&s, "HELLO WORLD", 11), 0);
	assert_int_equal(lade__sink_commit(&s), LADE_EDIGEST);
	assert_int_equal(access(dest, F_OK), -1);
	assert_int_equal(entries(), 0);
	/* too many bytes fail at once */
	assert_int_equal(lade__sink_open(&s, dest, NULL, &d), 0);
	assert_int_equal(lade__sink_write(&s, "hello world!", 12), LADE_EDIGEST);
	lade__sink_abort(&s);
	/* too few fail at commit */
	assert_int_equal(lade__sink_open(&s, dest, NULL, &d), 0);
	assert_int_equal(lade__sink_write(&s, "hello", 5), 0);
	assert_int_equal(lade__sink_commit(&s), LADE_EDIGEST);
	assert_int_equal(entries(), 0);
}

static void test_sink__restart_and_abort(void **state)
{
	lade__sink s;
	lade_descriptor d;
	char dest[128];
	(void)state;
	snprintf(dest, sizeof(dest), "%s/out.txt", dir);
	describe(&d, "abc", 3);
	assert_int_equal(lade__sink_open(&s, dest, NULL, &d), 0);
	assert_int_equal(lade__sink_write(&s, "xy", 2), 0);
	assert_int_equal(lade__sink_restart(&s), 0); /* a server that ignored Range: start over */
	assert_int_equal(lade__sink_write(&s, "abc", 3), 0);
	assert_int_equal(lade__sink_commit(&s), 0);
	unlink(dest);
	assert_int_equal(lade__sink_open(&s, dest, NULL, &d), 0);
	assert_int_equal(lade__sink_write(&s, "ab", 2), 0);
	lade__sink_abort(&s);
	assert_int_equal(entries(), 0);
}

/* A big blob takes the two-thread path (hashing and writing overlap) with the same guarantees. */
static void test_sink__pipelined_big_blob(void **state)
{
	lade__sink s;
	lade_descriptor d;
	char dest[128];
	size_t len = (size_t)LADE_SINK_PIPE_MIN * 2 + 12345, at;
	char *data = malloc(len);
	(void)state;
	assert_non_null(data);
	for (at = 0; at < len; at++)
		data[at] = (char)(at * 31 + 7);
	snprintf(dest, sizeof(dest), "%s/big.bin", dir);
	describe(&d, data, len);
	assert_int_equal(lade__sink_open(&s, dest, NULL, &d), 0);
	for (at = 0; at < len; at += 65536)
		assert_int_equal(lade__sink_write(&s, data + at, len - at < 65536 ? len - at : 65536), 0);
	assert_int_equal(lade__sink_commit(&s), 0);
	assert_int_equal(entries(), 1);
	unlink(dest);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sink__commit_after_match),
	    cmocka_unit_test(test_sink__wrong_content_never_lands),
	    cmocka_unit_test(test_sink__restart_and_abort),
	    cmocka_unit_test(test_sink__pipelined_big_blob),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

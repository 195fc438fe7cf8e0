#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lade/ref.h"

#define D64 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const struct {
	const char *input;
	const char *registry, *repository, *tag, *digest;
} good[] = {
    {"ubuntu", "docker.io", "library/ubuntu", "", ""},
    {"ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", ""},
    {"docker.io/ubuntu", "docker.io", "library/ubuntu", "", ""},
    {"index.docker.io/foo/bar", "docker.io", "foo/bar", "", ""},
    {"foo/bar", "docker.io", "foo/bar", "", ""},
    {"localhost/foo", "localhost", "foo", "", ""},
    {"localhost:5000/foo:v1", "localhost:5000", "foo", "v1", ""},
    {"ghcr.io/o/r:1.0", "ghcr.io", "o/r", "1.0", ""},
    {"127.0.0.1:5000/a/b/c@" D64, "127.0.0.1:5000", "a/b/c", "", D64},
    {"127.0.0.1:5000/a:t@" D64, "127.0.0.1:5000", "a", "t", D64},
    {"[::1]:5000/x", "[::1]:5000", "x", "", ""},
    {"Registry/x", "Registry", "x", "", ""},
    {"r.io/a__b/c-d/e.f/g---h", "r.io", "a__b/c-d/e.f/g---h", "", ""},
    {"r.io/x:_under", "r.io", "x", "_under", ""},
};

static const struct {
	const char *input;
	const char *message_part;
} bad[] = {
    {"", "empty"},
    {"r.io/Upper", "lowercase"},
    {"r.io/a//b", "empty path component"},
    {"r.io/a/", "empty path component"},
    {"r.io/-a", "not allowed"},
    {"r.io/a-", "cannot end with '-'"},
    {"r.io/a..b", "not allowed"},
    {"r.io/a___b", "not allowed"},
    {"r.io/x:-bad", "at the start"},
    {"r.io/x:a+b", "not allowed"},
    {"r.io/x@sha256:abc", "64 hex"},
    {"r.io/x@md5:abc", "unsupported"},
    {"r.io:99999/x", "bad port"},
    {"r.io:/x", "empty port"},
    {"-r.io/x", "bad registry host"},
    {"http://r.io/x", "scheme"},
    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "64-hex"},
    {"r.io/x:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "longer than 128"},
    {"r.io/a b", "not allowed"},
};

static void test_ref_parse__good(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		lade_ref r;
		if (lade_ref_parse(&r, good[i].input) != 0)
			fail_msg("'%s': %s", good[i].input, lade_error_last()->message);
		assert_string_equal(r.registry, good[i].registry);
		assert_string_equal(r.repository, good[i].repository);
		assert_string_equal(r.tag, good[i].tag);
		assert_string_equal(r.digest, good[i].digest);
	}
}

static void test_ref_parse__bad_with_clear_messages(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lade_ref r;
		if (lade_ref_parse(&r, bad[i].input) >= 0)
			fail_msg("'%s' was accepted", bad[i].input);
		if (!strstr(lade_error_last()->message, bad[i].message_part))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].input, lade_error_last()->message,
				 bad[i].message_part);
	}
}

static void test_ref_api_host__docker_hub(void **state)
{
	lade_ref r;
	char text[600];
	(void)state;
	assert_int_equal(lade_ref_parse(&r, "alpine"), 0);
	assert_string_equal(lade_ref_api_host(&r), "registry-1.docker.io");
	assert_string_equal(lade_ref_reference(&r), "latest");
	assert_int_equal(lade_ref_format(&r, text, sizeof(text)), 0);
	assert_string_equal(text, "docker.io/library/alpine");
	assert_int_equal(lade_ref_parse(&r, "ghcr.io/a/b:v1@" D64), 0);
	assert_string_equal(lade_ref_api_host(&r), "ghcr.io");
	assert_string_equal(lade_ref_reference(&r), D64);
}

static void test_layout_ref_parse__forms(void **state)
{
	lade_layout_ref l;
	(void)state;
	assert_int_equal(lade_layout_ref_parse(&l, "dir"), 0);
	assert_string_equal(l.path, "dir");
	assert_string_equal(l.tag, "");
	assert_int_equal(lade_layout_ref_parse(&l, "./a/b:v1.2"), 0);
	assert_string_equal(l.path, "./a/b");
	assert_string_equal(l.tag, "v1.2");
	assert_int_equal(lade_layout_ref_parse(&l, "/x/y@" D64), 0);
	assert_string_equal(l.path, "/x/y");
	assert_string_equal(l.digest, D64);
	assert_int_equal(lade_layout_ref_parse(&l, "a:b/c"), 0); /* colon before a slash is part of the path */
	assert_string_equal(l.path, "a:b/c");
	assert_int_equal(lade_layout_ref_parse(&l, ":tag"), LADE_EINVALID);
	assert_int_equal(lade_layout_ref_parse(&l, "dir:-x"), LADE_EINVALID);
	assert_int_equal(lade_layout_ref_parse(&l, "dir@sha256:12"), LADE_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ref_parse__good),
	    cmocka_unit_test(test_ref_parse__bad_with_clear_messages),
	    cmocka_unit_test(test_ref_api_host__docker_hub),
	    cmocka_unit_test(test_layout_ref_parse__forms),
	};
	return cmocka_run_group_tests_name("ref", tests, NULL, NULL);
}

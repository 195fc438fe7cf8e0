/* Unit tests: platforms parsed, normalised, matched; os.version, os.features and urls kept through a round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lade/manifest.h"

static void check_parse(const char *text, const char *want)
{
	lade_platform p;
	char got[64];
	assert_int_equal(lade_platform_parse(&p, text), 0);
	lade_platform_format(&p, got, sizeof(got));
	assert_string_equal(got, want);
	lade_platform_dispose(&p);
}

static void test_platform_parse__normalised(void **state)
{
	lade_platform p;
	(void)state;
	check_parse("linux/amd64", "linux/amd64");
	check_parse("linux/x86_64", "linux/amd64");
	check_parse("Linux/aarch64", "linux/arm64/v8");
	check_parse("linux/arm64", "linux/arm64/v8");
	check_parse("linux/arm", "linux/arm/v7");
	check_parse("linux/arm/6", "linux/arm/v6");
	check_parse("linux/armhf", "linux/arm/v7");
	check_parse("linux/amd64/v1", "linux/amd64");
	check_parse("linux/amd64/v3", "linux/amd64/v3");
	check_parse("macos/arm64", "darwin/arm64/v8");
	check_parse("windows/i686", "windows/386");
	assert_int_equal(lade_platform_parse(&p, "linux"), LADE_EINVALID);
	assert_int_equal(lade_platform_parse(&p, "/amd64"), LADE_EINVALID);
	assert_int_equal(lade_platform_parse(&p, "linux/arm/v7/x"), LADE_EINVALID);
	assert_int_equal(lade_platform_parse(&p, "linux/"), LADE_EINVALID);
}

static int matches(const char *want, const char *os, const char *arch, const char *variant)
{
	lade_platform w, h = {.os = (char *)os, .architecture = (char *)arch, .variant = (char *)variant};
	int m;
	assert_int_equal(lade_platform_parse(&w, want), 0);
	m = lade_platform_match(&w, &h);
	lade_platform_dispose(&w);
	return m;
}

static void test_platform_match__table(void **state)
{
	(void)state;
	assert_true(matches("linux/amd64", "linux", "amd64", NULL));
	assert_true(matches("linux/amd64", "linux", "x86_64", NULL));
	assert_false(matches("linux/amd64", "linux", "arm64", NULL));
	assert_false(matches("linux/amd64", "windows", "amd64", NULL));
	assert_true(matches("linux/arm64", "linux", "arm64", NULL)); /* v8 either way */
	assert_true(matches("linux/arm64", "linux", "arm64", "v8"));
	assert_false(matches("linux/arm64/v9", "linux", "arm64", "v8"));
	assert_true(matches("linux/arm/v7", "linux", "arm", NULL));
	assert_false(matches("linux/arm/v6", "linux", "arm", "v7"));
	assert_true(matches("linux/arm/7", "linux", "arm", "v7"));
}

static void test_platform_match__os_version_and_features(void **state)
{
	char *features[] = {"win32k", "other"};
	lade_platform want = {.os = "windows", .architecture = "amd64", .os_version = "10.0.17763.1234"};
	lade_platform have = {.os = "windows",
			      .architecture = "amd64",
			      .os_version = "10.0.17763.1234",
			      .os_features = features,
			      .os_feature_count = 2};
	char *need[] = {"win32k"}, *missing[] = {"gpu"};
	(void)state;
	assert_true(lade_platform_match(&want, &have));
	have.os_version = "10.0.20348.1";
	assert_false(lade_platform_match(&want, &have));
	want.os_version = NULL;
	want.os_features = need;
	want.os_feature_count = 1;
	assert_true(lade_platform_match(&want, &have));
	want.os_features = missing;
	assert_false(lade_platform_match(&want, &have));
}

static void test_platform_host(void **state)
{
	lade_platform p;
	(void)state;
	assert_int_equal(lade_platform_host(&p), 0);
	assert_string_equal(p.os, "linux");
	assert_non_null(p.architecture);
	lade_platform_dispose(&p);
}

/* What lade does not model in a descriptor comes back out: urls, os.version, os.features, unknown keys. */
static void test_index_choose(void **state)
{
	static const char index[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
	    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
	    "1111111111111111111111111111111111111111111111111111111111111111\",\"size\":1,"
	    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
	    "2222222222222222222222222222222222222222222222222222222222222222\",\"size\":2,"
	    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";
	lade_descriptor d;
	(void)state;
	/* arm64 without a variant is served by arm64/v8, as normalisation says */
	assert_int_equal(lade_index_choose(index, sizeof(index) - 1, "linux/arm64", &d), 0);
	assert_int_equal(d.size, 2);
	lade_descriptor_dispose(&d);
	assert_int_equal(lade_index_choose(index, sizeof(index) - 1, "linux/s390x", &d), LADE_ENOTFOUND);
	assert_non_null(strstr(lade_error_last()->message, "linux/s390x"));
	assert_int_equal(lade_index_choose(index, sizeof(index) - 1, "not a platform", &d), LADE_EINVALID);
	assert_true(lade_index_choose("{\"manifests\":7}", 15, "linux/amd64", &d) < 0);
}

static void test_descriptor__round_trip_keeps_fields(void **state)
{
	static const char text[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
	    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":0,"
	    "\"urls\":[\"https://mirror.example/x\"],"
	    "\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.17763.1234\","
	    "\"os.features\":[\"win32k\"]},\"x-vendor\":{\"a\":[1,2]},\"x-flag\":true}]}";
	lade_index idx, again;
	lade_buf out;
	(void)state;
	assert_int_equal(lade_index_parse(&idx, text, strlen(text)), 0);
	assert_int_equal(idx.manifests[0].url_count, 1);
	assert_string_equal(idx.manifests[0].platform->os_version, "10.0.17763.1234");
	assert_string_equal(idx.manifests[0].unknown, "{\"x-vendor\":{\"a\":[1,2]},\"x-flag\":true}");
	lade_buf_init(&out, LADE_MANIFEST_LIMIT);
	assert_int_equal(lade_index_encode(&out, &idx), 0);
	assert_string_equal(out.ptr, text); /* Go's field order, the unknown keys last as they were */
	assert_int_equal(lade_index_parse(&again, out.ptr, out.size), 0);
	lade_index_dispose(&again);
	lade_index_dispose(&idx);
	lade_buf_dispose(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_platform_parse__normalised),
	    cmocka_unit_test(test_platform_match__table),
	    cmocka_unit_test(test_platform_match__os_version_and_features),
	    cmocka_unit_test(test_platform_host),
	    cmocka_unit_test(test_descriptor__round_trip_keeps_fields),
	    cmocka_unit_test(test_index_choose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

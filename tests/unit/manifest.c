#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lade/manifest.h"

#define EMPTY_CFG                                                                                                      \
	"{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:"                                    \
	"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2}"
#define LAYER(extra)                                                                                                   \
	"{\"mediaType\":\"text/plain\",\"digest\":\"sha256:"                                                           \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":0" extra "}"

static const char GOOD[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"artifactType\":\"application/vnd.example\",\"config\":" EMPTY_CFG ",\"layers\":[" LAYER(
	",\"annotations\":{\"org.opencontainers.image.title\":\"a b.txt\"}") "],\"annotations\":{\"b\":\"2\",\"a\":\"1\"}}";

static void test_manifest_parse__good_fields(void **state)
{
	lade_manifest m;
	(void)state;
	assert_int_equal(lade_manifest_parse(&m, GOOD, strlen(GOOD)), 0);
	assert_string_equal(m.artifact_type, "application/vnd.example");
	assert_string_equal(m.config.media_type, LADE_MEDIATYPE_EMPTY);
	assert_int_equal(m.config.size, 2);
	assert_int_equal(m.layer_count, 1);
	assert_string_equal(lade_annotations_get(&m.layers[0].annotations, LADE_ANNOTATION_TITLE), "a b.txt");
	assert_string_equal(lade_annotations_get(&m.annotations, "a"), "1");
	assert_null(m.subject);
	lade_manifest_dispose(&m);
}

static void test_manifest_encode__round_trip_sorted(void **state)
{
	lade_manifest m;
	lade_buf out;
	(void)state;
	assert_int_equal(lade_manifest_parse(&m, GOOD, strlen(GOOD)), 0);
	lade_buf_init(&out, LADE_MANIFEST_LIMIT);
	assert_int_equal(lade_manifest_encode(&out, &m), 0);
	/* Go's shape: annotations sorted, no whitespace, key order of the Go structs. */
	assert_non_null(strstr(out.ptr, "\"annotations\":{\"a\":\"1\",\"b\":\"2\"}"));
	assert_true(strncmp(out.ptr, "{\"schemaVersion\":2,\"mediaType\":", 31) == 0);
	lade_manifest_dispose(&m);
	assert_int_equal(lade_manifest_parse(&m, out.ptr, out.size), 0);
	lade_manifest_dispose(&m);
	lade_buf_dispose(&out);
}

/* The map past its linear size: insertion order kept, replacement in place, lookups through the index. */
static void test_annotations__many_keys(void **state)
{
	lade_annotations a;
	char key[32], value[32];
	size_t i;
	(void)state;
	memset(&a, 0, sizeof(a));
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		snprintf(value, sizeof(value), "v%zu", i);
		assert_int_equal(lade_annotations_set(&a, key, value), 0);
	}
	assert_int_equal(lade_annotations_set(&a, "k7", "seven"), 0);
	assert_int_equal(a.count, 20000);
	assert_string_equal(a.keys[7], "k7");
	assert_string_equal(lade_annotations_get(&a, "k7"), "seven");
	assert_string_equal(lade_annotations_get(&a, "k19999"), "v19999");
	assert_null(lade_annotations_get(&a, "k20000"));
	for (i = 0; i < a.count; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_string_equal(a.keys[i], key);
	}
	lade_annotations_dispose(&a);
	assert_int_equal(a.count, 0);
	assert_null(lade_annotations_get(&a, "k1"));
}

/* What real tools publish while bending the spec is read; lade still writes strictly. */
static void test_manifest_parse__lenient(void **state)
{
	static const char no_type[] = "{\"schemaVersion\":2,\"config\":" EMPTY_CFG
				      ",\"layers\":[],\"extra\":{\"x\":1}}";
	static const char other_alg[] =
	    "{\"schemaVersion\":2,\"artifactType\":\"a/b\",\"config\":" EMPTY_CFG
	    ",\"layers\":[{\"mediaType\":\"application/x-unknown\",\"digest\":\"blake3:"
	    "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262\",\"size\":3}]}";
	lade_manifest m;
	lade_buf out;
	(void)state;
	lade_buf_init(&out, LADE_MANIFEST_LIMIT);
	/* oras-go v1: an empty config and no artifactType */
	assert_int_equal(lade_manifest_parse(&m, no_type, strlen(no_type)), 0);
	assert_null(m.artifact_type);
	assert_int_equal(lade_manifest_encode(&out, &m), LADE_EINVALID);
	lade_manifest_dispose(&m);
	/* a digest algorithm lade cannot compute, in a layer that need not be fetched */
	assert_int_equal(lade_manifest_parse(&m, other_alg, strlen(other_alg)), 0);
	assert_int_equal(m.layers[0].digest.alg, LADE_DIGEST_OTHER);
	assert_string_equal(lade_digest_hex(&m.layers[0].digest),
			    "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
	lade_manifest_dispose(&m);
	lade_buf_dispose(&out);
}

static const struct {
	const char *json;
	int expect;
	const char *message_part;
} bad[] = {
    {"not json", LADE_EINVALID, "not valid JSON"},
    {"[1,2]", LADE_EINVALID, "not a JSON object"},
    {"{\"schemaVersion\":1,\"config\":" EMPTY_CFG ",\"layers\":[]}", LADE_EINVALID, "must be 2"},
    {"{\"schemaVersion\":2,\"layers\":[]}", LADE_EINVALID, "missing \"config\""},
    {"{\"schemaVersion\":2,\"artifactType\":\"a/b\",\"config\":" EMPTY_CFG "}", LADE_EINVALID, "must be an array"},
    {"{\"schemaVersion\":2,\"artifactType\":\"a/b\",\"config\":" EMPTY_CFG
     ",\"layers\":[{\"mediaType\":\"text/plain\",\"digest\":\"sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":-1}]}",
     LADE_EINVALID, "0 or more"},
    {"{\"schemaVersion\":2,\"artifactType\":\"a/b\",\"config\":" EMPTY_CFG
     ",\"layers\":[{\"mediaType\":\"text/plain\",\"digest\":\"sha256:abc\",\"size\":1}]}",
     LADE_EINVALID, "layers[0]"},
    {"{\"schemaVersion\":2,\"artifactType\":\"a/b\",\"config\":" EMPTY_CFG
     ",\"layers\":[{\"mediaType\":\"no-slash\",\"digest\":\"sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":1}]}",
     LADE_EINVALID, "type/subtype"},
    {"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"config\":" EMPTY_CFG
     ",\"layers\":[]}",
     LADE_EINVALID, "not an image manifest"},
    {"{\"schemaVersion\":2,\"artifactType\":\"a/b\",\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\","
     "\"digest\":\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":0},\"layers\":[]}",
     LADE_EINVALID, "2-byte {} blob"},
    {"{\"schemaVersion\":2,\"artifactType\":\"a/b\",\"config\":" EMPTY_CFG ",\"layers\":[],\"annotations\":{\"k\":1}}",
     LADE_EINVALID, "must be a string"},
};

static void test_manifest_parse__bad_table(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lade_manifest m;
		int got = lade_manifest_parse(&m, bad[i].json, strlen(bad[i].json));
		if (got != bad[i].expect)
			fail_msg("case %zu: got %d, want %d", i, got, bad[i].expect);
		if (!strstr(lade_error_last()->message, bad[i].message_part))
			fail_msg("case %zu: message '%s' lacks '%s'", i, lade_error_last()->message,
				 bad[i].message_part);
	}
}

static void test_manifest_parse__over_cap(void **state)
{
	size_t len = LADE_MANIFEST_LIMIT + 1;
	char *big = malloc(len);
	lade_manifest m;
	(void)state;
	memset(big, ' ', len);
	assert_int_equal(lade_manifest_parse(&m, big, len), LADE_ETOOLARGE);
	assert_non_null(strstr(lade_error_last()->message, "limit"));
	free(big);
}

static void test_descriptor_empty__constant(void **state)
{
	lade_descriptor d;
	(void)state;
	assert_int_equal(lade_descriptor_empty(&d), 0);
	assert_string_equal(d.digest.str, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
	assert_int_equal(d.size, 2);
	assert_string_equal(d.data, "e30=");
	lade_descriptor_dispose(&d);
}

static void test_index_parse__round_trip(void **state)
{
	static const char idx[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	    "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"digest\":\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
	    "\"size\":7,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}]}";
	lade_index i;
	lade_buf out;
	(void)state;
	assert_int_equal(lade_index_parse(&i, idx, strlen(idx)), 0);
	assert_int_equal(i.manifest_count, 1);
	assert_string_equal(i.manifests[0].platform->variant, "v8");
	lade_buf_init(&out, 1 << 20);
	assert_int_equal(lade_index_encode(&out, &i), 0);
	assert_string_equal(out.ptr, idx);
	lade_buf_dispose(&out);
	lade_index_dispose(&i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manifest_parse__good_fields),
	    cmocka_unit_test(test_manifest_encode__round_trip_sorted),
	    cmocka_unit_test(test_manifest_parse__bad_table),
	    cmocka_unit_test(test_manifest_parse__lenient),
	    cmocka_unit_test(test_annotations__many_keys),
	    cmocka_unit_test(test_manifest_parse__over_cap),
	    cmocka_unit_test(test_descriptor_empty__constant),
	    cmocka_unit_test(test_index_parse__round_trip),
	};
	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}

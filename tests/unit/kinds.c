/* Unit tests: the kinds' parsers through the public kind interface (wasm sections, chart recognition). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lade/kinds.h"

static char path[64];

static void write_bytes(const unsigned char *data, size_t len)
{
	FILE *f;
	strcpy(path, "/tmp/lade-kinds-XXXXXX");
	assert_true(mkstemp(path) >= 0);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* The wasm kind's config for bytes, or NULL when refused (the error is then set). */
static char *wasm_config(const unsigned char *data, size_t len)
{
	const lade_kind *k = lade_kinds_find("wasm");
	lade_kind_input in;
	lade_kind_artifact art;
	char *config = NULL;
	write_bytes(data, len);
	assert_int_equal(lade_kinds_probe(&in, path), 0);
	assert_ptr_equal(lade_kinds_detect(&in), k);
	memset(&art, 0, sizeof(art));
	if (k->artifact(k, &in, "2025-01-02T03:04:05Z", &art) == 0)
		config = strdup(art.config.ptr);
	lade_kind_artifact_dispose(&art);
	unlink(path);
	return config;
}

static const unsigned char component[] = {
    0x00,
    0x61,
    0x73,
    0x6d,
    0x0d,
    0x00,
    0x01,
    0x00,
    /* import section: 1 entry, name 0x01 "a:b/c@1.0.0" (wasm-tools' prefix), an instance of type 0 */
    0x0a,
    0x10,
    0x01,
    0x01,
    0x0b,
    'a',
    ':',
    'b',
    '/',
    'c',
    '@',
    '1',
    '.',
    '0',
    '.',
    '0',
    0x05,
    0x00,
    /* export section: "run" (func 0) and "[constructor]r" (func 1, listed under its resource, not alone) */
    0x0b,
    0x1c,
    0x02,
    0x00,
    0x03,
    'r',
    'u',
    'n',
    0x01,
    0x00,
    0x00,
    0x00,
    0x0e,
    '[',
    'c',
    'o',
    'n',
    's',
    't',
    'r',
    'u',
    'c',
    't',
    'o',
    'r',
    ']',
    'r',
    0x01,
    0x01,
    0x00,
};

static void test_wasm__component_names(void **state)
{
	char *config;
	(void)state;
	config = wasm_config(component, sizeof(component));
	assert_non_null(config);
	assert_non_null(strstr(config, "\"created\":\"2025-01-02T03:04:05Z\",\"author\":null,\"architecture\":\"wasm\","
				       "\"os\":\"wasip2\""));
	assert_non_null(
	    strstr(config, "\"component\":{\"exports\":[\"run\"],\"imports\":[\"a:b/c@1.0.0\"],\"target\":null}"));
	free(config);
}

static void test_wasm__module_and_refusals(void **state)
{
	static const unsigned char module[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
	unsigned char truncated[sizeof(component)];
	char *config;
	(void)state;
	config = wasm_config(module, sizeof(module));
	assert_non_null(config);
	assert_non_null(strstr(config, "\"os\":\"wasip1\",\"layerDigests\":[\"sha256:"));
	assert_non_null(strstr(config, "\"component\":null"));
	free(config);
	/* a section that claims more bytes than the file has */
	memcpy(truncated, component, sizeof(component));
	truncated[9] = 0x7f;
	assert_null(wasm_config(truncated, sizeof(component)));
	assert_int_equal(lade_error_last()->code, LADE_EINVALID);
	assert_non_null(strstr(lade_error_last()->message, "truncated"));
	/* a count larger than its section can hold */
	memcpy(truncated, component, sizeof(component));
	truncated[10] = 0x7f;
	assert_null(wasm_config(truncated, sizeof(component)));
}

/* Helm's naming policy as the library states it: oci://host/ns + chart name, the version as the tag. */
static void test_push_reference__helm_policy(void **state)
{
	lade_kind_input in;
	const lade_kind *kind = NULL;
	lade_buf ref, tag;
	char dir[64], cmd[256], chart[96];
	(void)state;
	strcpy(dir, "/tmp/lade-chart-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && mkdir -p src/demo && printf 'apiVersion: v2\\nname: demo\\nversion: 1.2.3+b\\n' > "
		 "src/demo/Chart.yaml && tar -C src -czf demo.tgz demo",
		 dir);
	assert_int_equal(system(cmd), 0);
	snprintf(chart, sizeof(chart), "%s/demo.tgz", dir);
	assert_int_equal(lade_kinds_push_probe(&in, &kind, chart, NULL, NULL), 0);
	assert_string_equal(kind->name, "helm");
	lade_buf_init(&ref, 1024);
	lade_buf_init(&tag, 256);
	assert_int_equal(lade_kinds_push_reference(kind, &in, "ghcr.io/org/charts/", 1, &ref, &tag), 0);
	assert_string_equal(ref.ptr, "ghcr.io/org/charts/demo");
	assert_string_equal(tag.ptr, "1.2.3_b");
	lade_buf_clear(&ref);
	lade_buf_clear(&tag);
	assert_int_equal(lade_kinds_push_reference(kind, &in, "ghcr.io/org/charts:v1", 1, &ref, &tag), LADE_EINVALID);
	lade_buf_clear(&ref);
	lade_buf_clear(&tag);
	assert_int_equal(lade_kinds_push_reference(kind, &in, "localhost:5000/mine", 0, &ref, &tag), 0);
	assert_string_equal(ref.ptr, "localhost:5000/mine"); /* as given; the version still the default tag */
	assert_string_equal(tag.ptr, "1.2.3_b");
	lade_buf_clear(&ref);
	lade_buf_clear(&tag);
	/* a plain file names nothing: oci:// is refused */
	kind = NULL;
	snprintf(chart, sizeof(chart), "%s/src/demo/Chart.yaml", dir);
	assert_int_equal(lade_kinds_push_probe(&in, &kind, chart, NULL, NULL), 0);
	assert_int_equal(lade_kinds_push_reference(kind, &in, "ghcr.io/org", 1, &ref, &tag), LADE_EINVALID);
	lade_buf_dispose(&ref);
	lade_buf_dispose(&tag);
	lade_kinds_release_mime();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_push_reference__helm_policy),
	    cmocka_unit_test(test_wasm__component_names),
	    cmocka_unit_test(test_wasm__module_and_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

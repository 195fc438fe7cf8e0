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

#include "lade/auth.h"

static const struct {
	const char *header;
	size_t count;
	const char *scheme0, *realm0, *service0, *scope0, *scheme1;
} cases[] = {
    {"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:samalba/my-app:pull,push\"",
     1, "bearer", "https://auth.docker.io/token", "registry.docker.io", "repository:samalba/my-app:pull,push", NULL},
    {"Basic realm=\"Registry Realm\"", 1, "basic", "Registry Realm", "", "", NULL},
    {"bearer realm=\"r\", service=\"s\"", 1, "bearer", "r", "s", "", NULL},
    {"Basic realm=\"a\", Bearer realm=\"https://t/token\",service=\"svc\"", 2, "basic", "a", "", "", "bearer"},
    {"Bearer realm=\"q\\\"uoted\",error=\"insufficient_scope\"", 1, "bearer", "q\"uoted", "", "", NULL},
    {"Negotiate, Basic realm=x", 2, "negotiate", "", "", "", "basic"},
    {"Basic dXNlcjpwYXNz==, Bearer realm=r", 2, "basic", "", "", "", "bearer"},
    {"Bearer realm=token", 1, "bearer", "token", "", "", NULL},
    {"", 0, NULL, NULL, NULL, NULL, NULL},
};

static void test_auth_parse_challenges__table(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lade_challenge c[4];
		size_t n = 99;
		if (lade_auth_parse_challenges(cases[i].header, c, 4, &n) != 0)
			fail_msg("'%s': %s", cases[i].header, lade_error_last()->message);
		if (n != cases[i].count)
			fail_msg("'%s': %zu challenges, want %zu", cases[i].header, n, cases[i].count);
		if (!n)
			continue;
		assert_string_equal(c[0].scheme, cases[i].scheme0);
		assert_string_equal(c[0].realm, cases[i].realm0);
		assert_string_equal(c[0].service, cases[i].service0);
		assert_string_equal(c[0].scope, cases[i].scope0);
		if (cases[i].scheme1)
			assert_string_equal(c[1].scheme, cases[i].scheme1);
	}
}

static void test_auth_parse_challenges__unterminated(void **state)
{
	lade_challenge c[2];
	size_t n;
	(void)state;
	assert_int_equal(lade_auth_parse_challenges("Bearer realm=\"open", c, 2, &n), LADE_EINVALID);
}

static void test_credentials_key__docker_hub(void **state)
{
	char key[256];
	(void)state;
	assert_int_equal(lade_credentials_key("docker.io", key, sizeof(key)), 0);
	assert_string_equal(key, "https://index.docker.io/v1/");
	assert_int_equal(lade_credentials_key("registry-1.docker.io", key, sizeof(key)), 0);
	assert_string_equal(key, "https://index.docker.io/v1/");
	assert_int_equal(lade_credentials_key("ghcr.io", key, sizeof(key)), 0);
	assert_string_equal(key, "ghcr.io");
}

static void test_credentials__store_get_erase_keeps_other_keys(void **state)
{
	char dir[] = "/tmp/lade-auth-XXXXXX", path[128], cmd[160];
	const char *paths[1];
	lade_credentials_options o = LADE_CREDENTIALS_OPTIONS_INIT;
	lade_credential c = {0}, got;
	struct stat st;
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	fputs("{\"proxies\":{\"default\":{\"httpProxy\":\"x\"}},\"auths\":{\"https://legacy.example.com/v2/\":"
	      "{\"auth\":\"bGVnOnB3\"},\"other.io\":{\"auth\":\"YTpi\"}}}",
	      f);
	fclose(f);
	paths[0] = path;
	o.config_paths = paths;
	o.config_count = 1;
	assert_int_equal(lade_credentials_get(&o, "legacy.example.com", &got), 0); /* legacy key matched by host */
	assert_string_equal(got.username, "leg");
	assert_string_equal(got.password, "pw");
	lade_credential_dispose(&got);
	c.username = "user";
	c.password = "p:ss";
	assert_int_equal(lade_credentials_store(&o, "127.0.0.1:5000", &c), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(lade_credentials_get(&o, "127.0.0.1:5000", &got), 0);
	assert_string_equal(got.username, "user");
	assert_string_equal(got.password, "p:ss"); /* split at the first colon */
	lade_credential_dispose(&got);
	assert_int_equal(lade_credentials_erase(&o, "127.0.0.1:5000"), 0);
	assert_int_equal(lade_credentials_get(&o, "127.0.0.1:5000", &got), LADE_ENOTFOUND);
	assert_int_equal(lade_credentials_erase(&o, "127.0.0.1:5000"), LADE_ENOTFOUND);
	f = fopen(path, "r");
	{
		char text[2048];
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		text[n] = '\0';
		assert_non_null(strstr(text, "httpProxy")); /* untouched keys survive */
		assert_non_null(strstr(text, "other.io"));
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* An options struct from a newer library than this one, or never initialised, is refused, not misread. */
static void test_credentials__options_version_checked(void **state)
{
	lade_credentials_options opts = LADE_CREDENTIALS_OPTIONS_INIT;
	lade_credential cred;
	(void)state;
	opts.version = LADE_CREDENTIALS_OPTIONS_VERSION + 1;
	assert_int_equal(lade_credentials_get(&opts, "example.com", &cred), LADE_EINVALID);
	assert_non_null(strstr(lade_error_last()->message, "version"));
	opts.version = 0;
	assert_int_equal(lade_credentials_erase(&opts, "example.com"), LADE_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_credentials__options_version_checked),
	    cmocka_unit_test(test_auth_parse_challenges__table),
	    cmocka_unit_test(test_auth_parse_challenges__unterminated),
	    cmocka_unit_test(test_credentials_key__docker_hub),
	    cmocka_unit_test(test_credentials__store_get_erase_keeps_other_keys),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}

/* Unit tests: versions and constraints as Helm reads them (Masterminds semver); the Go comparison is integration/helm_exact.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lade/semver.h"

static void test_semver_parse__lenient_and_strict(void **state)
{
	lade_semver v;
	char text[64];
	(void)state;
	assert_int_equal(lade_semver_parse("v1.2", 0, &v), 0);
	lade_semver_format(&v, text, sizeof(text));
	assert_string_equal(text, "1.2.0");
	assert_int_equal(lade_semver_parse("v1.2", 1, NULL), LADE_EINVALID);
	assert_int_equal(lade_semver_parse("01.2.3", 1, NULL), LADE_EINVALID);
	assert_int_equal(lade_semver_parse("01.2.3", 0, NULL), 0); /* Masterminds' NewVersion takes it */
	assert_int_equal(lade_semver_parse("1.2.3-01", 0, NULL), LADE_EINVALID);
	assert_int_equal(lade_semver_parse("1.2.3-rc.1+build.5", 1, &v), 0);
	assert_string_equal(v.pre, "rc.1");
	assert_string_equal(v.meta, "build.5");
	assert_int_equal(lade_semver_parse("1.2.3.4", 0, NULL), LADE_EINVALID);
	assert_int_equal(lade_semver_parse("", 0, NULL), LADE_EINVALID);
}

static int cmp(const char *a, const char *b)
{
	lade_semver x, y;
	assert_int_equal(lade_semver_parse(a, 0, &x), 0);
	assert_int_equal(lade_semver_parse(b, 0, &y), 0);
	return lade_semver_compare(&x, &y);
}

static void test_semver_compare__precedence(void **state)
{
	(void)state;
	assert_true(cmp("1.0.0-alpha", "1.0.0") < 0);
	assert_true(cmp("1.0.0-alpha.1", "1.0.0-alpha.beta") < 0); /* numbers before words */
	assert_true(cmp("1.0.0-beta.2", "1.0.0-beta.11") < 0);     /* numbers by value */
	assert_true(cmp("1.0.0-rc.1", "1.0.0-rc.1.1") < 0);
	assert_int_equal(cmp("1.0.0+a", "1.0.0+b"), 0); /* build metadata ignored */
	assert_true(cmp("1.10.0", "1.9.0") > 0);
}

static int check(const char *constraint, const char *version)
{
	lade_semver_constraint *c;
	lade_semver v;
	int ok;
	assert_int_equal(lade_semver_constraint_parse(constraint, &c), 0);
	assert_int_equal(lade_semver_parse(version, 0, &v), 0);
	ok = lade_semver_constraint_check(c, &v);
	lade_semver_constraint_free(c);
	return ok;
}

static void test_semver_constraint__operators(void **state)
{
	lade_semver_constraint *c;
	(void)state;
	assert_true(check("^1.2", "1.9.0"));
	assert_false(check("^1.2", "2.0.0"));
	assert_false(check("^1.2", "1.3.0-rc.1")); /* pre-releases only when named */
	assert_true(check("~1.2.0", "1.2.9"));
	assert_false(check("~1.2.0", "1.3.0"));
	assert_true(check(">=1.0 <2.0", "1.5.0"));
	assert_true(check(">=1.0, <2.0", "1.0.0"));
	assert_true(check("1.0 - 1.4", "1.4.0"));
	assert_true(check("1.0 - 1.4", "1.4.1")); /* "<= 1.4" means 1.4.x to Masterminds */
	assert_false(check("1.0 - 1.4", "1.5.0"));
	assert_true(check("^1 || ^3", "3.1.0"));
	assert_true(check("1.2.x", "1.2.7"));
	assert_true(check("*", "0.0.1"));
	assert_true(check(">=2.0.0-0", "2.0.0-beta.1"));
	assert_true(check("^0.0.3", "0.0.3"));
	assert_false(check("^0.0.3", "0.0.4"));
	assert_int_equal(lade_semver_constraint_parse("bogus", &c), LADE_EINVALID);
}

static void test_version_picker__helm_rules(void **state)
{
	static const char *const tags[] = {"1.0.0", "1.2.3_build.7", "1.3.0-rc.1", "latest", "v2.0.0", "1.2.0"};
	lade_version_picker p;
	char tag[LADE_SEMVER_MAX];
	size_t i;
	(void)state;
	assert_int_equal(lade_version_picker_init(&p, NULL), 0);
	for (i = 0; i < sizeof(tags) / sizeof(*tags); i++)
		lade_version_picker_add(&p, tags[i]);
	assert_int_equal(lade_version_picker_result(&p, tag, sizeof(tag)), 0);
	assert_string_equal(tag, "1.2.3_build.7"); /* newest release; v2.0.0 is not strict, rc not a release */
	lade_version_picker_dispose(&p);
	assert_int_equal(lade_version_picker_init(&p, "~1.3.0-0"), 0);
	for (i = 0; i < sizeof(tags) / sizeof(*tags); i++)
		lade_version_picker_add(&p, tags[i]);
	assert_int_equal(lade_version_picker_result(&p, tag, sizeof(tag)), 0);
	assert_string_equal(tag, "1.3.0-rc.1");
	lade_version_picker_dispose(&p);
	assert_int_equal(lade_version_picker_init(&p, ">=3"), 0);
	for (i = 0; i < sizeof(tags) / sizeof(*tags); i++)
		lade_version_picker_add(&p, tags[i]);
	assert_int_equal(lade_version_picker_result(&p, tag, sizeof(tag)), LADE_ENOTFOUND);
	lade_version_picker_dispose(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_semver_parse__lenient_and_strict),
	    cmocka_unit_test(test_semver_compare__precedence),
	    cmocka_unit_test(test_semver_constraint__operators),
	    cmocka_unit_test(test_version_picker__helm_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

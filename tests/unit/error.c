/* Unit tests: the error model, and lade_error_set for code outside liblade. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lade/common.h"

/* A callback written by a library user (a kind, a target) reports as liblade does. */
static int user_callback(const char *name)
{
	return lade_error_set(LADE_EINVALID, "thing '%s' is not valid", name);
}

static void test_error_set__returns_code_and_message(void **state)
{
	(void)state;
	assert_int_equal(user_callback("x"), LADE_EINVALID);
	assert_int_equal(lade_error_last()->code, LADE_EINVALID);
	assert_string_equal(lade_error_last()->message, "thing 'x' is not valid");
	assert_int_equal(lade_error_last()->http_status, 0);
	lade_error_clear();
	assert_int_equal(lade_error_last()->code, LADE_OK);
	assert_string_equal(lade_error_last()->message, "");
}

static void test_error_set__positive_code_becomes_error(void **state)
{
	(void)state;
	assert_int_equal(lade_error_set(7, "odd"), LADE_ERROR);
	assert_int_equal(lade_error_last()->code, LADE_ERROR);
	assert_string_equal(lade_error_name(LADE_ENOTFOUND), "ENOTFOUND");
}

static void test_error_set__long_message_is_cut(void **state)
{
	char big[4096];
	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lade_error_set(LADE_EIO, "%s", big);
	assert_int_equal(strlen(lade_error_last()->message), sizeof(lade_error_last()->message) - 1);
	/* wrapping the previous message in a new one is safe */
	lade_error_set(LADE_EIO, "while reading: %.20s", lade_error_last()->message);
	assert_string_equal(lade_error_last()->message, "while reading: aaaaaaaaaaaaaaaaaaaa");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_set__returns_code_and_message),
	    cmocka_unit_test(test_error_set__positive_code_becomes_error),
	    cmocka_unit_test(test_error_set__long_message_is_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

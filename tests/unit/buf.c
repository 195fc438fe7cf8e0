#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lade/common.h"

static void test_buf_put__grows_and_terminates(void **state)
{
	lade_buf b;
	(void)state;
	lade_buf_init(&b, 100);
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	assert_int_equal(lade_buf_puts(&b, "hello "), 0);
	assert_int_equal(lade_buf_puts(&b, "world"), 0);
	assert_string_equal(b.ptr, "hello world");
	assert_int_equal(b.size, 11);
	lade_buf_dispose(&b);
	assert_string_equal(b.ptr, "");
}

static void test_buf_put__refuses_past_cap_unchanged(void **state)
{
	lade_buf b;
	(void)state;
	lade_buf_init(&b, 8);
	assert_int_equal(lade_buf_puts(&b, "12345678"), 0);
	assert_int_equal(lade_buf_puts(&b, "9"), LADE_ETOOLARGE);
	assert_int_equal(lade_error_last()->code, LADE_ETOOLARGE);
	assert_string_equal(b.ptr, "12345678");
	lade_buf_dispose(&b);
}

static void test_buf_detach__hands_over(void **state)
{
	lade_buf b;
	char *s;
	(void)state;
	lade_buf_init(&b, 64);
	lade_buf_puts(&b, "abc");
	s = lade_buf_detach(&b);
	assert_string_equal(s, "abc");
	assert_int_equal(b.size, 0);
	free(s);
	s = lade_buf_detach(&b); /* never-grown buffer still hands out a string */
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf_put__grows_and_terminates),
	    cmocka_unit_test(test_buf_put__refuses_past_cap_unchanged),
	    cmocka_unit_test(test_buf_detach__hands_over),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}

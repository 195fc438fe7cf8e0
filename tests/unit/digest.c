#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lade/digest.h"

static const char EMPTY_SHA256[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static const struct {
	const char *input;
	int expect;
	const char *message_part;
} parse_cases[] = {
    {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0, NULL},
    {"sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
     0, NULL},
    {"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", LADE_EINVALID, "lowercase"},
    {"sha256:e3b0", LADE_EINVALID, "needs 64 hex digits"},
    {"sha256", LADE_EINVALID, "expected"},
    {":abc", LADE_EINVALID, "expected"},
    {"sha256:", LADE_EINVALID, "empty encoded"},
    {"SHA256:abc", LADE_EINVALID, "algorithm"},
    {"sha256+:abc", LADE_EINVALID, "algorithm"},
    {"sha256:abc/def", LADE_EINVALID, "bad character"},
    {"blake3:abcdef", LADE_EUNSUPPORTED, "unsupported"},
    {"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", LADE_EUNSUPPORTED, "unsupported"},
};

static void test_digest_parse__table(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		lade_digest d;
		int got = lade_digest_parse(&d, parse_cases[i].input);
		if (got != parse_cases[i].expect)
			fail_msg("'%s': got %d, want %d (%s)", parse_cases[i].input, got, parse_cases[i].expect,
				 lade_error_last()->message);
		if (parse_cases[i].message_part && !strstr(lade_error_last()->message, parse_cases[i].message_part))
			fail_msg("'%s': message '%s' lacks '%s'", parse_cases[i].input, lade_error_last()->message,
				 parse_cases[i].message_part);
		if (got == 0)
			assert_string_equal(d.str, parse_cases[i].input);
	}
}

static void test_digest_buffer__known_values(void **state)
{
	lade_digest d;
	(void)state;
	assert_int_equal(lade_digest_buffer(&d, LADE_DIGEST_SHA256, "", 0), 0);
	assert_string_equal(d.str, EMPTY_SHA256);
	assert_int_equal(lade_digest_buffer(&d, LADE_DIGEST_SHA256, "{}", 2), 0);
	assert_string_equal(d.str, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
	assert_string_equal(lade_digest_hex(&d), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

static void test_digest_hasher__streaming_equals_whole(void **state)
{
	lade_hasher *h;
	lade_digest whole, parts;
	char data[10000];
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	assert_int_equal(lade_digest_buffer(&whole, LADE_DIGEST_SHA512, data, sizeof(data)), 0);
	assert_int_equal(lade_hasher_new(&h, LADE_DIGEST_SHA512), 0);
	for (i = 0; i < sizeof(data); i += 333)
		lade_hasher_update(h, data + i, i + 333 > sizeof(data) ? sizeof(data) - i : 333);
	assert_int_equal(lade_hasher_size(h), sizeof(data));
	assert_int_equal(lade_hasher_final(h, &parts), 0);
	lade_hasher_free(h);
	assert_true(lade_digest_equal(&whole, &parts));
}

static void test_digest_file__size_and_missing(void **state)
{
	char path[] = "/tmp/lade-digest-XXXXXX";
	lade_digest d;
	uint64_t size = 99;
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lade_digest_file(&d, &size, LADE_DIGEST_SHA256, path), 0);
	assert_string_equal(d.str, EMPTY_SHA256);
	assert_int_equal(size, 0);
	unlink(path);
	assert_int_equal(lade_digest_file(&d, &size, LADE_DIGEST_SHA256, path), LADE_ENOTFOUND);
	assert_non_null(strstr(lade_error_last()->message, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digest_parse__table),
	    cmocka_unit_test(test_digest_buffer__known_values),
	    cmocka_unit_test(test_digest_hasher__streaming_equals_whole),
	    cmocka_unit_test(test_digest_file__size_and_missing),
	};
	return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}

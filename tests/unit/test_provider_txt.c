#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "provision/provider.h"

static void
test_split_at_255(void **state)
{
	char v[600];
	struct txt_record r;
	char *back;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = (char)('A' + i % 26);
	txt_record_set_value(&r, v, sizeof(v));
	assert_int_equal(r.n, 3);
	assert_int_equal(r.s[0].len, 255);
	assert_int_equal(r.s[1].len, 255);
	assert_int_equal(r.s[2].len, 90);
	back = txt_record_value(&r, &len);
	assert_int_equal(len, sizeof(v));
	assert_memory_equal(back, v, sizeof(v));
	free(back);
	txt_record_cleanup(&r);
	txt_record_set_value(&r, "", 0);
	assert_int_equal(r.n, 1); /* one empty string: TXT needs one */
	assert_int_equal(r.s[0].len, 0);
	txt_record_cleanup(&r);
}

static void
test_format_escapes(void **state)
{
	struct txt_record r = { NULL, 0 };
	char *f;

	(void)state;
	txt_record_add_string(&r, "v=spf1 -all", 11);
	txt_record_add_string(&r, "a\"b\\c", 5);
	txt_record_add_string(&r, "t\x01\xff", 3);
	f = txt_record_format(&r);
	assert_string_equal(f,
	    "\"v=spf1 -all\" \"a\\\"b\\\\c\" \"t\\001\\255\"");
	free(f);
	txt_record_cleanup(&r);
}

static void
test_parse_round_trip(void **state)
{
	static const char *const texts[] = {
		"\"v=spf1 include:spf.protection.outlook.com -all\"",
		"\"MS=ms12345678\"",
		"\"part one \" \"part two\"",
		"\"a\\\"b\\\\c\"",
		"\"t\\001\\255\"",
		"\"\"",
	};

	(void)state;
	for (size_t i = 0; i < NELEM(texts); i++) {
		struct txt_record r;
		struct err e;
		char *f;

		assert_int_equal(txt_record_parse(texts[i], &r, &e), 0);
		f = txt_record_format(&r);
		assert_string_equal(f, texts[i]);
		free(f);
		txt_record_cleanup(&r);
	}
}

static void
test_parse_strings(void **state)
{
	struct txt_record r;
	struct err e;

	(void)state;
	assert_int_equal(txt_record_parse("\"ab\" \"c d\"", &r, &e), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.s[0].data, "ab");
	assert_string_equal(r.s[1].data, "c d");
	txt_record_cleanup(&r);
	/* An unquoted word is a string too (zone-file syntax). */
	assert_int_equal(txt_record_parse("word", &r, &e), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.s[0].data, "word");
	txt_record_cleanup(&r);
}

static void
test_parse_bad(void **state)
{
	struct txt_record r;
	struct err e;
	char big[400];

	(void)state;
	assert_int_equal(txt_record_parse("\"a\\999\"", &r, &e), -1);
	assert_string_equal(e.msg, "not a TXT record in zone-file form: "
	                           "Syntax error, could not parse the RR's "
	                           "rdata");
	assert_int_equal(txt_record_parse("", &r, &e), -1);
	assert_string_equal(e.msg, "not a TXT record in zone-file form: "
	                           "Syntax error, value expected");
	/* A single string over 255 octets is not a character-string. */
	big[0] = '"';
	memset(big + 1, 'x', 300);
	big[301] = '"';
	big[302] = '\0';
	assert_int_equal(txt_record_parse(big, &r, &e), -1);
	assert_non_null(strstr(e.msg, "not a TXT record in zone-file form"));
}

static void
test_equality(void **state)
{
	struct txt_record a, b, c = { NULL, 0 };
	struct txt_set s1 = { NULL, 0, 3600 }, s2 = { NULL, 0, 300 };

	(void)state;
	txt_record_set_value(&a, "v=spf1 -all", 11);
	txt_record_set_value(&b, "MS=ms1", 6);
	/* The same value split differently is a different record. */
	txt_record_add_string(&c, "v=spf1", 6);
	txt_record_add_string(&c, " -all", 5);
	assert_true(txt_record_equal(&a, &a));
	assert_false(txt_record_equal(&a, &c));
	txt_set_add(&s1, &a);
	txt_set_add(&s1, &b);
	txt_set_add(&s2, &b);
	assert_false(txt_set_equal(&s1, &s2));
	txt_set_add(&s2, &a);
	/* Order and TTL do not matter: a DNS RRset is a set. */
	assert_true(txt_set_equal(&s1, &s2));
	txt_set_cleanup(&s2);
	txt_set_add(&s2, &b);
	txt_set_add(&s2, &c);
	assert_false(txt_set_equal(&s1, &s2));
	txt_set_cleanup(&s1);
	txt_set_cleanup(&s2);
	txt_record_cleanup(&a);
	txt_record_cleanup(&b);
	txt_record_cleanup(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_at_255),
		cmocka_unit_test(test_format_escapes),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_strings),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_equality),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

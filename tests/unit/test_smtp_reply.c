/* Unit tests for relayd/smtp_reply.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relayd/smtp_reply.h"

static void
test_reply_multiline(void **state)
{
	struct smtp_reply r;
	char out[256];

	(void)state;
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_feed(&r, "250-mx.example.net", 18), 0);
	assert_int_equal(smtp_reply_feed(&r, "250-PIPELINING", 14), 0);
	assert_int_equal(smtp_reply_feed(&r, "250-SIZE 10240000", 17), 0);
	assert_int_equal(smtp_reply_feed(&r, "250-starttls", 12), 0);
	assert_int_equal(smtp_reply_feed(&r, "250-8BITMIME", 12), 0);
	assert_int_equal(smtp_reply_feed(&r, "250 CHUNKING", 12), 1);
	assert_int_equal(r.code, 250);
	assert_true(r.ext.pipelining);
	assert_true(r.ext.starttls);
	assert_true(r.ext.eightbitmime);
	assert_true(r.ext.chunking);
	assert_false(r.ext.smtputf8);
	assert_int_equal(r.ext.size, 10240000);
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_feed(&r, "550-5.1.1 no such", 17), 0);
	assert_int_equal(smtp_reply_feed(&r, "550 5.1.1 user\x01", 15), 1);
	smtp_reply_format(&r, out, sizeof(out));
	assert_string_equal(out, "550 5.1.1 no such 5.1.1 user ");
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_feed(&r, "220", 3), 1);
}

static void
test_reply_bad(void **state)
{
	struct smtp_reply r;
	char line[16];

	(void)state;
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_feed(&r, "hello", 5), -1);
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_feed(&r, "250x", 4), -1);
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_feed(&r, "250-a", 5), 0);
	assert_int_equal(smtp_reply_feed(&r, "251 b", 5), -1);
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_feed(&r, "199 x", 5), -1);
	/* A never-ending multi-line banner is cut off. */
	smtp_reply_init(&r);
	memcpy(line, "220-xxxxxxxx", 12);
	for (int i = 0; i < SMTP_REPLY_MAX_LINES; i++)
		assert_int_equal(smtp_reply_feed(&r, line, 12), 0);
	assert_int_equal(smtp_reply_feed(&r, line, 12), -1);
	assert_true(r.len < SMTP_REPLY_MAX_TEXT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_multiline),
		cmocka_unit_test(test_reply_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

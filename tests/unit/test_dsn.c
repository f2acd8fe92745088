/* Unit tests for relayd/dsn.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "relayd/dsn.h"

static void
test_status_from_reply(void **state)
{
	char s[16];

	(void)state;
	dsn_status_from_reply("550 5.1.1 User unknown", s, sizeof(s));
	assert_string_equal(s, "5.1.1");
	dsn_status_from_reply("452 4.2.2 Mailbox full", s, sizeof(s));
	assert_string_equal(s, "4.2.2");
	dsn_status_from_reply("554 Transaction failed", s, sizeof(s));
	assert_string_equal(s, "5.0.0");
	dsn_status_from_reply("421 closing", s, sizeof(s));
	assert_string_equal(s, "4.0.0");
	/* A status whose class differs from the code's is not used. */
	dsn_status_from_reply("550 4.1.1 odd", s, sizeof(s));
	assert_string_equal(s, "5.0.0");
	dsn_status_from_reply("550 5.1.10 null MX", s, sizeof(s));
	assert_string_equal(s, "5.1.10");
	dsn_status_from_reply("4.4.7 message expired", s, sizeof(s));
	assert_string_equal(s, "4.4.7");
	dsn_status_from_reply("4.x", s, sizeof(s));
	assert_string_equal(s, "4.0.0");
}

static void
test_dsn(void **state)
{
	const char headers[] = "From: crm@example.com\nTo: x@example.net\r\n"
	                       "Subject: hi\r\n\r\nbody\r\n";
	struct dsn_rcpt rc = { "x@example.net", "5.1.1", "mx.example.net",
		"550 5.1.1 <x@example.net>: user unknown\r\nX", 1795000000 };
	struct dsn d = { "relay.example.com", "Q1", "crm@example.com",
		1794999000, 1795000100, false, 0, headers, sizeof(headers) - 1,
		&rc, 1 };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(dsn_format(&d, &b), 0);
	assert_non_null(strstr(b.data,
	    "From: MAILER-DAEMON@relay.example.com (Mail Delivery System)\r\n"
	    "To: <crm@example.com>\r\n"
	    "Subject: Undelivered Mail Returned to Sender\r\n"));
	assert_non_null(strstr(b.data,
	    "Content-Type: multipart/report; report-type=delivery-status;"));
	assert_non_null(strstr(b.data,
	    "Final-Recipient: rfc822; x@example.net\r\nAction: failed\r\n"
	    "Status: 5.1.1\r\nRemote-MTA: dns; mx.example.net\r\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <x@example.net>: user unknown  "
	    "X\r\n"));
	assert_non_null(strstr(b.data,
	    "Content-Type: text/rfc822-headers\r\n\r\nFrom: crm@example.com\r\n"
	    "To: x@example.net\r\nSubject: hi\r\n\r\n--"));
	assert_null(strstr(b.data, "body"));
	/* Every line ends in CRLF. */
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == '\n')
			assert_true(i > 0 && b.data[i - 1] == '\r');
	buf_reset(&b);
	d.delay = true;
	d.retry_until = 1795400000;
	assert_int_equal(dsn_format(&d, &b), 0);
	assert_non_null(strstr(b.data, "Action: delayed\r\n"));
	assert_non_null(strstr(b.data, "Will-Retry-Until: "));
	assert_non_null(strstr(b.data, "Subject: Delayed Mail"));
	buf_cleanup(&b);
}

static void
test_date(void **state)
{
	char s[64];

	(void)state;
	dsn_date(0, s, sizeof(s));
	assert_string_equal(s, "Thu, 01 Jan 1970 00:00:00 +0000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_from_reply),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

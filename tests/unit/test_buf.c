/* Unit tests for common/buf.c and common/log.c's escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"

static void
test_buf_cap(void **state)
{
	struct buf b;
	char *s;
	size_t len;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "abcd"), 0);
	assert_int_equal(buf_printf(&b, "%d", 123), 0);
	assert_string_equal(b.data, "abcd123");
	/* Past the cap: refused, and nothing is appended. */
	assert_int_equal(buf_append_str(&b, "xy"), -1);
	assert_int_equal(buf_printf(&b, "%s", "xy"), -1);
	assert_int_equal(b.len, 7);
	assert_int_equal(buf_append(&b, "z", 1), 0);
	s = buf_steal(&b, &len);
	assert_int_equal(len, 8);
	assert_string_equal(s, "abcd123z");
	free(s);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);
}

static void
test_log_escape(void **state)
{
	char out[32];

	(void)state;
	log_escape(out, sizeof(out), "a\"b\\c\r\n\x01", 8);
	assert_string_equal(out, "a\\x22b\\x5cc\\x0d\\x0a\\x01");
	log_escape(out, 12, "abcdefghijklmnop", 16);
	assert_string_equal(out, "abcdefgh...");
	assert_true(strlen(out) < 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_log_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

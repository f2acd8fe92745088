/* Unit tests for common/util.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"

static void
test_parse_u64(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(parse_u64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("42x", 0, 100, &v), -1);
	assert_int_equal(parse_u64("101", 0, 100, &v), -1);
	assert_int_equal(parse_u64("-1", 0, 100, &v), -1);
	assert_int_equal(parse_u64(" 1", 0, 100, &v), -1);
	assert_int_equal(parse_u64("", 0, 100, &v), -1);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX,
	                     &v),
	    -1);
}

static void
test_parse_duration(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(parse_duration("30s", &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(parse_duration("15m", &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(parse_duration("4h", &v), 0);
	assert_int_equal(v, 14400);
	assert_int_equal(parse_duration("5d", &v), 0);
	assert_int_equal(v, 432000);
	assert_int_equal(parse_duration("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_duration("0s", &v), 0);
	assert_int_equal(parse_duration("30", &v), -1);
	assert_int_equal(parse_duration("m", &v), -1);
	assert_int_equal(parse_duration("5w", &v), -1);
	assert_int_equal(parse_duration("5M", &v), -1);
	assert_int_equal(parse_duration("1.5h", &v), -1);
	assert_int_equal(parse_duration("99999999999d", &v), -1);
}

static void
test_parse_size(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(parse_size("1234", &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(parse_size("50K", &v), 0);
	assert_int_equal(v, 51200);
	assert_int_equal(parse_size("50M", &v), 0);
	assert_int_equal(v, 52428800);
	assert_int_equal(parse_size("2G", &v), 0);
	assert_int_equal(v, 2147483648);
	assert_int_equal(parse_size("50Q", &v), -1);
	assert_int_equal(parse_size("50k", &v), -1);
	assert_int_equal(parse_size("M", &v), -1);
	assert_int_equal(parse_size("99999999999G", &v), -1);
}

static void
test_format_duration(void **state)
{
	char b[32];

	(void)state;
	format_duration(432000, b, sizeof(b));
	assert_string_equal(b, "5d");
	format_duration(5400, b, sizeof(b));
	assert_string_equal(b, "90m");
	format_duration(61, b, sizeof(b));
	assert_string_equal(b, "61s");
	format_duration(0, b, sizeof(b));
	assert_string_equal(b, "0s");
}

static void
test_glob(void **state)
{
	(void)state;
	assert_true(str_glob_match("*@example.com", "crm@example.com"));
	assert_true(str_glob_match("*@example.com", "CRM@Example.COM"));
	assert_false(str_glob_match("*@example.com", "crm@example.com.evil"));
	assert_false(str_glob_match("*@example.com", "crm@sub.example.org"));
	assert_true(str_glob_match("crm?@*", "crm1@x"));
	assert_false(str_glob_match("crm?@*", "crm@x"));
	assert_true(str_glob_match("*", ""));
	assert_true(str_glob_match("a*b*c", "aXXbYYc"));
	assert_false(str_glob_match("a*b*c", "aXXbYY"));
	/* Many stars over a long subject stay linear. */
	assert_false(str_glob_match("*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_str_copy(void **state)
{
	char b[4];

	(void)state;
	assert_int_equal(str_copy(b, sizeof(b), "abc"), 0);
	assert_string_equal(b, "abc");
	assert_int_equal(str_copy(b, sizeof(b), "abcd"), -1);
	assert_string_equal(b, "abc");
	assert_true(str_ieq("HeLLo", 5, "hello"));
	assert_false(str_ieq("hell", 4, "hello"));
}

static void
test_files(void **state)
{
	char dir[] = "/tmp/postern-util.XXXXXX";
	char *path, *sub, *data;
	struct stat st;
	struct err e;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sub = xasprintf("%s/a/b/c", dir);
	assert_int_equal(mkdir_p(sub, 0700, &e), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	path = xasprintf("%s/f", sub);
	assert_int_equal(file_write_atomic(path, "hello", 5, 0600, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read(path, 100, &data, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(file_read(path, 4, &data, &len, &e), -1);
	assert_non_null(strstr(e.msg, "file is too large"));
	assert_int_equal(file_read("/nonexistent/x", 4, &data, &len, &e), -1);
	assert_string_equal(e.msg, "/nonexistent/x: No such file or directory");
	unlink(path);
	free(path);
	free(sub);
	assert_int_equal(system("rm -rf /tmp/postern-util.*"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

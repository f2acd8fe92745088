/* Unit tests for relayd/mtasts.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relayd/mtasts.h"

static void
test_mtasts(void **state)
{
	const char pol[] = "version: STSv1\r\nmode: enforce\r\n"
	                   "mx: mail.example.com\r\nmx: *.example.net\r\n"
	                   "max_age: 604800\r\nextension: ignored\r\n";
	struct mtasts_policy p;
	struct err e;
	char id[40];

	(void)state;
	assert_int_equal(mtasts_policy_parse(pol, sizeof(pol) - 1, &p, &e), 0);
	assert_int_equal(p.mode, MTASTS_ENFORCE);
	assert_int_equal(p.max_age, 604800);
	assert_true(mtasts_mx_matches(&p, "mail.example.com"));
	assert_true(mtasts_mx_matches(&p, "MAIL.example.com."));
	assert_true(mtasts_mx_matches(&p, "mx1.example.net"));
	assert_false(mtasts_mx_matches(&p, "a.mx1.example.net"));
	assert_false(mtasts_mx_matches(&p, "example.net"));
	assert_false(mtasts_mx_matches(&p, "evil.com"));
	mtasts_policy_cleanup(&p);
	assert_int_equal(mtasts_policy_parse("version: STSv1\nmode: enforce\n"
	                                     "max_age: 10\n",
	                     40, &p, &e),
	    -1);
	assert_string_equal(e.msg, "the policy has no mx line");
	mtasts_policy_cleanup(&p);
	assert_int_equal(mtasts_policy_parse("version: STSv2\n", 15, &p, &e),
	    -1);
	assert_string_equal(e.msg, "version is not STSv1");
	mtasts_policy_cleanup(&p);
	assert_int_equal(mtasts_txt_parse("v=STSv1; id=20160831085700Z;", 28,
	                     id, sizeof(id), &e),
	    0);
	assert_string_equal(id, "20160831085700Z");
	assert_int_equal(mtasts_txt_parse("v=STSv1;", 8, id, sizeof(id), &e),
	    -1);
	assert_string_equal(e.msg, "the record has no id=");
	assert_int_equal(mtasts_txt_parse("v=spf1 -all", 11, id, sizeof(id),
	                     &e),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtasts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

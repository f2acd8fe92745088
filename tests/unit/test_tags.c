#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnscheck/tags.h"

static void
test_tags_dkim(void **state)
{
	const char *r = "v=DKIM1; k=ed25519 ;\tp=11qYAYKxCrfVS/7TyWQHOg7hcvPa"
	                "pjJa+CCJUkZRfPhM= ; t=y:s;";
	struct taglist t;
	struct err e;

	(void)state;
	assert_int_equal(taglist_parse(r, strlen(r), &t, &e), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(taglist_get(&t, "k"), "ed25519");
	assert_string_equal(taglist_get(&t, "t"), "y:s");
	assert_null(taglist_get(&t, "h"));
	taglist_cleanup(&t);
}

static void
expect_error(const char *r, const char *msg)
{
	struct taglist t;
	struct err e;

	assert_int_equal(taglist_parse(r, strlen(r), &t, &e), -1);
	assert_string_equal(e.msg, msg);
}

static void
test_tags_errors(void **state)
{
	(void)state;
	expect_error("v=DKIM1; v=DKIM1", "tag v appears twice");
	expect_error("v=DKIM1; p", "\"p\" is not tag=value");
	expect_error("1x=2", "bad tag name \"1x\"");
	expect_error("p=a\001b", "tag p: bad character 0x01");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags_dkim),
		cmocka_unit_test(test_tags_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

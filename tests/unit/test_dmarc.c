#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnscheck/dmarc.h"

static int
check(const char *rec, char *why)
{
	return dmarc_record_check(rec, strlen(rec), why, 300);
}

static void
test_dmarc_valid(void **state)
{
	char why[300];

	(void)state;
	assert_int_equal(check("v=DMARC1; p=none", why), 0);
	assert_int_equal(check("v=DMARC1; p=reject; sp=quarantine; pct=0; "
	                       "adkim=s; aspf=r; rua=mailto:a@example.com; "
	                       "fo=1; ri=86400; future=x;",
	                     why),
	    0);
	assert_int_equal(check("v=DMARC1; p=none; fo=0:1:d:s; rf=afrf; "
	                       "rua=mailto:a@example.com!10m, "
	                       "mailto:b@example.net; psd=n; t=y; np=reject",
	                     why),
	    0);
	/* 6.6.3: no p= but a valid rua= is p=none. */
	assert_int_equal(check("v=DMARC1; rua=mailto:a@example.com", why), 0);
}

static void
expect_bad(const char *rec, const char *msg)
{
	char why[300];

	assert_int_equal(check(rec, why), -1);
	assert_string_equal(why, msg);
}

static void
test_dmarc_invalid(void **state)
{
	(void)state;
	expect_bad("p=none; v=DMARC1", "v=DMARC1 must come first");
	expect_bad("v=DMARC2; p=none", "v=DMARC1 must come first");
	expect_bad("v=DMARC1; p=maybe", "p=maybe is not valid");
	expect_bad("v=DMARC1; p=none; sp=all", "sp=all is not valid");
	expect_bad("v=DMARC1; p=none; adkim=x", "adkim=x is not valid");
	expect_bad("v=DMARC1; p=none; pct=101", "pct=101 is not valid");
	expect_bad("v=DMARC1; p=none; pct=-1", "pct=-1 is not valid");
	expect_bad("v=DMARC1; p=none; rua=https://example.com/r",
	    "rua=https://example.com/r is not valid");
	expect_bad("v=DMARC1; p=none; rua=mailto:a@example.com,mailto:x",
	    "rua=mailto:a@example.com,mailto:x is not valid");
	expect_bad("v=DMARC1; p=none; ruf=mailto:@example.com",
	    "ruf=mailto:@example.com is not valid");
	expect_bad("v=DMARC1; p=none; fo=1:2", "fo=1:2 is not valid");
	expect_bad("v=DMARC1; p=none; rf=iodef", "rf=iodef is not valid");
	expect_bad("v=DMARC1; p=none; ri=daily", "ri=daily is not valid");
	expect_bad("v=DMARC1; p=none; t=maybe", "t=maybe is not valid");
	expect_bad("v=DMARC1", "no p= tag");
	expect_bad("v=DMARC1; p=none; p=reject", "tag p appears twice");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dmarc_valid),
		cmocka_unit_test(test_dmarc_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "provision/providers/provider_int.h"

/* A fake server: which names it answers and how; records what was asked. */
struct fake {
	const char *answers[8][2]; /* qname -> apex ("-": temp error) */
	char asked[256];
};

static int
fake_soa(void *ctx, const char *qname, char **apex, struct err *e)
{
	struct fake *f = ctx;
	size_t n = strlen(f->asked);

	snprintf(f->asked + n, sizeof(f->asked) - n, "%s%s", n ? " " : "",
	    qname);
	*apex = NULL;
	for (size_t i = 0; i < NELEM(f->answers) && f->answers[i][0]; i++) {
		if (strcmp(f->answers[i][0], qname) != 0)
			continue;
		if (strcmp(f->answers[i][1], "-") == 0)
			return err_set(e, "timeout asking %s", qname),
			       PROVIDER_ERR_TEMP;
		*apex = xstrdup(f->answers[i][1]);
	}
	return PROVIDER_OK;
}

static void
test_walk_finds_apex_from_authority(void **state)
{
	/* An SOA in the authority section answers at once. */
	struct fake f = { { { "pst1._domainkey.example.com", "example.com" } },
		"" };
	struct err e;
	char *zone;

	(void)state;
	assert_int_equal(provider_zone_walk("pst1._domainkey.example.com",
	                     fake_soa, &f, &zone, &e),
	    PROVIDER_OK);
	assert_string_equal(zone, "example.com");
	assert_string_equal(f.asked, "pst1._domainkey.example.com");
	free(zone);
}

static void
test_walk_goes_up(void **state)
{
	/* Names the server refuses are walked up, label by label. */
	struct fake f = { { { "example.co.uk", "example.co.uk" } }, "" };
	struct err e;
	char *zone;

	(void)state;
	assert_int_equal(provider_zone_walk("a.b.example.co.uk.", fake_soa, &f,
	                     &zone, &e),
	    PROVIDER_OK);
	assert_string_equal(zone, "example.co.uk");
	assert_string_equal(f.asked,
	    "a.b.example.co.uk b.example.co.uk example.co.uk");
	free(zone);
}

static void
test_walk_no_zone(void **state)
{
	struct fake f = { { { NULL, NULL } }, "" };
	struct err e;
	char *zone;

	(void)state;
	assert_int_equal(provider_zone_walk("mail.example.org", fake_soa, &f,
	                     &zone, &e),
	    PROVIDER_ERR_PERM);
	assert_null(zone);
	assert_string_equal(e.msg,
	    "no zone holding mail.example.org is served there");
	/* Never the root. */
	assert_string_equal(f.asked, "mail.example.org example.org org");
}

static void
test_walk_temporary_error(void **state)
{
	struct fake f = { { { "example.com", "-" } }, "" };
	struct err e;
	char *zone;

	(void)state;
	assert_int_equal(provider_zone_walk("www.example.com", fake_soa, &f,
	                     &zone, &e),
	    PROVIDER_ERR_TEMP);
	assert_null(zone);
	assert_string_equal(e.msg, "timeout asking example.com");
	assert_string_equal(f.asked, "www.example.com example.com");
}

static void
test_walk_bad_name(void **state)
{
	struct fake f = { { { NULL, NULL } }, "" };
	char name[300];
	struct err e;
	char *zone;

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(provider_zone_walk(name, fake_soa, &f, &zone, &e),
	    PROVIDER_ERR_PERM);
	assert_non_null(strstr(e.msg, "is not a domain name"));
	assert_string_equal(f.asked, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_finds_apex_from_authority),
		cmocka_unit_test(test_walk_goes_up),
		cmocka_unit_test(test_walk_no_zone),
		cmocka_unit_test(test_walk_temporary_error),
		cmocka_unit_test(test_walk_bad_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

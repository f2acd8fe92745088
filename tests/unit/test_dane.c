#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relayd/dane.h"

/* RFC 7672 3.1.3 and RFC 6698 2.1: which TLSA records SMTP can use. */
static void
test_tlsa_usability(void **state)
{
	(void)state;
	/* DANE-EE and DANE-TA, either selector, every matching type. */
	assert_null(dane_tlsa_unusable(3, 1, 1, 32));
	assert_null(dane_tlsa_unusable(3, 0, 1, 32));
	assert_null(dane_tlsa_unusable(2, 0, 1, 32));
	assert_null(dane_tlsa_unusable(2, 1, 2, 64));
	assert_null(dane_tlsa_unusable(3, 1, 0, 300));
	/* PKIX-TA and PKIX-EE are unusable for SMTP. */
	assert_non_null(strstr(dane_tlsa_unusable(0, 0, 1, 32), "PKIX"));
	assert_non_null(strstr(dane_tlsa_unusable(1, 1, 1, 32), "PKIX"));
	/* Unknown values and digests of the wrong length. */
	assert_non_null(dane_tlsa_unusable(4, 1, 1, 32));
	assert_non_null(dane_tlsa_unusable(255, 1, 1, 32));
	assert_non_null(dane_tlsa_unusable(3, 2, 1, 32));
	assert_non_null(dane_tlsa_unusable(3, 1, 3, 32));
	assert_non_null(dane_tlsa_unusable(3, 1, 1, 31));
	assert_non_null(dane_tlsa_unusable(3, 1, 1, 64));
	assert_non_null(dane_tlsa_unusable(3, 1, 2, 32));
	assert_non_null(dane_tlsa_unusable(3, 1, 0, 0));
}

static void
test_usage_names(void **state)
{
	(void)state;
	assert_string_equal(dane_usage_name(3), "dane-ee");
	assert_string_equal(dane_usage_name(2), "dane-ta");
	assert_string_equal(dane_usage_name(1), "none");
}

struct row {
	struct dane_facts f;
	enum dane_verdict want;
	const char *why; /* a part of the reason */
};

/* RFC 7672 section 2.2 as a table: facts -> what the connection needs. */
static void
test_decision_table(void **state)
{
	static const struct row rows[] = {
		/* MX insecure: unsigned, or a resolver that does not
		 * validate (signed answers without AD). */
		{ { false, false, true, DNS_OK, true, 1 }, DANE_NONE,
		    "not DNSSEC-secure" },
		{ { false, true, true, DNS_OK, true, 1 }, DANE_NONE,
		    "resolver 127.0.0.1:53 did not validate" },
		/* MX secure, host address insecure. */
		{ { true, true, false, DNS_OK, true, 1 }, DANE_NONE,
		    "address records of mx.example" },
		/* TLSA look-up failed (SERVFAIL, bogus, timeout). */
		{ { true, true, true, DNS_ERROR, false, 0 }, DANE_DEFER,
		    "TLSA look-up for mx.example failed" },
		/* Securely no TLSA: opportunistic. */
		{ { true, true, true, DNS_NXDOMAIN, true, 0 }, DANE_NONE,
		    "no TLSA records (secure denial)" },
		{ { true, true, true, DNS_NODATA, true, 0 }, DANE_NONE,
		    "no TLSA records (secure denial)" },
		/* An insecure denial or insecure records: no DANE. */
		{ { true, true, true, DNS_NODATA, false, 0 }, DANE_NONE,
		    "denial of TLSA records for mx.example is insecure" },
		{ { true, true, true, DNS_OK, false, 2 }, DANE_NONE,
		    "insecure (no AD bit)" },
		/* Secure records, none usable: TLS without authentication. */
		{ { true, true, true, DNS_OK, true, 0 }, DANE_TLS_ONLY,
		    "none is usable" },
		/* Secure usable records: authenticated TLS. */
		{ { true, true, true, DNS_OK, true, 2 }, DANE_AUTH,
		    "2 usable secure TLSA records" },
	};
	char why[300];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum dane_verdict v = dane_decide(&rows[i].f, "mx.example",
		    "127.0.0.1:53", why, sizeof(why));

		if (v != rows[i].want || strstr(why, rows[i].why) == NULL)
			fail_msg("row %zu: verdict %d, why \"%s\"", i, (int)v,
			    why);
	}
}

/* Hosts are found by name, case-insensitively. */
static void
test_dest_lookup(void **state)
{
	struct dane_host h[2];
	struct dane_dest d;

	(void)state;
	memset(h, 0, sizeof(h));
	memcpy(h[0].name, "mx1.example", 12);
	h[0].verdict = DANE_AUTH;
	memcpy(h[1].name, "MX2.example", 12);
	h[1].verdict = DANE_DEFER;
	memset(&d, 0, sizeof(d));
	d.hosts = h;
	d.nhosts = 2;
	assert_ptr_equal(dane_dest_host(&d, "mx1.example"), &h[0]);
	assert_ptr_equal(dane_dest_host(&d, "mx2.EXAMPLE"), &h[1]);
	assert_null(dane_dest_host(&d, "mx3.example"));
	assert_null(dane_dest_host(NULL, "mx1.example"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlsa_usability),
		cmocka_unit_test(test_usage_names),
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_dest_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

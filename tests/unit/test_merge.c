/* Unit tests for provision/spf_merge.c and provision/dmarc_merge.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "provision/merge.h"

#define MS "include:spf.protection.outlook.com"

struct spf_case {
	const char *name;
	const char *values[4]; /* the apex TXT values, NULL-terminated */
	const char *ips[3];    /* relay.public_ips, NULL-terminated */
	const char *includes[3];
	const char *all; /* NULL: -all */
	bool passes;     /* the relay already passes through DNS */
	enum merge_status want;
	const char *record;  /* the expected record, or the refusal prefix */
	const char *warning; /* a substring of the warnings, or NULL */
};

static const struct spf_case spf_cases[] = {
	{ "microsoft: the mission's example", { "v=spf1 " MS " -all" },
	    { "50.60.70.80" }, { "spf.protection.outlook.com" }, NULL, false,
	    MERGE_UPDATE, "v=spf1 " MS " ip4:50.60.70.80 -all", NULL },
	{ "microsoft: already there", { "v=spf1 " MS " ip4:50.60.70.80 -all" },
	    { "50.60.70.80" }, { "spf.protection.outlook.com" }, NULL, false,
	    MERGE_UNCHANGED, "v=spf1 " MS " ip4:50.60.70.80 -all", NULL },
	{ "covered by a wider ip4", { "v=spf1 ip4:50.60.70.0/24 " MS " -all" },
	    { "50.60.70.80" }, { "spf.protection.outlook.com" }, NULL, false,
	    MERGE_UNCHANGED, "v=spf1 ip4:50.60.70.0/24 " MS " -all", NULL },
	{ "covered by /32 written out", { "v=spf1 ip4:50.60.70.80/32 ~all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_UNCHANGED,
	    "v=spf1 ip4:50.60.70.80/32 ~all", NULL },
	{ "explicitly refused", { "v=spf1 -ip4:50.60.70.0/24 " MS " ~all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_REFUSED,
	    "the existing term \"-ip4:50.60.70.0/24\" does not pass the relay "
	    "address 50.60.70.80",
	    NULL },
	{ "no record: created with includes", { "MS=ms12345678" },
	    { "50.60.70.80" }, { "spf.protection.outlook.com" }, NULL, false,
	    MERGE_CREATE, "v=spf1 " MS " ip4:50.60.70.80 -all", NULL },
	{ "no TXT at all, softfail asked", { NULL }, { "50.60.70.80" },
	    { NULL }, "~all", false, MERGE_CREATE,
	    "v=spf1 ip4:50.60.70.80 ~all", NULL },
	{ "google plus microsoft", { "v=spf1 include:_spf.google.com ~all" },
	    { "50.60.70.80" }, { "spf.protection.outlook.com" }, NULL, false,
	    MERGE_UPDATE,
	    "v=spf1 include:_spf.google.com " MS " ip4:50.60.70.80 ~all",
	    NULL },
	{ "mixed includes, mx and a kept in order",
	    { "v=spf1 mx a:mail.example.com " MS " include:sendgrid.net -all" },
	    { "50.60.70.80" }, { "spf.protection.outlook.com" }, NULL, false,
	    MERGE_UPDATE,
	    "v=spf1 mx a:mail.example.com " MS
	    " include:sendgrid.net ip4:50.60.70.80 -all",
	    NULL },
	{ "redirect: added at the end", { "v=spf1 redirect=_spf.example.com" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 redirect=_spf.example.com ip4:50.60.70.80", NULL },
	{ "redirect with an include to add",
	    { "v=spf1 a redirect=_spf.example.com" }, { "50.60.70.80" },
	    { "spf.protection.outlook.com" }, NULL, false, MERGE_UPDATE,
	    "v=spf1 a redirect=_spf.example.com " MS " ip4:50.60.70.80", NULL },
	{ "ipv6 relay", { "v=spf1 " MS " -all" }, { "2001:db8::25" },
	    { "spf.protection.outlook.com" }, NULL, false, MERGE_UPDATE,
	    "v=spf1 " MS " ip6:2001:db8::25 -all", NULL },
	{ "ipv4 and ipv6", { "v=spf1 -all" }, { "50.60.70.80", "2001:db8::25" },
	    { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 ip4:50.60.70.80 ip6:2001:db8::25 -all", NULL },
	{ "ipv6 covered by a prefix", { "v=spf1 ip6:2001:db8::/32 -all" },
	    { "2001:db8::25" }, { NULL }, NULL, false, MERGE_UNCHANGED,
	    "v=spf1 ip6:2001:db8::/32 -all", NULL },
	{ "one of two addresses covered",
	    { "v=spf1 ip4:50.60.70.80 " MS " -all" },
	    { "50.60.70.80", "50.60.70.81" }, { NULL }, NULL, false,
	    MERGE_UPDATE, "v=spf1 ip4:50.60.70.80 " MS " ip4:50.60.70.81 -all",
	    NULL },
	{ "macros kept as written",
	    { "v=spf1 exists:%{i}._spf.example.com -all" }, { "50.60.70.80" },
	    { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 exists:%{i}._spf.example.com ip4:50.60.70.80 -all", NULL },
	{ "no all, no redirect", { "v=spf1 include:a.example.net" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 include:a.example.net ip4:50.60.70.80", NULL },
	{ "several SPF records",
	    { "v=spf1 " MS " -all", "v=spf1 include:_spf.google.com ~all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_REFUSED,
	    "the apex has 2 SPF records", NULL },
	{ "verification records beside SPF are skipped",
	    { "MS=ms12345678", "google-site-verification=abc",
	        "v=spf1 " MS " -all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 " MS " ip4:50.60.70.80 -all", NULL },
	{ "v=spf10 is not SPF", { "v=spf10 -all" }, { "50.60.70.80" }, { NULL },
	    NULL, false, MERGE_CREATE, "v=spf1 ip4:50.60.70.80 -all", NULL },
	{ "broken: empty include", { "v=spf1 include: -all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_REFUSED,
	    "the existing SPF record is broken", NULL },
	{ "broken: unknown mechanism", { "v=spf1 foo -all" }, { "50.60.70.80" },
	    { NULL }, NULL, false, MERGE_REFUSED,
	    "the existing SPF record is broken", NULL },
	{ "+all kept, warned", { "v=spf1 " MS " +all" }, { "50.60.70.80" },
	    { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 " MS " ip4:50.60.70.80 +all",
	    "the record ends in +all, which does not protect the domain" },
	{ "?all warned", { "v=spf1 ?all" }, { "50.60.70.80" }, { NULL }, NULL,
	    false, MERGE_UPDATE, "v=spf1 ip4:50.60.70.80 ?all",
	    "ends in ?all" },
	{ "ptr warned", { "v=spf1 ptr -all" }, { "50.60.70.80" }, { NULL },
	    NULL, false, MERGE_UPDATE, "v=spf1 ptr ip4:50.60.70.80 -all",
	    "\"ptr\" is deprecated" },
	{ "already passes through a or mx", { "v=spf1 a mx -all" },
	    { "50.60.70.80" }, { NULL }, NULL, true, MERGE_UNCHANGED,
	    "v=spf1 a mx -all", NULL },
	{ "include matched case-insensitively",
	    { "v=spf1 include:SPF.Protection.Outlook.COM -all" },
	    { "50.60.70.80" }, { "spf.protection.outlook.com" }, NULL, false,
	    MERGE_UPDATE,
	    "v=spf1 include:SPF.Protection.Outlook.COM ip4:50.60.70.80 -all",
	    NULL },
	{ "qualifiers kept", { "v=spf1 ~include:a.example -mx ?a -all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 ~include:a.example -mx ?a ip4:50.60.70.80 -all", NULL },
	{ "extra spaces: kept when unchanged",
	    { "v=spf1  ip4:50.60.70.80   -all" }, { "50.60.70.80" }, { NULL },
	    NULL, false, MERGE_UNCHANGED, "v=spf1  ip4:50.60.70.80   -all",
	    NULL },
	{ "extra spaces: single when changed", { "v=spf1  a   -all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 a ip4:50.60.70.80 -all", NULL },
	{ "exp= stays after all",
	    { "v=spf1 -all exp=explain._spf.example.com" }, { "50.60.70.80" },
	    { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 ip4:50.60.70.80 -all exp=explain._spf.example.com", NULL },
	{ "terms after all kept", { "v=spf1 -all include:late.example" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 ip4:50.60.70.80 -all include:late.example", NULL },
	{ "dual cidr kept", { "v=spf1 a/24//64 mx:mx.example.com/28 -all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 a/24//64 mx:mx.example.com/28 ip4:50.60.70.80 -all", NULL },
	{ "too long once the address is added",
	    { "v=spf1 include:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	      "aaaaa.example include:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	      "bbbbbbbbbbbb.example include:ccccccccccccccccccccccccccccccc"
	      "ccccccccccccccccccc.example include:dddddddddddddddddddddddd"
	      "dddddddddddddddddddddddddd.example include:eeeeeeeeeeeeeeeee"
	      "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.example a:gggggggggggggggg"
	      "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"
	      "ggggggg.example -all" },
	    { "50.60.70.80" }, { NULL }, NULL, false, MERGE_REFUSED,
	    "the SPF record would be 456 octets, over the 450 that fit a "
	    "512-byte answer (RFC 7208 3.4)",
	    NULL },
	{ "ipv4-mapped relay address written as ipv6", { "v=spf1 -all" },
	    { "::ffff:50.60.70.80" }, { NULL }, NULL, false, MERGE_UPDATE,
	    "v=spf1 ip6:::ffff:50.60.70.80 -all", NULL },
};

static void
run_spf_case(const struct spf_case *c)
{
	struct ipaddr ips[3];
	struct strlist inc = { NULL, 0 };
	struct spf_cfg spf;
	struct spf_merge_in in;
	struct merge_result r;
	bool passes[3] = { c->passes, c->passes, c->passes };
	size_t nv = 0, ni = 0;

	while (nv < 4 && c->values[nv] != NULL)
		nv++;
	while (ni < 3 && c->ips[ni] != NULL) {
		if (ip_parse(c->ips[ni], &ips[ni]) == -1)
			fail_msg("%s: bad test address", c->name);
		ni++;
	}
	while (inc.n < 3 && c->includes[inc.n] != NULL)
		inc.n++;
	inc.v = (char **)(uintptr_t)c->includes;
	spf.include = inc;
	spf.all = (char *)(uintptr_t)(c->all != NULL ? c->all : "-all");
	in = (struct spf_merge_in){ c->values, nv, ips, ni, passes, &spf };
	spf_merge(&in, &r);
	if (r.status != c->want)
		fail_msg("%s: status %d, want %d (%s)", c->name, r.status,
		    c->want, r.reason);
	if (c->want == MERGE_REFUSED) {
		if (strncmp(r.reason, c->record, strlen(c->record)) != 0)
			fail_msg("%s: reason \"%s\"", c->name, r.reason);
		assert_null(r.record);
	} else if (strcmp(r.record, c->record) != 0) {
		fail_msg("%s: got \"%s\"\n want \"%s\"", c->name, r.record,
		    c->record);
	}
	if (c->warning != NULL && strstr(r.warnings, c->warning) == NULL)
		fail_msg("%s: warnings \"%s\"", c->name, r.warnings);
	if (c->warning == NULL && r.warnings[0] != '\0')
		fail_msg("%s: unexpected warnings \"%s\"", c->name, r.warnings);
	merge_result_cleanup(&r);
}

static void
test_spf_merge(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(spf_cases); i++)
		run_spf_case(&spf_cases[i]);
	assert_true(NELEM(spf_cases) >= 30);
}

/* Which value is replaced: the SPF one among the others. */
static void
test_spf_existing_index(void **state)
{
	const char *values[] = { "MS=ms1", "v=spf1 -all", "other" };
	struct ipaddr ip;
	struct spf_cfg spf = { { NULL, 0 }, (char *)(uintptr_t) "-all" };
	struct spf_merge_in in = { values, 3, &ip, 1, NULL, &spf };
	struct merge_result r;

	(void)state;
	assert_int_equal(ip_parse("192.0.2.1", &ip), 0);
	spf_merge(&in, &r);
	assert_int_equal(r.status, MERGE_UPDATE);
	assert_int_equal(r.existing, 1);
	merge_result_cleanup(&r);
}

struct dmarc_case {
	const char *name;
	const char *values[3];
	struct dmarc_cfg cfg;
	enum merge_status want;
	const char *record;
	const char *warning;
};

#define CFG(p, sp, pct, adkim, aspf, rua)                                      \
	{                                                                      \
		p, sp, pct, adkim, aspf, (char *)(uintptr_t)(rua), NULL        \
	}
#define NONE DMARC_POLICY_NONE
#define QUAR DMARC_POLICY_QUARANTINE
#define REJ DMARC_POLICY_REJECT
#define UNS DMARC_POLICY_UNSET
#define AU DMARC_ALIGN_UNSET
#define AS DMARC_ALIGN_STRICT
#define RUA "mailto:dmarc@example.com"

static const struct dmarc_case dmarc_cases[] = {
	{ "created from the config", { NULL }, CFG(NONE, UNS, 101, AU, AU, RUA),
	    MERGE_CREATE, "v=DMARC1; p=none; rua=" RUA, NULL },
	{ "created with defaults", { NULL }, CFG(UNS, UNS, 101, AU, AU, NULL),
	    MERGE_CREATE, "v=DMARC1; p=none", NULL },
	{ "created strict", { NULL }, CFG(REJ, QUAR, 50, AS, AS, NULL),
	    MERGE_CREATE,
	    "v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; aspf=s",
	    NULL },
	{ "reject is never weakened", { "v=DMARC1; p=reject; rua=" RUA },
	    CFG(NONE, UNS, 101, AU, AU, RUA), MERGE_UNCHANGED,
	    "v=DMARC1; p=reject; rua=" RUA, NULL },
	{ "strengthened when asked", { "v=DMARC1; p=none; fo=1" },
	    CFG(QUAR, UNS, 101, AU, AU, NULL), MERGE_UPDATE,
	    "v=DMARC1; p=quarantine; fo=1", NULL },
	{ "existing rua kept, ours added",
	    { "v=DMARC1; p=none; rua=mailto:a@report.example" },
	    CFG(NONE, UNS, 101, AU, AU, RUA), MERGE_UPDATE,
	    "v=DMARC1; p=none; rua=mailto:a@report.example," RUA, NULL },
	{ "pct raised", { "v=DMARC1; p=quarantine; pct=50" },
	    CFG(UNS, UNS, 100, AU, AU, NULL), MERGE_UPDATE,
	    "v=DMARC1; p=quarantine; pct=100", NULL },
	{ "pct never lowered", { "v=DMARC1; p=quarantine; pct=50" },
	    CFG(UNS, UNS, 20, AU, AU, NULL), MERGE_UNCHANGED,
	    "v=DMARC1; p=quarantine; pct=50", NULL },
	{ "adkim never relaxed", { "v=DMARC1; p=none; adkim=s" },
	    CFG(UNS, UNS, 101, AU, AU, NULL), MERGE_UNCHANGED,
	    "v=DMARC1; p=none; adkim=s", NULL },
	{ "aspf made strict", { "v=DMARC1; p=none; aspf=r" },
	    CFG(UNS, UNS, 101, AU, AS, NULL), MERGE_UPDATE,
	    "v=DMARC1; p=none; aspf=s", NULL },
	{ "sp follows p when absent", { "v=DMARC1; p=reject" },
	    CFG(UNS, QUAR, 101, AU, AU, NULL), MERGE_UNCHANGED,
	    "v=DMARC1; p=reject", NULL },
	{ "not DMARC: left alone, reported, ours created", { "hello world" },
	    CFG(NONE, UNS, 101, AU, AU, NULL), MERGE_CREATE, "v=DMARC1; p=none",
	    "is not DMARC and is left alone" },
	{ "two DMARC records", { "v=DMARC1; p=none", "v=DMARC1; p=reject" },
	    CFG(NONE, UNS, 101, AU, AU, NULL), MERGE_REFUSED,
	    "_dmarc has 2 DMARC records", NULL },
	{ "broken: no p", { "v=DMARC1; rua=" RUA },
	    CFG(NONE, UNS, 101, AU, AU, NULL), MERGE_REFUSED,
	    "the DMARC record is broken (p= is missing or not valid)", NULL },
};

static void
test_dmarc_merge(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(dmarc_cases); i++) {
		const struct dmarc_case *c = &dmarc_cases[i];
		struct merge_result r;
		size_t nv = 0;

		while (nv < 3 && c->values[nv] != NULL)
			nv++;
		dmarc_merge(c->values, nv, &c->cfg, &r);
		if (r.status != c->want)
			fail_msg("%s: status %d, want %d (%s)", c->name,
			    r.status, c->want, r.reason);
		if (c->want == MERGE_REFUSED) {
			if (strncmp(r.reason, c->record, strlen(c->record)) !=
			    0)
				fail_msg("%s: reason \"%s\"", c->name,
				    r.reason);
		} else if (strcmp(r.record, c->record) != 0) {
			fail_msg("%s: got \"%s\" want \"%s\"", c->name,
			    r.record, c->record);
		}
		if (c->warning != NULL &&
		    strstr(r.warnings, c->warning) == NULL)
			fail_msg("%s: warnings \"%s\"", c->name, r.warnings);
		merge_result_cleanup(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spf_merge),
		cmocka_unit_test(test_spf_existing_index),
		cmocka_unit_test(test_dmarc_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

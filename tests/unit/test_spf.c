#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnscheck/spf.h"

/* RFC 7208 section 7.4: strong-bad@email.example.com from 192.0.2.3. */
static void
expect_macro(const char *macro, const char *ipt, const char *want)
{
	struct ipaddr ip;
	struct spf_macro_ctx c = { "strong-bad@email.example.com",
		"email.example.com", &ip, "mx.example.org", NULL, 1234, NULL,
		NULL };
	struct buf out;
	struct err e;

	assert_int_equal(ip_parse(ipt, &ip), 0);
	buf_init(&out, 0);
	assert_int_equal(spf_macro_expand(macro, strlen(macro), &c, true, &out,
	                     &e),
	    0);
	assert_string_equal(out.data, want);
	buf_cleanup(&out);
}

static void
test_macro_rfc_examples(void **state)
{
	(void)state;
	expect_macro("%{s}", "192.0.2.3", "strong-bad@email.example.com");
	expect_macro("%{o}", "192.0.2.3", "email.example.com");
	expect_macro("%{d}", "192.0.2.3", "email.example.com");
	expect_macro("%{d4}", "192.0.2.3", "email.example.com");
	expect_macro("%{d3}", "192.0.2.3", "email.example.com");
	expect_macro("%{d2}", "192.0.2.3", "example.com");
	expect_macro("%{d1}", "192.0.2.3", "com");
	expect_macro("%{dr}", "192.0.2.3", "com.example.email");
	expect_macro("%{d2r}", "192.0.2.3", "example.email");
	expect_macro("%{l}", "192.0.2.3", "strong-bad");
	expect_macro("%{l-}", "192.0.2.3", "strong.bad");
	expect_macro("%{lr}", "192.0.2.3", "strong-bad");
	expect_macro("%{lr-}", "192.0.2.3", "bad.strong");
	expect_macro("%{l1r-}", "192.0.2.3", "strong");
	expect_macro("%{ir}.%{v}._spf.%{d2}", "192.0.2.3",
	    "3.2.0.192.in-addr._spf.example.com");
	expect_macro("%{lr-}.lp._spf.%{d2}", "192.0.2.3",
	    "bad.strong.lp._spf.example.com");
	expect_macro("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "192.0.2.3",
	    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	expect_macro("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "192.0.2.3",
	    "3.2.0.192.in-addr.strong.lp._spf.example.com");
	expect_macro("%{d2}.trusted-domains.example.net", "192.0.2.3",
	    "example.com.trusted-domains.example.net");
	expect_macro("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01",
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "ip6._spf.example.com");
	expect_macro("%{S}", "192.0.2.3", "strong-bad%40email.example.com");
	expect_macro("%%%_%-", "192.0.2.3", "% %20");
	expect_macro("%{c} %{t} %{r} %{h} %{p}", "2001:db8::cb01",
	    "2001:db8::cb01 1234 unknown mx.example.org unknown");
	expect_macro("%{d1000r}", "192.0.2.3", "com.example.email");
}

static void
expect_macro_error(const char *macro, bool exp, const char *msg)
{
	struct err e;

	assert_int_equal(spf_macro_check(macro, strlen(macro), exp, &e), -1);
	assert_string_equal(e.msg, msg);
}

static void
test_macro_errors(void **state)
{
	(void)state;
	expect_macro_error("%{q}", false, "unknown macro letter in \"%{q}\"");
	expect_macro_error("%{d0}", false,
	    "macro digit transformer must not be 0");
	expect_macro_error("%{t}", false, "%{t} is allowed only in exp= text");
	expect_macro_error("%{d", false,
	    "unterminated or malformed macro \"%{d\"");
	expect_macro_error("a%", false, "\"%\" at the end of the text");
	expect_macro_error("%x", false, "bad macro \"%x\" (use %% for a %)");
	expect_macro_error("a b", false, "character 0x20 not allowed");
	assert_int_equal(spf_macro_check("a b %{t}", 8, true, NULL), 0);
}

static void
test_record_parse(void **state)
{
	const char *r = "v=spf1 -include:_spf.example.com a/24 "
	                "mx:mx.example.com/24//64 ip4:192.0.2.0/24 "
	                "ip6:2001:db8::/32 ~ptr exists:%{i}.x.example.com "
	                "?all foo=bar redirect=example.net exp=e.example.com";
	struct spf_record rec;
	struct err e;

	(void)state;
	assert_int_equal(spf_record_parse(r, strlen(r), &rec, &e), 0);
	assert_int_equal(rec.n, 11);
	assert_int_equal(rec.terms[0].kind, SPF_INCLUDE);
	assert_int_equal(rec.terms[0].qualifier, '-');
	assert_int_equal(rec.terms[0].spec_len, 16);
	assert_int_equal(rec.terms[1].kind, SPF_A);
	assert_int_equal(rec.terms[1].cidr4, 24);
	assert_int_equal(rec.terms[1].spec_len, 0);
	assert_int_equal(rec.terms[2].cidr4, 24);
	assert_int_equal(rec.terms[2].cidr6, 64);
	assert_memory_equal(rec.terms[2].spec, "mx.example.com", 14);
	assert_int_equal(rec.terms[3].cidr4, 24);
	assert_int_equal(rec.terms[4].cidr6, 32);
	assert_int_equal(rec.terms[5].qualifier, '~');
	assert_int_equal(rec.terms[7].kind, SPF_ALL);
	assert_int_equal(rec.terms[8].kind, SPF_UNKNOWN_MODIFIER);
	assert_int_equal(rec.terms[9].kind, SPF_REDIRECT);
	assert_int_equal(rec.terms[10].kind, SPF_EXP);
	assert_true(spf_term_queries_dns(&rec.terms[0]));
	assert_false(spf_term_queries_dns(&rec.terms[3]));
	spf_record_cleanup(&rec);
}

static void
expect_parse_error(const char *r, const char *msg)
{
	struct spf_record rec;
	struct err e;

	assert_int_equal(spf_record_parse(r, strlen(r), &rec, &e), -1);
	assert_string_equal(e.msg, msg);
}

static void
test_record_errors(void **state)
{
	(void)state;
	expect_parse_error("v=spf10", "not an SPF record (no \"v=spf1\")");
	expect_parse_error("v=spf1 foo",
	    "term \"foo\": unknown mechanism \"foo\"");
	expect_parse_error("v=spf1 a:foo",
	    "term \"a:foo\": domain-spec \"foo\" must end in a top-level "
	    "label or a macro");
	expect_parse_error("v=spf1 ip4:192.0.2.1/33",
	    "term \"ip4:192.0.2.1/33\": bad prefix length");
	expect_parse_error("v=spf1 ip4:1.2.3",
	    "term \"ip4:1.2.3\": \"1.2.3\" is not an IPv4 address");
	expect_parse_error("v=spf1 all:x",
	    "term \"all:x\": \"all\" takes no argument");
	expect_parse_error("v=spf1 include",
	    "term \"include\": \"include\" needs \":domain\"");
	expect_parse_error("v=spf1 redirect=a.com redirect=b.com",
	    "more than one redirect= modifier");
	expect_parse_error("v=spf1 a/024",
	    "term \"a/024\": bad text after \"a\"");
	expect_parse_error("v=spf1 exp=", "term \"exp=\": empty domain-spec");
	assert_true(spf_record_is_spf("v=spf1", 6));
	assert_true(spf_record_is_spf("V=SPF1 -all", 11));
	assert_false(spf_record_is_spf("v=spf1-all", 10));
}

static void
test_name_truncate(void **state)
{
	char name[600];

	(void)state;
	memset(name, 'a', 62);
	name[62] = '.';
	for (int i = 1; i < 5; i++) {
		memcpy(name + 63 * i, name, 63);
	}
	memcpy(name + 315, "example.com", 12);
	spf_name_truncate(name);
	assert_true(strlen(name) <= 253);
	assert_string_equal(name + strlen(name) - 11, "example.com");
}

/* The planner's count of a record not yet published: no DNS needed when
 * it has no include/redirect to follow (macros are not followed). */
static void
test_count_lookups(void **state)
{
	struct resolver_opts o;
	struct resolver *r;
	size_t lookups, voids;
	struct err e;

	(void)state;
	resolver_opts_default(&o);
	o.system = false;
	assert_int_equal(hostport_parse("127.0.0.1:9", 53, true, &o.server, &e),
	    0);
	r = resolver_new(&o, &e);
	assert_non_null(r);
	assert_int_equal(spf_count_lookups(r, "example.com",
	                     "v=spf1 a mx ptr exists:x.example.com "
	                     "include:%{d}.i.example.com ip4:192.0.2.1 -all",
	                     &lookups, &voids, &e),
	    0);
	assert_int_equal(lookups, 5);
	assert_int_equal(voids, 0);
	assert_int_equal(resolver_queries(r), 0);
	assert_int_equal(spf_count_lookups(r, "example.com", "v=spf1 foo",
	                     &lookups, &voids, &e),
	    -1);
	assert_string_equal(e.msg,
	    "example.com: term \"foo\": unknown mechanism \"foo\"");
	resolver_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_macro_rfc_examples),
		cmocka_unit_test(test_macro_errors),
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_record_errors),
		cmocka_unit_test(test_name_truncate),
		cmocka_unit_test(test_count_lookups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

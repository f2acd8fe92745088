#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "provision/providers/cloud.h"
#include "provision/providers/http.h"
#include "provision/providers/route53.h"

/* The cloud providers' pure parts: zone choice, TXT content forms, every
 * provider's answer decoders, Route 53's XML extractor and query order. */

#define S(x) x, strlen(x)

static void
test_pick_zone(void **state)
{
	struct cloud_items z = { 0 };
	char *p;

	(void)state;
	cloud_items_add(&z, "1", "example.com.", 0);
	cloud_items_add(&z, "2", "Sub.Example.com", 0);
	cloud_items_add(&z, "3", "ample.com", 0);
	p = cloud_pick_zone(&z, "a.b.sub.example.com");
	assert_string_equal(p, "sub.example.com");
	free(p);
	p = cloud_pick_zone(&z, "www.example.com");
	assert_string_equal(p, "example.com");
	free(p);
	p = cloud_pick_zone(&z, "EXAMPLE.COM");
	assert_string_equal(p, "example.com");
	free(p);
	assert_null(cloud_pick_zone(&z, "xample.com")); /* labels count */
	assert_null(cloud_pick_zone(&z, "example.org"));
	cloud_items_cleanup(&z);
	p = cloud_rel_name("example.com", "example.com");
	assert_string_equal(p, "@");
	free(p);
	p = cloud_rel_name("example.com", "pst1._domainkey.example.com");
	assert_string_equal(p, "pst1._domainkey");
	free(p);
}

static void
test_txt_content(void **state)
{
	struct txt_record r;
	char big[300], *c;
	struct err e;

	(void)state;
	assert_int_equal(cloud_txt_parse("v=spf1 -all", &r, &e), 0);
	assert_int_equal(r.n, 1);
	c = cloud_txt_content(&r);
	assert_string_equal(c, "v=spf1 -all"); /* as the API had it */
	free(c);
	txt_record_cleanup(&r);
	assert_int_equal(cloud_txt_parse("\"a b\" \"c\\\"d\"", &r, &e), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.s[1].data, "c\"d");
	c = cloud_txt_content(&r);
	assert_string_equal(c, "\"a b\" \"c\\\"d\"");
	free(c);
	txt_record_cleanup(&r);
	/* Over 255 octets, unquoted: split like any new value. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(cloud_txt_parse(big, &r, &e), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.s[0].len, 255);
	c = cloud_txt_content(&r);
	assert_true(c[0] == '"' && strlen(c) == 299 + 5);
	free(c);
	txt_record_cleanup(&r);
	/* Quoted, but one string over 255 octets: not a TXT record. */
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	assert_int_equal(cloud_txt_parse(big, &r, &e), PROVIDER_ERR_PERM);
}

static void
test_cloudflare(void **state)
{
	struct cloud_items l = { 0 };
	struct err e;
	char *t;

	(void)state;
	assert_int_equal(cf_decode_list(S("{\"success\":true,\"errors\":[],"
	                                  "\"result\":[{\"id\":\"r1\","
	                                  "\"content\":\"MS=1\",\"ttl\":300}],"
	                                  "\"result_info\":{\"total_pages\":3}"
	                                  "}"),
	                     true, &l, &e),
	    0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "r1");
	assert_string_equal(l.v[0].name, "MS=1");
	assert_int_equal(l.v[0].ttl, 300);
	assert_int_equal(l.pages, 3);
	cloud_items_cleanup(&l);
	assert_int_equal(cf_decode_list(S("{\"success\":false,\"errors\":[{"
	                                  "\"code\":9109,\"message\":\"Invalid "
	                                  "access token\"}],\"result\":null}"),
	                     false, &l, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg,
	    "the API answered success false: 9109: Invalid access token");
	assert_int_equal(cf_decode_list(S("{\"success\":true,\"result\":[{"
	                                  "\"id\":\"z\",\"name\":\"a.com\"}]}"),
	                     false, &l, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "\"result_info.total_pages\" is missing");
	cloud_items_cleanup(&l);
	assert_int_equal(cf_decode_list(S("{\"success\":true,\"result\":[{"
	                                  "\"id\":\"r\",\"content\":\"x\"}],"
	                                  "\"result_info\":{\"total_pages\":1}"
	                                  "}"),
	                     true, &l, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "record r has no valid \"ttl\"");
	cloud_items_cleanup(&l);
	t = cf_errtext(S("{\"errors\":[{\"code\":1,\"message\":\"a\"},{"
	                 "\"code\":2,\"message\":\"b\"}]}"));
	assert_string_equal(t, "1: a; 2: b");
	free(t);
	assert_null(cf_errtext(S("<html>")));
}

static void
test_digitalocean(void **state)
{
	struct cloud_items l = { 0 };
	struct err e;
	char *t;

	(void)state;
	assert_int_equal(do_decode_list(S("{\"domain_records\":[{\"id\":12,"
	                                  "\"data\":\"v=spf1 -all\",\"ttl\":"
	                                  "1800}],\"links\":{\"pages\":{"
	                                  "\"next\":"
	                                  "\"http://h/v2/x?page=2\"}}}"),
	                     true, &l, &e),
	    0);
	assert_string_equal(l.v[0].id, "12");
	assert_string_equal(l.next, "http://h/v2/x?page=2");
	cloud_items_cleanup(&l);
	assert_int_equal(do_decode_list(S("{\"domains\":[{\"name\":\"a.com\"}],"
	                                  "\"links\":{}}"),
	                     false, &l, &e),
	    0);
	assert_null(l.next);
	cloud_items_cleanup(&l);
	assert_int_equal(do_decode_list(S("{}"), true, &l, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg,
	    "the answer has no \"domain_records\" array");
	assert_int_equal(do_decode_list(S("{\"domain_records\":[{\"id\":\"12\","
	                                  "\"data\":\"x\",\"ttl\":1}]}"),
	                     true, &l, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg,
	    "a record lacks a numeric \"id\" or \"ttl\"");
	cloud_items_cleanup(&l);
	t = do_errtext(S("{\"id\":\"unauthorized\",\"message\":\"Unable to "
	                 "authenticate you\"}"));
	assert_string_equal(t, "unauthorized: Unable to authenticate you");
	free(t);
}

static void
test_gandi(void **state)
{
	struct cloud_items l = { 0 };
	struct err e;
	size_t n;
	char *t;

	(void)state;
	assert_int_equal(gandi_decode_rrsets(S("[{\"rrset_type\":\"MX\","
	                                       "\"rrset_ttl\":300,"
	                                       "\"rrset_values\":[\"0 a.\"]},{"
	                                       "\"rrset_type\":\"TXT\","
	                                       "\"rrset_ttl\":600,"
	                                       "\"rrset_values\":["
	                                       "\"\\\"a\\\"\","
	                                       "\"\\\"b\\\" \\\"c\\\"\"]}]"),
	                     &l, &n, &e),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].name, "\"b\" \"c\"");
	assert_int_equal(l.v[1].ttl, 600);
	cloud_items_cleanup(&l);
	assert_int_equal(gandi_decode_domains(S("{}"), &l, &n, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "the answer is not a JSON array");
	assert_int_equal(gandi_decode_rrsets(S("[{\"rrset_type\":\"TXT\"}]"),
	                     &l, &n, &e),
	    PROVIDER_ERR_PERM);
	cloud_items_cleanup(&l);
	t = gandi_errtext(S("{\"code\":400,\"message\":\"Validation error\","
	                    "\"errors\":[{\"name\":\"rrset_ttl\","
	                    "\"description\":\"too small\"}]}"));
	assert_string_equal(t, "Validation error; rrset_ttl: too small");
	free(t);
}

static void
test_azure(void **state)
{
	struct cloud_items l = { 0 };
	struct txt_set s;
	uint64_t life;
	struct err e;
	char *etag, *t;

	(void)state;
	assert_int_equal(az_decode_set(S("{\"etag\":\"E1\",\"properties\":{"
	                                 "\"TTL\":300,\"TXTRecords\":[{"
	                                 "\"value\":[\"a\",\"b\"]},{\"value\":"
	                                 "[\"MS=1\"]}]}}"),
	                     &s, &etag, &e),
	    0);
	assert_string_equal(etag, "E1");
	assert_int_equal(s.n, 2);
	assert_int_equal(s.rec[0].n, 2);
	assert_int_equal(s.ttl, 300);
	free(etag);
	txt_set_cleanup(&s);
	assert_int_equal(az_decode_set(S("{\"etag\":\"E\",\"properties\":{"
	                                 "\"TTL\":1,\"TXTRecords\":[{\"value\":"
	                                 "[]}]}}"),
	                     &s, &etag, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "a TXT record has no \"value\" array");
	assert_int_equal(az_decode_zones(S("{\"value\":[{\"name\":\"a.com\"}],"
	                                   "\"nextLink\":\"http://x/n\"}"),
	                     &l, &e),
	    0);
	assert_string_equal(l.next, "http://x/n");
	cloud_items_cleanup(&l);
	assert_int_equal(az_decode_token(S("{\"access_token\":\"tok\","
	                                   "\"expires_in\":3599}"),
	                     &t, &life, &e),
	    0);
	assert_string_equal(t, "tok");
	assert_int_equal(life, 3599);
	free(t);
	assert_int_equal(az_decode_token(S("{\"token_type\":\"Bearer\"}"), &t,
	                     &life, &e),
	    PROVIDER_ERR_PERM);
	t = az_errtext(S("{\"error\":{\"code\":\"PreconditionFailed\","
	                 "\"message\":\"m\"}}"));
	assert_string_equal(t, "PreconditionFailed: m");
	free(t);
	t = az_errtext(S("{\"error\":\"invalid_client\",\"error_description\":"
	                 "\"AADSTS7000215: bad\"}"));
	assert_string_equal(t, "invalid_client: AADSTS7000215: bad");
	free(t);
}

static void
test_r53_xml(void **state)
{
	const char *x = "<a><B>1 &amp; &lt;2&gt; &#65;&#x263A;</B></a>";
	const char *cs, *ce;
	char *t;

	(void)state;
	assert_non_null(r53_xml_find(x, x + strlen(x), "B", &cs, &ce));
	t = r53_xml_text(cs, ce);
	assert_string_equal(t, "1 & <2> A\xe2\x98\xba");
	free(t);
	assert_null(r53_xml_find(x, x + strlen(x), "C", &cs, &ce));
	x = "<B>&bogus;</B><C>a<d/></C><D>&#0;</D>";
	assert_non_null(r53_xml_find(x, x + strlen(x), "B", &cs, &ce));
	assert_null(r53_xml_text(cs, ce));
	assert_non_null(r53_xml_find(x, x + strlen(x), "C", &cs, &ce));
	assert_null(r53_xml_text(cs, ce)); /* an element is not text */
	assert_non_null(r53_xml_find(x, x + strlen(x), "D", &cs, &ce));
	assert_null(r53_xml_text(cs, ce));
	x = "<B>open";
	assert_null(r53_xml_find(x, x + strlen(x), "B", &cs, &ce));
	t = r53_xml_escape("\"a\" <&> b");
	assert_string_equal(t, "\"a\" &lt;&amp;&gt; b");
	free(t);
}

#define R53_ZONES                                                              \
	"<?xml version=\"1.0\"?><ListHostedZonesByNameResponse><HostedZones>"  \
	"<HostedZone><Id>/hostedzone/Z1</Id><Name>example.com.</Name>"         \
	"</HostedZone></HostedZones><IsTruncated>true</IsTruncated>"           \
	"<NextDNSName>f.com.</NextDNSName><NextHostedZoneId>Z2"                \
	"</NextHostedZoneId></ListHostedZonesByNameResponse>"
#define R53_SETS                                                               \
	"<ListResourceRecordSetsResponse><ResourceRecordSets>"                 \
	"<ResourceRecordSet><Name>example.com.</Name><Type>TXT</Type>"         \
	"<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>\"a\" \"b"      \
	"&amp;\"</Value></ResourceRecord><ResourceRecord><Value>\"MS=1\""      \
	"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>"      \
	"<ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type>"       \
	"</ResourceRecordSet></ResourceRecordSets><IsTruncated>false"          \
	"</IsTruncated></ListResourceRecordSetsResponse>"

static void
test_r53_decode(void **state)
{
	struct cloud_items l = { 0 };
	struct r53_page pg = { 0 };
	struct err e;
	bool past;
	char *id, *st;

	(void)state;
	assert_int_equal(r53_decode_zones(S(R53_ZONES), &l, &pg, &e), 0);
	assert_string_equal(l.v[0].id, "Z1");
	assert_string_equal(l.v[0].name, "example.com.");
	assert_true(pg.truncated);
	assert_string_equal(pg.next_name, "f.com.");
	assert_string_equal(pg.next_id, "Z2");
	cloud_items_cleanup(&l);
	assert_int_equal(r53_decode_rrsets(S(R53_SETS), "EXAMPLE.com", &l,
	                     &past, &pg, &e),
	    0);
	assert_true(past);
	assert_false(pg.truncated);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "\"a\" \"b&\"");
	assert_int_equal(l.v[0].ttl, 300);
	cloud_items_cleanup(&l);
	assert_int_equal(r53_decode_rrsets(S("<ListResourceRecordSetsResponse/"
	                                     ">"),
	                     "a.com", &l, &past, &pg, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "the answer has no ResourceRecordSets");
	assert_int_equal(r53_decode_zones(S("<html>502</html>"), &l, &pg, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg,
	    "the answer is not a ListHostedZonesByNameResponse (XML)");
	assert_int_equal(r53_decode_change(S("<ChangeInfo><Id>/change/C1</Id>"
	                                     "<Status>PENDING</Status>"
	                                     "</ChangeInfo>"),
	                     &id, &st, &e),
	    0);
	assert_string_equal(id, "/change/C1");
	assert_string_equal(st, "PENDING");
	free(id);
	free(st);
	r53_page_cleanup(&pg);
	id = r53_errtext(S("<ErrorResponse><Error><Code>Throttling</Code>"
	                   "<Message>Rate exceeded</Message></Error>"
	                   "</ErrorResponse>"));
	assert_string_equal(id, "Throttling: Rate exceeded");
	free(id);
	assert_true(r53_retryable(400, S("<Error><Code>Throttling</Code>"
	                                 "</Error>")));
	assert_true(r53_retryable(400, S("<Error><Code>PriorRequestNotComplete"
	                                 "</Code></Error>")));
	assert_false(r53_retryable(400, S("<Error><Code>InvalidChangeBatch"
	                                  "</Code></Error>")));
	assert_false(r53_retryable(403, S("<Error><Code>Throttling</Code>"
	                                  "</Error>")));
}

static void
test_r53_query(void **state)
{
	const char *keys[] = { "type", "name", "maxitems", "identifier" };
	const char *vals[] = { "TXT", "_dmarc.ex ample.com.", "300", NULL };
	char *q = r53_query(keys, vals, 4);

	(void)state;
	/* Sorted by key (SigV4's canonical order), RFC 3986 escaping. */
	assert_string_equal(q,
	    "maxitems=300&name=_dmarc.ex%20ample.com.&type=TXT");
	free(q);
}

static void
test_http_parts(void **state)
{
	char *t;

	(void)state;
	assert_int_equal(http_parse_retry_after(S("7")), 7);
	assert_int_equal(http_parse_retry_after(S(" 120")), 120);
	assert_int_equal(http_parse_retry_after(S("99999999999")), 86400);
	assert_int_equal(http_parse_retry_after(
	                     S("Wed, 21 Oct 2015 07:28:00 GMT")),
	    1);
	assert_int_equal(http_parse_retry_after(S("")), 0);
	t = http_body_excerpt(S("<html>\r\n  <b>x\x01</b>"));
	assert_string_equal(t, "<html> <b>x?</b>");
	free(t);
	t = http_body_excerpt(NULL, 0);
	assert_string_equal(t, "(empty body)");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_zone),
		cmocka_unit_test(test_txt_content),
		cmocka_unit_test(test_cloudflare),
		cmocka_unit_test(test_digitalocean),
		cmocka_unit_test(test_gandi),
		cmocka_unit_test(test_azure),
		cmocka_unit_test(test_r53_xml),
		cmocka_unit_test(test_r53_decode),
		cmocka_unit_test(test_r53_query),
		cmocka_unit_test(test_http_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

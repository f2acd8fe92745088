#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "provision/providers/powerdns_json.h"

#define ZONES                                                                  \
	"[{\"id\": \"example.com.\", \"name\": \"example.com.\", \"kind\": "   \
	"\"Native\"}, {\"id\": \"sub.example.com.\", \"name\": "               \
	"\"sub.example.com.\"}, {\"id\": \"=2Fodd.\", \"name\": \"/odd.\"}, "  \
	"{\"id\": \"ample.com.\", \"name\": \"ample.com.\"}]"

static int
zones(const char *body, const char *name, char **id, char **zone, struct err *e)
{
	return pdns_zones_parse(body, strlen(body), name, id, zone, e);
}

static void
test_zones_longest_match(void **state)
{
	char *id, *zone;
	struct err e;

	(void)state;
	assert_int_equal(zones(ZONES, "www.example.com", &id, &zone, &e), 0);
	assert_string_equal(id, "example.com.");
	assert_string_equal(zone, "example.com");
	free(id);
	free(zone);
	assert_int_equal(zones(ZONES, "a.sub.example.com", &id, &zone, &e), 0);
	assert_string_equal(zone, "sub.example.com");
	free(id);
	free(zone);
	assert_int_equal(zones(ZONES, "EXAMPLE.com", &id, &zone, &e), 0);
	assert_string_equal(zone, "example.com");
	free(id);
	free(zone);
	/* "ample.com" is not a parent of "example.com": labels count. */
	assert_int_equal(zones(ZONES, "xample.com", &id, &zone, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "the server has no zone holding xample.com");
	assert_null(zone);
}

static void
test_zones_bad_json(void **state)
{
	char *id, *zone;
	struct err e;

	(void)state;
	assert_int_equal(zones("{\"error\": \"x\"}", "a.com", &id, &zone, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "unexpected JSON from the API: the zone "
	                           "list is not an array");
	assert_int_equal(zones("[{\"name\": ", "a.com", &id, &zone, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "malformed JSON from the API: unexpected "
	                           "token near end of file (line 1)");
	/* Entries without id or name, or of the wrong type, are skipped. */
	assert_int_equal(zones("[1, {\"name\": \"a.com.\"}, {\"id\": 2, "
	                       "\"name\": \"a.com.\"}, {\"id\": \"x\", "
	                       "\"name\": \"\"}]",
	                     "a.com", &id, &zone, &e),
	    PROVIDER_ERR_PERM);
	assert_string_equal(e.msg, "the server has no zone holding a.com");
}

#define ZONE_BODY                                                              \
	"{\"name\": \"example.com.\", \"rrsets\": ["                           \
	"{\"name\": \"example.com.\", \"type\": \"MX\", \"ttl\": 3600, "       \
	"\"records\": [{\"content\": \"0 mx.example.com.\", \"disabled\": "    \
	"false}]},"                                                            \
	"{\"name\": \"example.com.\", \"type\": \"TXT\", \"ttl\": 300, "       \
	"\"records\": [{\"content\": \"\\\"v=spf1 -all\\\"\", \"disabled\": "  \
	"false}, {\"content\": \"\\\"MS=ms1\\\" \\\"2\\\"\", \"disabled\": "   \
	"false}, {\"content\": \"\\\"off\\\"\", \"disabled\": true}]},"        \
	"{\"name\": \"pst1._domainkey.example.com.\", \"type\": \"TXT\", "     \
	"\"ttl\": 3600, \"records\": [{\"content\": \"\\\"k\\\"\"}]}]}"

static void
test_rrset_parse(void **state)
{
	struct pdns_disabled d;
	struct txt_set s;
	struct err e;
	char *f;

	(void)state;
	assert_int_equal(pdns_rrset_parse(ZONE_BODY, strlen(ZONE_BODY),
	                     "example.com", &s, &d, &e),
	    0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.content[0], "\"off\"");
	assert_int_equal(d.ttl, 300);
	pdns_disabled_cleanup(&d);
	assert_int_equal(s.n, 2); /* the disabled record is not served */
	assert_int_equal(s.ttl, 300);
	f = txt_record_format(&s.rec[0]);
	assert_string_equal(f, "\"v=spf1 -all\"");
	free(f);
	f = txt_record_format(&s.rec[1]);
	assert_string_equal(f, "\"MS=ms1\" \"2\"");
	free(f);
	txt_set_cleanup(&s);
	assert_int_equal(pdns_rrset_parse(ZONE_BODY, strlen(ZONE_BODY),
	                     "PST1._domainkey.example.com", &s, NULL, &e),
	    0);
	assert_int_equal(s.n, 1);
	txt_set_cleanup(&s);
	assert_int_equal(pdns_rrset_parse(ZONE_BODY, strlen(ZONE_BODY),
	                     "none.example.com", &s, NULL, &e),
	    0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.ttl, 0);
}

static void
test_rrset_bad(void **state)
{
	static const struct {
		const char *body, *msg;
	} cases[] = {
		{ "[]", "unexpected JSON from the API: the zone has no rrsets "
		        "array" },
		{ "{\"rrsets\": [{\"name\": \"a.com.\", \"type\": \"TXT\", "
		  "\"records\": []}]}",
		    "unexpected JSON from the API: a TXT rrset without records "
		    "or ttl" },
		{ "{\"rrsets\": [{\"name\": \"a.com.\", \"type\": \"TXT\", "
		  "\"ttl\": -1, \"records\": []}]}",
		    "unexpected JSON from the API: a TXT rrset without records "
		    "or ttl" },
		{ "{\"rrsets\": [{\"name\": \"a.com.\", \"type\": \"TXT\", "
		  "\"ttl\": 1, \"records\": [{\"disabled\": false}]}]}",
		    "unexpected JSON from the API: a record without content" },
		{ "{\"rrsets\": [{\"name\": \"a.com.\", \"type\": \"TXT\", "
		  "\"ttl\": 1, \"records\": [{\"content\": "
		  "\"\\\"a\\\\999\\\"\"}]}]}",
		    "TXT content from the API: not a TXT record in zone-file "
		    "form: Syntax error, could not parse the RR's rdata" },
		{ "{\"rrsets\": [], \"rrsets\": []}",
		    "malformed JSON from the API: duplicate object key near "
		    "'\"rrsets\"' (line 1)" },
	};
	struct txt_set s;
	struct err e;

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct pdns_disabled d;

		assert_int_equal(pdns_rrset_parse(cases[i].body,
		                     strlen(cases[i].body), "a.com", &s, &d,
		                     &e),
		    PROVIDER_ERR_PERM);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(s.n, 0);
		assert_int_equal(d.n, 0);
		assert_null(d.content);
	}
}

static void
test_patch_body(void **state)
{
	struct txt_set s = { NULL, 0, 3600 };
	struct txt_record r = { NULL, 0 };
	char *body;

	(void)state;
	txt_record_add_string(&r, "say \"hi\"", 8);
	txt_record_add_string(&r, "\\", 1);
	txt_set_add(&s, &r);
	body = pdns_patch_body("pst1._domainkey.example.com", &s, NULL);
	assert_string_equal(body,
	    "{\"rrsets\":[{\"name\":\"pst1._domainkey.example.com.\","
	    "\"type\":\"TXT\",\"changetype\":\"REPLACE\",\"ttl\":3600,"
	    "\"records\":[{\"content\":\"\\\"say \\\\\\\"hi\\\\\\\"\\\" "
	    "\\\"\\\\\\\\\\\"\",\"disabled\":false}]}]}");
	free(body);
	txt_set_cleanup(&s);
	txt_record_cleanup(&r);
	body = pdns_patch_body("a.com", &s, NULL);
	assert_string_equal(body, "{\"rrsets\":[{\"name\":\"a.com.\",\"type\":"
	                          "\"TXT\",\"changetype\":\"DELETE\"}]}");
	free(body);
	/* Disabled records survive: a delete becomes a REPLACE keeping them. */
	char old[] = "\"old\"", *content[] = { old };
	struct pdns_disabled d = { content, 1, 600 };

	body = pdns_patch_body("a.com", &s, &d);
	assert_string_equal(body,
	    "{\"rrsets\":[{\"name\":\"a.com.\",\"type\":\"TXT\","
	    "\"changetype\":\"REPLACE\",\"ttl\":600,\"records\":[{"
	    "\"content\":\"\\\"old\\\"\",\"disabled\":true}]}]}");
	free(body);
}

static void
test_error_text(void **state)
{
	char big[500], *t;

	(void)state;
	t = pdns_error_text("{\"error\": \"Zone not found\"}", 27);
	assert_string_equal(t, "Zone not found");
	free(t);
	t = pdns_error_text("Unauthorized", 12);
	assert_string_equal(t, "Unauthorized");
	free(t);
	t = pdns_error_text("bad\r\n\x01", 6);
	assert_string_equal(t, "bad\\x0D\\x0A\\x01");
	free(t);
	t = pdns_error_text("", 0);
	assert_string_equal(t, "");
	free(t);
	memset(big, 'x', sizeof(big));
	t = pdns_error_text(big, sizeof(big));
	assert_int_equal(strlen(t), 303);
	assert_string_equal(t + 300, "...");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zones_longest_match),
		cmocka_unit_test(test_zones_bad_json),
		cmocka_unit_test(test_rrset_parse),
		cmocka_unit_test(test_rrset_bad),
		cmocka_unit_test(test_patch_body),
		cmocka_unit_test(test_error_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

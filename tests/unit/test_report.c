#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/util.h"
#include "dnscheck/report.h"

/* A hand-made report: the JSON schema of docs/check-json.md. */
static void
test_report_json(void **state)
{
	struct report rep = { CHECK_WARN, NULL, 1 };
	struct domain_report d = { 0 };
	json_t *j, *c;

	(void)state;
	d.name = xstrdup("example.com");
	d.status = CHECK_WARN;
	d.ready = true;
	d.ready_known = true;
	report_add(&d, CHECK_SPF, CHECK_OK, NULL, "192.0.2.1", "pass",
	    "SPF pass", NULL);
	report_add(&d, CHECK_DKIM, CHECK_WARN, "pst1", NULL, NULL, "t=y", NULL);
	report_add(&d, CHECK_PTR, CHECK_FAIL, NULL, "192.0.2.1", NULL, "no PTR",
	    "ask");
	rep.domains = &d;
	j = report_json(&rep);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "warn");
	c = json_array_get(json_object_get(j, "domains"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "name")),
	    "example.com");
	assert_true(json_is_true(json_object_get(c, "ready")));
	c = json_object_get(c, "checks");
	assert_int_equal(json_array_size(c), 3);
	assert_string_equal(json_string_value(
	                        json_object_get(json_array_get(c, 0),
	                            "result")),
	    "pass");
	assert_null(json_object_get(json_array_get(c, 0), "selector"));
	assert_null(json_object_get(json_array_get(c, 0), "fix"));
	assert_string_equal(json_string_value(
	                        json_object_get(json_array_get(c, 1),
	                            "selector")),
	    "pst1");
	assert_string_equal(json_string_value(
	                        json_object_get(json_array_get(c, 2), "check")),
	    "ptr");
	assert_string_equal(json_string_value(
	                        json_object_get(json_array_get(c, 2),
	                            "status")),
	    "fail");
	assert_string_equal(json_string_value(
	                        json_object_get(json_array_get(c, 2), "fix")),
	    "ask");
	json_decref(j);
	report_domain_cleanup(&d);
}

static void
test_report_text(void **state)
{
	struct report rep = { CHECK_FAIL, NULL, 1 };
	struct domain_report d = { 0 };
	struct buf out;

	(void)state;
	d.name = xstrdup("example.com");
	d.status = CHECK_FAIL;
	d.ready_known = true;
	report_add(&d, CHECK_PTR, CHECK_FAIL, NULL, "192.0.2.1", NULL, "no PTR",
	    "ask");
	report_add(&d, CHECK_LINT, CHECK_TEMPERROR, NULL, NULL, NULL, "DNS",
	    NULL);
	rep.domains = &d;
	buf_init(&out, 0);
	assert_int_equal(report_format(&rep, &out), 0);
	assert_string_equal(out.data, "example.com: FAIL (not ready)\n"
	                              "  FAIL      ptr       no PTR; fix: ask\n"
	                              "  temperror lint      DNS\n"
	                              "FAIL\n");
	buf_cleanup(&out);
	report_domain_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_report_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

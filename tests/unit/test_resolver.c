#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "dnscheck/resolver.h"
#include "dnscheck/text.h"
#include "unit.h"

static void
test_reverse_names(void **state)
{
	struct ipaddr ip;
	char name[80];

	(void)state;
	assert_int_equal(ip_parse("192.0.2.3", &ip), 0);
	resolver_reverse_name(&ip, name, sizeof(name));
	assert_string_equal(name, "3.2.0.192.in-addr.arpa");
	assert_int_equal(ip_parse("2001:db8::cb01", &ip), 0);
	resolver_reverse_name(&ip, name, sizeof(name));
	assert_string_equal(name, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	                          "0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

static void
test_opts_from_config(void **state)
{
	static const char yaml[] =
	    "dns: { resolver: \"127.0.0.1:5353\", timeout: 2s, retries: 0 }\n"
	    "relay: { hostname: r.example.com, public_ips: [192.0.2.1],\n"
	    "  listen: [{ address: \"127.0.0.1:2525\", tls: none, auth: none "
	    "}] }\n"
	    "domains: [{ name: example.com, provider: m }]\n"
	    "providers: { m: { type: manual } }\n";
	struct config *cfg = unit_config(yaml);
	struct resolver_opts o;

	(void)state;
	resolver_opts_from_config(&o, cfg);
	assert_false(o.system);
	assert_int_equal(o.server.port, 5353);
	assert_int_equal(o.timeout_ms, 2000);
	assert_int_equal(o.attempts, 1);
	assert_true(o.recursive);
	config_free(cfg);
	resolver_opts_default(&o);
	assert_true(o.system);
	assert_int_equal(o.attempts, 3);
}

static void
test_text_escape(void **state)
{
	char out[16];

	(void)state;
	text_escape("a\001b\xff", 4, out, sizeof(out));
	assert_string_equal(out, "a\\x01b\\xff");
	text_escape("0123456789abcdefghij", 20, out, sizeof(out));
	assert_string_equal(out, "0123456789ab...");
	assert_true(text_is_printable("v=spf1 -all", 11));
	assert_false(text_is_printable("v=spf1\t-all", 11));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reverse_names),
		cmocka_unit_test(test_opts_from_config),
		cmocka_unit_test(test_text_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for relayd/route.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"
#include "relayd/route.h"
#include "unit.h"

static const char routes_yaml[] =
    "relay:\n"
    "  hostname: relay.example.com\n"
    "  public_ips: [50.60.70.80]\n"
    "  listen: [{ address: \"127.0.0.1:2525\" }]\n"
    "  delivery: { port: 2526, tls: opportunistic }\n"
    "  routes:\n"
    "    - { domains: [example.com], via: \"tenant.mail.protection.outlook."
    "com\", tls: required }\n"
    "    - { domains: [\"*.example.org\"], via: \"[::1]:2600\" }\n"
    "    - { domains: [partner.net], via: \"smtp.partner.net:587\" }\n"
    "    - { domains: [\"*\"], via: mx }\n";

static void
test_routes(void **state)
{
	struct config *cfg = unit_config(routes_yaml);
	struct route_dest d;
	char key[300];

	(void)state;
	route_lookup(&cfg->relay, "Example.COM", &d);
	assert_false(d.mx);
	assert_string_equal(d.host, "tenant.mail.protection.outlook.com");
	assert_int_equal(d.port, 2526);
	assert_int_equal(d.tls, TLS_POLICY_REQUIRED);
	route_dest_key(&d, "example.com", key, sizeof(key));
	assert_string_equal(key,
	    "host:tenant.mail.protection.outlook.com:2526");
	/* Subdomains of example.com are not example.com. */
	route_lookup(&cfg->relay, "sub.example.com", &d);
	assert_true(d.mx);
	assert_int_equal(d.tls, TLS_POLICY_OPPORTUNISTIC);
	route_lookup(&cfg->relay, "a.b.example.org", &d);
	assert_false(d.mx);
	assert_string_equal(d.host, "::1");
	assert_int_equal(d.port, 2600);
	/* "*.example.org" does not match example.org itself. */
	route_lookup(&cfg->relay, "example.org", &d);
	assert_true(d.mx);
	route_dest_key(&d, "Example.ORG", key, sizeof(key));
	assert_string_equal(key, "mx:example.org:2526");
	route_lookup(&cfg->relay, "partner.net", &d);
	assert_int_equal(d.port, 587);
	assert_true(route_domain_matches("*", "anything"));
	assert_false(route_domain_matches("*.x.com", "evilx.com"));
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

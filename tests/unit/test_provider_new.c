#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/util.h"
#include "provision/provider.h"
#include "unit.h"

static const char yaml[] =
    "relay:\n"
    "  hostname: relay.example.com\n"
    "  public_ips: [127.0.0.1]\n"
    "  listen: [ { address: \"127.0.0.1:2525\", tls: none, auth: none } ]\n"
    "domains: [ { name: example.com, provider: cf } ]\n"
    "providers:\n"
    "  cf: { type: cloudflare, api_token: t }\n"
    "  main: { type: rfc2136, server: \"127.0.0.1:53\",\n"
    "          tsig: { name: k, secret: \"c2VjcmV0\" } }\n"
    "  pdns: { type: powerdns, url: \"http://127.0.0.1:8081\", api_key: k }\n"
    "  hand: { type: manual }\n"
    "  nowhere: { type: rfc2136, server: \"no-such-host.invalid\" }\n"
    "  aws: { type: route53, access_key_id: a, secret_access_key: s }\n"
    "  az: { type: azure, tenant_id: t, client_id: c, client_secret: s,\n"
    "        subscription_id: s, resource_group: g }\n"
    "  do: { type: digitalocean, token: t }\n"
    "  gandi: { type: gandi, token: t }\n";

static struct config *
load(void)
{
	return unit_config(yaml);
}

static const struct provider_cfg *
find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			return &cfg->providers[i];
	fail();
	return NULL;
}

static void
test_built_types(void **state)
{
	static const char *const names[] = { "main", "pdns", "hand", "cf",
		"aws", "az", "do", "gandi" };
	struct config *cfg = load();
	struct provider *p;
	struct err e;

	(void)state;
	for (size_t i = 0; i < NELEM(names); i++) {
		assert_int_equal(provider_new(cfg, find(cfg, names[i]), NULL,
		                     &p, &e),
		    PROVIDER_OK);
		assert_non_null(p);
		assert_ptr_equal(p->opts.out, stdout);
		assert_int_equal(p->opts.wait_timeout,
		    cfg->dns.propagation_timeout);
		provider_free(p);
	}
	config_free(cfg);
}

static void
test_server_unresolvable(void **state)
{
	struct config *cfg = load();
	struct provider *p;
	struct err e;

	(void)state;
	assert_int_equal(provider_new(cfg, find(cfg, "nowhere"), NULL, &p, &e),
	    PROVIDER_ERR_PERM);
	assert_null(p);
	assert_non_null(strstr(e.msg, "provider \"nowhere\" (rfc2136): server "
	                              "no-such-host.invalid: "
	                              "no-such-host.invalid: "));
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_built_types),
		cmocka_unit_test(test_server_unresolvable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

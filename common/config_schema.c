#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/config_int.h"
#include "common/util.h"

/*
 * The schema of DESIGN.md: one table per mapping, with every default, and
 * the checks that tie fields together. This file is the configuration
 * reference; templates/postern.yaml shows the same keys with comments.
 */

#define OFF(type, field) offsetof(struct type, field)

static const char *const listen_tls_names[] = { "none", "starttls", "implicit",
	NULL };
static const char *const listen_auth_names[] = { "required", "optional", "none",
	NULL };
const char *const config_tls_policy_names[] = { "opportunistic", "mta-sts",
	"dane", "required", "none", NULL };
static const char *const gate_mode_names[] = { "hold", "defer", "off", NULL };
const char *const config_key_alg_names[] = { "rsa-2048", "rsa-3072", "ed25519",
	NULL };
static const char *const dmarc_policy_names[] = { "none", "quarantine",
	"reject", NULL };
static const char *const dmarc_align_names[] = { "r", "s", NULL };
const char *const config_provider_type_names[] = { "rfc2136", "powerdns",
	"manual", "cloudflare", "route53", "azure", "digitalocean", "gandi",
	NULL };
static const char *const tsig_alg_names[] = { "hmac-md5", "hmac-sha1",
	"hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512", NULL };

/* Parse each entry of list (at key name of mapping n) as an address. */
static struct hostport *
parse_hostports(struct loader *ld, yaml_node_t *n, const char *name,
    const struct strlist *list, int default_port)
{
	struct hostport *hp = xcalloc(list->n, sizeof(*hp));
	struct err e;

	for (size_t i = 0; i < list->n; i++)
		if (hostport_parse(list->v[i], default_port, true, &hp[i],
		        &e) == -1)
			cfg_item_error(ld, n, name, i,
			    "expected IP or IP:PORT, got \"%s\": %s",
			    list->v[i], e.msg);
	return hp;
}

static void
dns_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct dns_cfg *d = obj;
	struct err e;

	d->resolver_system = strcmp(d->resolver, "system") == 0;
	if (!d->resolver_system &&
	    hostport_parse(d->resolver, 53, true, &d->resolver_hp, &e) == -1)
		cfg_key_error(ld, n, "resolver",
		    "expected \"system\" or IP[:PORT], got \"%s\": %s",
		    d->resolver, e.msg);
	free(d->authoritative_hp);
	d->authoritative_hp =
	    parse_hostports(ld, n, "authoritative", &d->authoritative, 53);
	for (size_t i = 0; i < d->blocklists.n; i++)
		if (!hostname_is_valid(d->blocklists.v[i]))
			cfg_item_error(ld, n, "blocklists", i,
			    "expected a DNSBL zone such as "
			    "zen.spamhaus.org, got \"%s\"",
			    d->blocklists.v[i]);
}

static const struct cfg_key dns_keys[] = {
	{ "resolver", CFG_STRING, "system", OFF(dns_cfg, resolver), 0 },
	{ "authoritative", CFG_STRLIST, NULL, OFF(dns_cfg, authoritative), 0 },
	{ "ttl", CFG_COUNT, "3600", OFF(dns_cfg, ttl), 0, .min = 1,
	    .max = 2147483647 },
	{ "blocklists", CFG_STRLIST,
	    "zen.spamhaus.org,bl.spamcop.net,b.barracudacentral.org",
	    OFF(dns_cfg, blocklists), 0 },
	{ "timeout", CFG_DURATION, "5s", OFF(dns_cfg, timeout), 0 },
	{ "retries", CFG_COUNT, "2", OFF(dns_cfg, retries), 0, .min = 0,
	    .max = 10 },
	{ "propagation_timeout", CFG_DURATION, "15m",
	    OFF(dns_cfg, propagation_timeout), 0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table dns_table = { dns_keys, sizeof(struct dns_cfg),
	NULL, dns_check };

/* Whether key name of mapping n holds a list (an empty one, for checks). */
static bool
is_seq(struct loader *ld, yaml_node_t *n, const char *name)
{
	yaml_node_t *v = cfg_value_node(ld, n, name);

	return v != n && v->type == YAML_SEQUENCE_NODE;
}

static void
listen_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct listen_cfg *l = obj;
	struct err e;

	l->pos = cfg_pos_of(n);
	if (l->address != NULL &&
	    hostport_parse(l->address, -1, true, &l->addr, &e) == -1)
		cfg_key_error(ld, n, "address",
		    "expected IP:PORT or [IPv6]:PORT, got \"%s\": %s",
		    l->address, e.msg);
}

static const struct cfg_key listen_keys[] = {
	{ "address", CFG_STRING, NULL, OFF(listen_cfg, address), CFG_REQUIRED },
	{ "tls", CFG_ENUM, "starttls", OFF(listen_cfg, tls), 0,
	    .names = listen_tls_names },
	{ "auth", CFG_ENUM, "required", OFF(listen_cfg, auth), 0,
	    .names = listen_auth_names },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table listen_table = { listen_keys,
	sizeof(struct listen_cfg), NULL, listen_check };

static const struct cfg_key tls_keys[] = {
	{ "certificate", CFG_STRING, NULL, OFF(tls_cfg, certificate), 0 },
	{ "key", CFG_STRING, NULL, OFF(tls_cfg, key), 0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table tls_table = { tls_keys, sizeof(struct tls_cfg),
	NULL, NULL };

static void
user_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct user_cfg *u = obj;
	const char *h = u->password_hash;

	/* crypt(3) hashes look like $ID$...; anything else never matches. */
	if (h != NULL && (h[0] != '$' || strchr(h + 1, '$') == NULL))
		cfg_key_error(ld, n, "password_hash",
		    "expected a crypt(3) hash such as $y$... or $6$... (make "
		    "one with `postern passwd`)");
	for (size_t i = 0; i < u->senders.n; i++)
		if (strchr(u->senders.v[i], '@') == NULL)
			cfg_item_error(ld, n, "senders", i,
			    "expected an address pattern such as "
			    "*@example.com, got \"%s\"",
			    u->senders.v[i]);
}

static const struct cfg_key user_keys[] = {
	{ "name", CFG_STRING, NULL, OFF(user_cfg, name), CFG_REQUIRED },
	{ "password_hash", CFG_STRING, NULL, OFF(user_cfg, password_hash),
	    CFG_REQUIRED },
	{ "senders", CFG_STRLIST, NULL, OFF(user_cfg, senders), 0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table user_table = { user_keys, sizeof(struct user_cfg),
	NULL, user_check };

static const struct cfg_key limits_keys[] = {
	{ "connections", CFG_COUNT, "1000", OFF(limits_cfg, connections), 0,
	    .min = 1, .max = 1000000 },
	{ "connections_per_ip", CFG_COUNT, "50",
	    OFF(limits_cfg, connections_per_ip), 0, .min = 1, .max = 1000000 },
	{ "recipients", CFG_COUNT, "1000", OFF(limits_cfg, recipients), 0,
	    .min = 1, .max = 1000000 },
	{ "errors", CFG_COUNT, "20", OFF(limits_cfg, errors), 0, .min = 1,
	    .max = 1000000 },
	{ "command_timeout", CFG_DURATION, "5m",
	    OFF(limits_cfg, command_timeout), 0 },
	{ "data_timeout", CFG_DURATION, "10m", OFF(limits_cfg, data_timeout),
	    0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table limits_table = { limits_keys,
	sizeof(struct limits_cfg), NULL, NULL };

static void
queue_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct queue_cfg *q = obj;

	if (q->retry.n == 0)
		cfg_key_error(ld, n, "retry",
		    "expected at least one interval, such as [5m, 30m, 1h]");
	for (size_t i = 0; i < q->retry.n; i++)
		if (q->retry.v[i] == 0)
			cfg_item_error(ld, n, "retry", i,
			    "a retry interval cannot be 0");
	if (q->max_age == 0)
		cfg_key_error(ld, n, "max_age",
		    "expected a duration greater than 0");
}

static const struct cfg_key queue_keys[] = {
	{ "path", CFG_STRING, "/var/spool/postern", OFF(queue_cfg, path), 0 },
	{ "max_age", CFG_DURATION, "5d", OFF(queue_cfg, max_age), 0 },
	{ "warn_after", CFG_DURATION, "4h", OFF(queue_cfg, warn_after), 0 },
	{ "retry", CFG_DURLIST, "5m,10m,30m,1h,2h,4h", OFF(queue_cfg, retry),
	    0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table queue_table = { queue_keys,
	sizeof(struct queue_cfg), NULL, queue_check };

static const struct cfg_key delivery_keys[] = {
	{ "port", CFG_PORT, "25", OFF(delivery_cfg, port), 0 },
	{ "tls", CFG_ENUM, "opportunistic", OFF(delivery_cfg, tls), 0,
	    .names = config_tls_policy_names },
	{ "concurrency", CFG_COUNT, "20", OFF(delivery_cfg, concurrency), 0,
	    .min = 1, .max = 10000 },
	{ "connect_timeout", CFG_DURATION, "30s",
	    OFF(delivery_cfg, connect_timeout), 0 },
	{ "ca_file", CFG_STRING, NULL, OFF(delivery_cfg, ca_file), 0 },
	{ "mta_sts_port", CFG_PORT, "443", OFF(delivery_cfg, mta_sts_port), 0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table delivery_table = { delivery_keys,
	sizeof(struct delivery_cfg), NULL, NULL };

static void
route_init(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct route_cfg *r = obj;

	(void)ld;
	(void)n;
	r->tls = TLS_POLICY_INHERIT;
}

static bool
route_domain_is_valid(const char *d)
{
	if (strcmp(d, "*") == 0)
		return true;
	if (strncmp(d, "*.", 2) == 0)
		d += 2;
	return hostname_is_valid(d);
}

static void
route_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct route_cfg *r = obj;
	struct err e;

	for (size_t i = 0; i < r->domains.n; i++) {
		str_lower(r->domains.v[i]);
		if (!route_domain_is_valid(r->domains.v[i]))
			cfg_item_error(ld, n, "domains", i,
			    "expected a domain, *.domain or *, got "
			    "\"%s\"",
			    r->domains.v[i]);
	}
	if (r->domains.n == 0 && is_seq(ld, n, "domains"))
		cfg_key_error(ld, n, "domains",
		    "expected at least one domain (\"*\" for all)");
	if (r->via != NULL && strcmp(r->via, "mx") == 0)
		r->via_mx = true;
	else if (r->via != NULL &&
	         hostport_parse(r->via, 0, false, &r->via_hp, &e) == -1)
		cfg_key_error(ld, n, "via",
		    "expected mx, HOST, HOST:PORT or [IPv6]:PORT, got \"%s\": "
		    "%s",
		    r->via, e.msg);
	if ((r->client_certificate == NULL) != (r->client_key == NULL))
		cfg_key_error(ld, n,
		    r->client_key == NULL ? "client_certificate" : "client_key",
		    "client_certificate and client_key go together");
}

static const struct cfg_key route_keys[] = {
	{ "domains", CFG_STRLIST, NULL, OFF(route_cfg, domains), CFG_REQUIRED },
	{ "via", CFG_STRING, NULL, OFF(route_cfg, via), CFG_REQUIRED },
	{ "tls", CFG_ENUM, NULL, OFF(route_cfg, tls), 0,
	    .names = config_tls_policy_names },
	{ "client_certificate", CFG_STRING, NULL,
	    OFF(route_cfg, client_certificate), 0 },
	{ "client_key", CFG_STRING, NULL, OFF(route_cfg, client_key), 0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table route_table = { route_keys,
	sizeof(struct route_cfg), route_init, route_check };

static void
gate_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct gate_cfg *g = obj;

	if (g->interval == 0)
		cfg_key_error(ld, n, "interval",
		    "expected a duration greater than 0");
}

static const struct cfg_key gate_keys[] = {
	{ "mode", CFG_ENUM, "hold", OFF(gate_cfg, mode), 0,
	    .names = gate_mode_names },
	{ "interval", CFG_DURATION, "15m", OFF(gate_cfg, interval), 0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table gate_table = { gate_keys, sizeof(struct gate_cfg),
	NULL, gate_check };

static void
relay_addresses(struct loader *ld, yaml_node_t *n, struct relay_cfg *r)
{
	struct err e;

	free(r->public_ip);
	r->public_ip = xcalloc(r->public_ips.n, sizeof(*r->public_ip));
	for (size_t i = 0; i < r->public_ips.n; i++)
		if (ip_parse(r->public_ips.v[i], &r->public_ip[i]) == -1)
			cfg_item_error(ld, n, "public_ips", i,
			    "expected an IPv4 or IPv6 address, got "
			    "\"%s\"",
			    r->public_ips.v[i]);
	if (r->public_ips.n == 0 && is_seq(ld, n, "public_ips"))
		cfg_key_error(ld, n, "public_ips",
		    "expected at least one address");
	free(r->allow_net);
	r->allow_net = xcalloc(r->allow_networks.n, sizeof(*r->allow_net));
	for (size_t i = 0; i < r->allow_networks.n; i++)
		if (cidr_parse(r->allow_networks.v[i], &r->allow_net[i], &e) ==
		    -1)
			cfg_item_error(ld, n, "allow_networks", i,
			    "expected a network such as "
			    "10.0.0.0/8, got \"%s\": %s",
			    r->allow_networks.v[i], e.msg);
	if (r->metrics[0] != '\0' &&
	    hostport_parse(r->metrics, -1, true, &r->metrics_hp, &e) == -1)
		cfg_key_error(ld, n, "metrics",
		    "expected IP:PORT (or \"\" for none), got \"%s\": %s",
		    r->metrics, e.msg);
}

static void
relay_listeners(struct loader *ld, yaml_node_t *n, struct relay_cfg *r)
{
	char a[300], b[300];

	if (r->nlisten == 0 && is_seq(ld, n, "listen"))
		cfg_key_error(ld, n, "listen",
		    "expected at least one listener");
	for (size_t i = 0; i < r->nlisten; i++) {
		if (r->listen[i].address == NULL)
			continue;
		hostport_format(&r->listen[i].addr, a, sizeof(a));
		for (size_t j = 0; j < i; j++) {
			if (r->listen[j].address == NULL)
				continue;
			hostport_format(&r->listen[j].addr, b, sizeof(b));
			if (strcmp(a, b) == 0)
				cfg_item_error(ld, n, "listen", i,
				    "address %s is already used by "
				    "entry %zu (line %d)",
				    a, j, r->listen[j].pos.line);
		}
	}
}

static void
relay_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct relay_cfg *r = obj;

	relay_addresses(ld, n, r);
	relay_listeners(ld, n, r);
	if ((r->tls.certificate == NULL) != (r->tls.key == NULL))
		cfg_key_error(ld, n, "tls",
		    "certificate and key go together (or neither, for a "
		    "self-signed certificate)");
	for (size_t i = 0; i < r->nusers; i++)
		for (size_t j = 0; j < i; j++)
			if (r->users[i].name != NULL &&
			    r->users[j].name != NULL &&
			    strcmp(r->users[i].name, r->users[j].name) == 0)
				cfg_item_error(ld, n, "users", i,
				    "user \"%s\" is already "
				    "defined by entry %zu",
				    r->users[i].name, j);
	r->run_as_default = r->run_as == NULL;
	if (r->run_as == NULL)
		r->run_as = xstrdup("postern");
	if (r->max_message_size < 1024)
		cfg_key_error(ld, n, "max_message_size",
		    "expected at least 1K");
}

static const struct cfg_key relay_keys[] = {
	{ "hostname", CFG_HOSTNAME, NULL, OFF(relay_cfg, hostname),
	    CFG_REQUIRED },
	{ "public_ips", CFG_STRLIST, NULL, OFF(relay_cfg, public_ips),
	    CFG_REQUIRED },
	{ "listen", CFG_LIST, NULL, OFF(relay_cfg, listen), CFG_REQUIRED,
	    .table = &listen_table, .off2 = OFF(relay_cfg, nlisten) },
	{ "tls", CFG_SECTION, NULL, OFF(relay_cfg, tls), 0,
	    .table = &tls_table },
	{ "users", CFG_LIST, NULL, OFF(relay_cfg, users), 0,
	    .table = &user_table, .off2 = OFF(relay_cfg, nusers) },
	{ "allow_networks", CFG_STRLIST, NULL, OFF(relay_cfg, allow_networks),
	    0 },
	{ "max_message_size", CFG_SIZE, "50M", OFF(relay_cfg, max_message_size),
	    0 },
	{ "limits", CFG_SECTION, NULL, OFF(relay_cfg, limits), 0,
	    .table = &limits_table },
	{ "queue", CFG_SECTION, NULL, OFF(relay_cfg, queue), 0,
	    .table = &queue_table },
	{ "delivery", CFG_SECTION, NULL, OFF(relay_cfg, delivery), 0,
	    .table = &delivery_table },
	{ "routes", CFG_LIST, NULL, OFF(relay_cfg, routes), 0,
	    .table = &route_table, .off2 = OFF(relay_cfg, nroutes) },
	{ "gate", CFG_SECTION, NULL, OFF(relay_cfg, gate), 0,
	    .table = &gate_table },
	{ "run_as", CFG_STRING, NULL, OFF(relay_cfg, run_as), CFG_EMPTY },
	{ "control", CFG_STRING, "/run/postern/control.sock",
	    OFF(relay_cfg, control), 0 },
	{ "metrics", CFG_STRING, "127.0.0.1:9465", OFF(relay_cfg, metrics),
	    CFG_EMPTY },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table relay_table = { relay_keys,
	sizeof(struct relay_cfg), NULL, relay_check };

static bool
selector_is_valid(const char *s)
{
	/* A selector is one or more DNS labels (RFC 6376 3.1). */
	return hostname_is_valid(s) && strlen(s) <= 63 * 2;
}

static void
dkim_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct dkim_cfg *d = obj;

	if (d->selector != NULL && !selector_is_valid(d->selector))
		cfg_key_error(ld, n, "selector",
		    "expected a DNS label such as pst1, got \"%s\"",
		    d->selector);
	else if (d->selector != NULL)
		str_lower(d->selector);
}

static const struct cfg_key dkim_keys[] = {
	{ "selector", CFG_STRING, NULL, OFF(dkim_cfg, selector), CFG_REQUIRED },
	{ "algorithm", CFG_ENUM, "rsa-2048", OFF(dkim_cfg, algorithm), 0,
	    .names = config_key_alg_names },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table dkim_table = { dkim_keys, sizeof(struct dkim_cfg),
	NULL, dkim_check };

static void
spf_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct spf_cfg *s = obj;

	if (strcmp(s->all, "+all") == 0)
		cfg_key_error(ld, n, "all",
		    "refusing \"+all\": it authorises every host on the "
		    "Internet; use -all or ~all");
	else if (strcmp(s->all, "-all") != 0 && strcmp(s->all, "~all") != 0 &&
	         strcmp(s->all, "?all") != 0)
		cfg_key_error(ld, n, "all",
		    "expected one of -all, ~all, ?all, got \"%s\"", s->all);
	for (size_t i = 0; i < s->include.n; i++)
		if (!hostname_is_valid(s->include.v[i]))
			cfg_item_error(ld, n, "include", i,
			    "expected a domain such as "
			    "spf.protection.outlook.com, got \"%s\"",
			    s->include.v[i]);
}

static const struct cfg_key spf_keys[] = {
	{ "include", CFG_STRLIST, NULL, OFF(spf_cfg, include), 0 },
	{ "all", CFG_STRING, "-all", OFF(spf_cfg, all), 0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table spf_table = { spf_keys, sizeof(struct spf_cfg),
	NULL, spf_check };

static void
dmarc_init(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct dmarc_cfg *d = obj;

	(void)ld;
	(void)n;
	d->policy = DMARC_POLICY_UNSET;
	d->sp = DMARC_POLICY_UNSET;
	d->pct = 101;
	d->adkim = DMARC_ALIGN_UNSET;
	d->aspf = DMARC_ALIGN_UNSET;
}

/* A DMARC report address list: comma-separated mailto: URIs. */
static void
dmarc_uri_check(struct loader *ld, yaml_node_t *n, const char *key,
    const char *v)
{
	const char *p = v;

	while (v != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len < 8 || strncmp(p, "mailto:", 7) != 0 ||
		    memchr(p, '@', len) == NULL) {
			cfg_key_error(ld, n, key,
			    "expected mailto:ADDRESS (comma-separated), got "
			    "\"%s\"",
			    v);
			return;
		}
		p += len + (end != NULL);
	}
}

static void
dmarc_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct dmarc_cfg *d = obj;

	dmarc_uri_check(ld, n, "rua", d->rua);
	dmarc_uri_check(ld, n, "ruf", d->ruf);
}

static const struct cfg_key dmarc_keys[] = {
	{ "policy", CFG_ENUM, NULL, OFF(dmarc_cfg, policy), 0,
	    .names = dmarc_policy_names },
	{ "sp", CFG_ENUM, NULL, OFF(dmarc_cfg, sp), 0,
	    .names = dmarc_policy_names },
	{ "pct", CFG_COUNT, NULL, OFF(dmarc_cfg, pct), 0, .min = 0,
	    .max = 100 },
	{ "adkim", CFG_ENUM, NULL, OFF(dmarc_cfg, adkim), 0,
	    .names = dmarc_align_names },
	{ "aspf", CFG_ENUM, NULL, OFF(dmarc_cfg, aspf), 0,
	    .names = dmarc_align_names },
	{ "rua", CFG_STRING, NULL, OFF(dmarc_cfg, rua), 0 },
	{ "ruf", CFG_STRING, NULL, OFF(dmarc_cfg, ruf), 0 },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table dmarc_table = { dmarc_keys,
	sizeof(struct dmarc_cfg), dmarc_init, dmarc_check };

static void
domain_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct domain_cfg *d = obj;
	size_t len;

	d->provider_pos = cfg_pos_of(cfg_value_node(ld, n, "provider"));
	if (d->name != NULL) {
		len = strlen(d->name);
		if (len > 1 && d->name[len - 1] == '.')
			d->name[len - 1] = '\0';
		if (!hostname_is_valid(d->name) || strchr(d->name, '.') == NULL)
			cfg_key_error(ld, n, "name",
			    "expected a domain such as example.com, got "
			    "\"%s\"",
			    d->name);
		str_lower(d->name);
	}
	/* No dkim key at all: one RSA-2048 selector, pst1. */
	if (cfg_value_node(ld, n, "dkim") == n &&
	    n->type == YAML_MAPPING_NODE) {
		d->dkim = xcalloc(1, sizeof(*d->dkim));
		d->dkim[0].selector = xstrdup("pst1");
		d->dkim[0].algorithm = KEY_ALG_RSA2048;
		d->ndkim = 1;
	}
	for (size_t i = 0; i < d->ndkim; i++)
		for (size_t j = 0; j < i; j++)
			if (d->dkim[i].selector != NULL &&
			    d->dkim[j].selector != NULL &&
			    strcmp(d->dkim[i].selector, d->dkim[j].selector) ==
			        0)
				cfg_item_error(ld, n, "dkim", i,
				    "selector \"%s\" is already "
				    "used by entry %zu",
				    d->dkim[i].selector, j);
}

static const struct cfg_key domain_keys[] = {
	{ "name", CFG_STRING, NULL, OFF(domain_cfg, name), CFG_REQUIRED },
	{ "provider", CFG_STRING, NULL, OFF(domain_cfg, provider),
	    CFG_REQUIRED },
	{ "dkim", CFG_LIST, NULL, OFF(domain_cfg, dkim), 0,
	    .table = &dkim_table, .off2 = OFF(domain_cfg, ndkim) },
	{ "spf", CFG_SECTION, NULL, OFF(domain_cfg, spf), 0,
	    .table = &spf_table },
	{ "dmarc", CFG_SECTION, NULL, OFF(domain_cfg, dmarc), 0,
	    .table = &dmarc_table },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table domain_table = { domain_keys,
	sizeof(struct domain_cfg), NULL, domain_check };

static void
tsig_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct tsig_cfg *t = obj;

	if (t->algorithm == NULL)
		return;
	for (size_t i = 0; tsig_alg_names[i] != NULL; i++)
		if (strcmp(t->algorithm, tsig_alg_names[i]) == 0)
			return;
	cfg_key_error(ld, n, "algorithm",
	    "expected one of hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, "
	    "hmac-sha384, hmac-sha512, got \"%s\"",
	    t->algorithm);
}

static const struct cfg_key tsig_keys[] = {
	{ "name", CFG_STRING, NULL, OFF(tsig_cfg, name), CFG_REQUIRED },
	{ "algorithm", CFG_STRING, "hmac-sha256", OFF(tsig_cfg, algorithm), 0 },
	{ "secret", CFG_SECRET, NULL, OFF(tsig_cfg, secret), CFG_REQUIRED },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_table tsig_table = { tsig_keys, sizeof(struct tsig_cfg),
	NULL, tsig_check };

#define PROVIDER_TYPE_KEY                                                      \
	{                                                                      \
		"type", CFG_ENUM, NULL, OFF(provider_cfg, type), CFG_REQUIRED, \
		    .names = config_provider_type_names                        \
	}
#define PROVIDER_ENDPOINT_KEY                                                  \
	{                                                                      \
		"endpoint", CFG_STRING, NULL, OFF(provider_cfg, endpoint),     \
		    CFG_ENV                                                    \
	}
#define PROVIDER_TIMEOUT_KEY                                                   \
	{                                                                      \
		"timeout", CFG_DURATION, "30s", OFF(provider_cfg, timeout), 0  \
	}
#define PROVIDER_COMMON_KEYS                                                   \
	PROVIDER_TYPE_KEY, PROVIDER_ENDPOINT_KEY, PROVIDER_TIMEOUT_KEY

static bool
is_http_url(const char *s)
{
	return s != NULL && (strncmp(s, "http://", 7) == 0 ||
	                        strncmp(s, "https://", 8) == 0);
}

static void
provider_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct provider_cfg *p = obj;
	struct err e;

	if (p->endpoint != NULL && !is_http_url(p->endpoint))
		cfg_key_error(ld, n, "endpoint",
		    "expected an http:// or https:// URL, got \"%s\"",
		    p->endpoint);
	if (p->url != NULL && !is_http_url(p->url))
		cfg_key_error(ld, n, "url",
		    "expected an http:// or https:// URL, got \"%s\"", p->url);
	if (p->login_endpoint != NULL && !is_http_url(p->login_endpoint))
		cfg_key_error(ld, n, "login_endpoint",
		    "expected an http:// or https:// URL, got \"%s\"",
		    p->login_endpoint);
	if (p->server != NULL &&
	    hostport_parse(p->server, 53, false, &p->server_hp, &e) == -1)
		cfg_key_error(ld, n, "server",
		    "expected HOST[:PORT] of the primary server, got \"%s\": "
		    "%s",
		    p->server, e.msg);
	p->has_tsig =
	    p->type == PROVIDER_RFC2136 && cfg_value_node(ld, n, "tsig") != n;
}

/* Route 53 also takes the standard AWS variables, as the AWS tools do. */
static void
route53_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct provider_cfg *p = obj;
	static const struct {
		const char *key, *env;
		size_t off;
	} vars[] = {
		{ "access_key_id", "AWS_ACCESS_KEY_ID",
		    OFF(provider_cfg, access_key_id) },
		{ "secret_access_key", "AWS_SECRET_ACCESS_KEY",
		    OFF(provider_cfg, secret_access_key) },
		{ "session_token", "AWS_SESSION_TOKEN",
		    OFF(provider_cfg, session_token) },
	};

	provider_check(ld, n, obj);
	for (size_t i = 0; i < NELEM(vars); i++) {
		char **f = (char **)((char *)p + vars[i].off);
		const char *v = getenv(vars[i].env);

		if (*f == NULL && v != NULL && v[0] != '\0')
			*f = xstrdup(v);
		if (*f == NULL && i < 2)
			cfg_error(ld, n,
			    "missing required key \"%s\" (or its _file form, "
			    "or %s in the environment)",
			    vars[i].key, vars[i].env);
	}
}

static const struct cfg_key rfc2136_keys[] = {
	PROVIDER_COMMON_KEYS,
	{ "server", CFG_STRING, NULL, OFF(provider_cfg, server),
	    CFG_REQUIRED | CFG_ENV },
	{ "tsig", CFG_SECTION, NULL, OFF(provider_cfg, tsig), 0,
	    .table = &tsig_table },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_key powerdns_keys[] = {
	PROVIDER_COMMON_KEYS,
	{ "url", CFG_STRING, NULL, OFF(provider_cfg, url),
	    CFG_REQUIRED | CFG_ENV },
	{ "api_key", CFG_SECRET, NULL, OFF(provider_cfg, api_key),
	    CFG_REQUIRED },
	{ "server_id", CFG_STRING, "localhost", OFF(provider_cfg, server_id),
	    CFG_ENV },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_key manual_keys[] = {
	PROVIDER_COMMON_KEYS,
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_key cloudflare_keys[] = {
	PROVIDER_COMMON_KEYS,
	{ "api_token", CFG_SECRET, NULL, OFF(provider_cfg, api_token),
	    CFG_REQUIRED },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_key route53_keys[] = {
	PROVIDER_COMMON_KEYS,
	{ "access_key_id", CFG_SECRET, NULL, OFF(provider_cfg, access_key_id),
	    0 },
	{ "secret_access_key", CFG_SECRET, NULL,
	    OFF(provider_cfg, secret_access_key), 0 },
	{ "session_token", CFG_SECRET, NULL, OFF(provider_cfg, session_token),
	    0 },
	{ "region", CFG_STRING, "us-east-1", OFF(provider_cfg, region),
	    CFG_ENV },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_key azure_keys[] = {
	PROVIDER_COMMON_KEYS,
	{ "tenant_id", CFG_STRING, NULL, OFF(provider_cfg, tenant_id),
	    CFG_REQUIRED | CFG_ENV },
	{ "client_id", CFG_STRING, NULL, OFF(provider_cfg, client_id),
	    CFG_REQUIRED | CFG_ENV },
	{ "client_secret", CFG_SECRET, NULL, OFF(provider_cfg, client_secret),
	    CFG_REQUIRED },
	{ "subscription_id", CFG_STRING, NULL,
	    OFF(provider_cfg, subscription_id), CFG_REQUIRED | CFG_ENV },
	{ "resource_group", CFG_STRING, NULL, OFF(provider_cfg, resource_group),
	    CFG_REQUIRED | CFG_ENV },
	{ "login_endpoint", CFG_STRING, NULL, OFF(provider_cfg, login_endpoint),
	    CFG_ENV },
	{ NULL, 0, NULL, 0, 0 },
};
static const struct cfg_key token_keys[] = {
	PROVIDER_COMMON_KEYS,
	{ "token", CFG_SECRET, NULL, OFF(provider_cfg, token), CFG_REQUIRED },
	{ NULL, 0, NULL, 0, 0 },
};

/* Indexed by enum provider_type. */
static const struct cfg_table provider_tables[] = {
	{ rfc2136_keys, sizeof(struct provider_cfg), NULL, provider_check },
	{ powerdns_keys, sizeof(struct provider_cfg), NULL, provider_check },
	{ manual_keys, sizeof(struct provider_cfg), NULL, provider_check },
	{ cloudflare_keys, sizeof(struct provider_cfg), NULL, provider_check },
	{ route53_keys, sizeof(struct provider_cfg), NULL, route53_check },
	{ azure_keys, sizeof(struct provider_cfg), NULL, provider_check },
	{ token_keys, sizeof(struct provider_cfg), NULL, provider_check },
	{ token_keys, sizeof(struct provider_cfg), NULL, provider_check },
};

/* The provider type named in mapping n, or -1 (and an error). */
static int
provider_type_of(struct loader *ld, yaml_node_t *n)
{
	yaml_node_t *tn = cfg_value_node(ld, n, "type");
	const char *t;
	size_t old;

	if (tn == n) {
		cfg_error(ld, n,
		    "missing required key \"type\" (one of "
		    "rfc2136, powerdns, manual, cloudflare, "
		    "route53, azure, digitalocean, gandi)");
		return -1;
	}
	old = cfg_path_push(ld, ".type");
	t = cfg_scalar(ld, tn, "a provider type");
	for (int i = 0; t != NULL && config_provider_type_names[i] != NULL;
	     i++) {
		if (strcmp(t, config_provider_type_names[i]) == 0) {
			cfg_path_pop(ld, old);
			return i;
		}
	}
	if (t != NULL)
		cfg_error(ld, tn,
		    "expected one of rfc2136, powerdns, manual, cloudflare, "
		    "route53, azure, digitalocean, gandi, got \"%s\"",
		    t);
	cfg_path_pop(ld, old);
	return -1;
}

static void
parse_providers(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct config *cfg = obj;

	if (n->type != YAML_MAPPING_NODE) {
		cfg_error(ld, n,
		    "expected a mapping of provider names to providers");
		return;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(&ld->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(&ld->doc, pr->value);
		const char *name = cfg_scalar(ld, kn, "a provider name");
		struct provider_cfg *p;
		size_t old;
		int type;

		if (name == NULL)
			continue;
		(void)cfg_strlist_add(&ld->provider_names, name);
		old = cfg_path_push(ld, ".%s", name);
		for (size_t i = 0; i < cfg->nproviders; i++)
			if (strcmp(cfg->providers[i].name, name) == 0)
				cfg_error(ld, kn, "duplicate provider name");
		if (vn->type != YAML_MAPPING_NODE) {
			cfg_error(ld, vn,
			    "expected a mapping such as { type: rfc2136, ... "
			    "}, got %s",
			    vn->type == YAML_SCALAR_NODE ? "a single value"
			                                 : "a list");
		} else if ((type = provider_type_of(ld, vn)) != -1) {
			cfg->providers = xrealloc(cfg->providers,
			    (cfg->nproviders + 1) * sizeof(*cfg->providers));
			p = &cfg->providers[cfg->nproviders++];
			memset(p, 0, sizeof(*p));
			p->name = xstrdup(name);
			cfg_parse_mapping(ld, vn, &provider_tables[type], p);
		}
		cfg_path_pop(ld, old);
	}
}

void
config_free_providers(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nproviders; i++) {
		struct provider_cfg *p = &cfg->providers[i];

		config_free_obj(&provider_tables[p->type], p);
		free(p->name);
	}
	free(cfg->providers);
}

static const struct cfg_key notify_keys[] = {
	{ "webhooks", CFG_STRLIST, NULL, OFF(notify_cfg, webhooks), 0 },
	{ NULL, 0, NULL, 0, 0 },
};

static void
notify_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct notify_cfg *nc = obj;

	for (size_t i = 0; i < nc->webhooks.n; i++)
		if (!is_http_url(nc->webhooks.v[i]))
			cfg_item_error(ld, n, "webhooks", i,
			    "expected an http:// or https:// URL, "
			    "got \"%s\"",
			    nc->webhooks.v[i]);
}

static const struct cfg_table notify_table = { notify_keys,
	sizeof(struct notify_cfg), NULL, notify_check };

/* Each domain's provider must exist; users send as the domains by default. */
static void
root_check(struct loader *ld, yaml_node_t *n, void *obj)
{
	struct config *cfg = obj;
	struct relay_cfg *r = &cfg->relay;

	for (size_t i = 0; i < cfg->ndomains; i++) {
		struct domain_cfg *d = &cfg->domains[i];
		bool found = false;

		for (size_t j = 0; d->provider != NULL && j < cfg->nproviders;
		     j++) {
			if (strcmp(cfg->providers[j].name, d->provider) == 0) {
				d->provider_index = j;
				found = true;
			}
		}
		/* A provider that is there but broken has its own error. */
		for (size_t j = 0;
		     d->provider != NULL && !found && j < ld->provider_names.n;
		     j++)
			found =
			    strcmp(ld->provider_names.v[j], d->provider) == 0;
		if (d->provider != NULL && !found) {
			cfg_errorf(ld, (size_t)d->provider_pos.line,
			    (size_t)d->provider_pos.col,
			    "domains[%zu].provider: unknown provider \"%s\"; "
			    "define it under providers:",
			    i, d->provider);
		}
		for (size_t j = 0; j < i; j++)
			if (d->name != NULL && cfg->domains[j].name != NULL &&
			    strcmp(d->name, cfg->domains[j].name) == 0)
				cfg_item_error(ld, n, "domains", i,
				    "domain %s is already "
				    "configured by entry %zu",
				    d->name, j);
	}
	for (size_t i = 0; i < r->nusers; i++) {
		struct user_cfg *u = &r->users[i];

		if (u->senders.n > 0 || ld->nerrors > 0)
			continue;
		for (size_t j = 0; j < cfg->ndomains; j++) {
			char *pat = xasprintf("*@%s", cfg->domains[j].name);

			(void)cfg_strlist_add(&u->senders, pat);
			free(pat);
		}
	}
}

static const struct cfg_key root_keys[] = {
	{ "state_dir", CFG_STRING, "/var/lib/postern", OFF(config, state_dir),
	    0 },
	{ "dns", CFG_SECTION, NULL, OFF(config, dns), 0, .table = &dns_table },
	{ "relay", CFG_SECTION, NULL, OFF(config, relay), CFG_REQUIRED,
	    .table = &relay_table },
	{ "domains", CFG_LIST, NULL, OFF(config, domains), 0,
	    .table = &domain_table, .off2 = OFF(config, ndomains) },
	{ "providers", CFG_CUSTOM, NULL, 0, 0, .custom = parse_providers },
	{ "notify", CFG_SECTION, NULL, OFF(config, notify), 0,
	    .table = &notify_table },
	{ NULL, 0, NULL, 0, 0 },
};
const struct cfg_table config_root_table = { root_keys, sizeof(struct config),
	NULL, root_check };

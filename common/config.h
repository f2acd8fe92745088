#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/buf.h"

/*
 * The configuration of DESIGN.md as plain structs. config_load() fills every
 * field (defaults included, see the key tables in config.c, which are the one
 * place defaults live); the result is immutable and freed by config_free().
 * Durations are in seconds, sizes in bytes.
 */

#define CONFIG_DEFAULT_PATH "/etc/postern/postern.yaml"
#define CONFIG_MAX_FILE (1024 * 1024)

struct strlist {
	char **v;
	size_t n;
};

struct durlist {
	uint64_t *v;
	size_t n;
};

/* Where a value stood in the file, for errors found after loading. */
struct cfg_pos {
	int line;
	int col;
};

enum listen_tls { LISTEN_TLS_NONE, LISTEN_TLS_STARTTLS, LISTEN_TLS_IMPLICIT };
enum listen_auth {
	LISTEN_AUTH_REQUIRED,
	LISTEN_AUTH_OPTIONAL,
	LISTEN_AUTH_NONE
};
enum tls_policy {
	TLS_POLICY_INHERIT = -1,
	TLS_POLICY_OPPORTUNISTIC,
	TLS_POLICY_MTA_STS,
	TLS_POLICY_DANE,
	TLS_POLICY_REQUIRED,
	TLS_POLICY_NONE
};
enum gate_mode { GATE_HOLD, GATE_DEFER, GATE_OFF };
enum key_alg { KEY_ALG_RSA2048, KEY_ALG_RSA3072, KEY_ALG_ED25519 };
enum dmarc_policy {
	DMARC_POLICY_UNSET = -1,
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT
};
enum dmarc_align {
	DMARC_ALIGN_UNSET = -1,
	DMARC_ALIGN_RELAXED,
	DMARC_ALIGN_STRICT
};
enum provider_type {
	PROVIDER_RFC2136,
	PROVIDER_POWERDNS,
	PROVIDER_MANUAL,
	PROVIDER_CLOUDFLARE,
	PROVIDER_ROUTE53,
	PROVIDER_AZURE,
	PROVIDER_DIGITALOCEAN,
	PROVIDER_GANDI
};

struct dns_cfg {
	char *resolver;              /* "system" or an address */
	bool resolver_system;        /* resolver is "system" */
	struct hostport resolver_hp; /* when !resolver_system */
	struct strlist authoritative;
	struct hostport *authoritative_hp; /* authoritative.n entries */
	uint64_t ttl;
	struct strlist blocklists;
	uint64_t timeout;             /* per query attempt */
	uint64_t retries;             /* attempts after the first */
	uint64_t propagation_timeout; /* apply: wait at most this long */
};

struct listen_cfg {
	char *address;
	struct hostport addr;
	enum listen_tls tls;
	enum listen_auth auth;
	struct cfg_pos pos;
};

struct user_cfg {
	char *name;
	char *password_hash;
	struct strlist senders; /* default: *@DOMAIN for each domain */
};

struct limits_cfg {
	uint64_t connections;
	uint64_t connections_per_ip;
	uint64_t recipients;
	uint64_t errors;
	uint64_t command_timeout;
	uint64_t data_timeout;
};

struct queue_cfg {
	char *path;
	uint64_t max_age;
	uint64_t warn_after; /* 0: no delay warning */
	struct durlist retry;
};

struct delivery_cfg {
	uint16_t port;
	enum tls_policy tls;
	uint64_t concurrency;
	uint64_t connect_timeout;
	char *ca_file;         /* CA certificates to trust; NULL: system's */
	uint16_t mta_sts_port; /* HTTPS port of mta-sts.DOMAIN (443) */
};

struct route_cfg {
	struct strlist domains; /* lower case; "*" or "*.example.com" */
	char *via;
	bool via_mx;            /* via: mx */
	struct hostport via_hp; /* otherwise; port 0: delivery.port */
	enum tls_policy tls;    /* TLS_POLICY_INHERIT: delivery.tls */
	char *client_certificate;
	char *client_key;
};

struct gate_cfg {
	enum gate_mode mode;
	uint64_t interval;
};

struct tls_cfg {
	char *certificate; /* NULL: self-signed, made on first start */
	char *key;
};

struct relay_cfg {
	char *hostname;
	struct strlist public_ips;
	struct ipaddr *public_ip; /* public_ips.n parsed addresses */
	struct listen_cfg *listen;
	size_t nlisten;
	struct tls_cfg tls;
	struct user_cfg *users;
	size_t nusers;
	struct strlist allow_networks;
	struct cidr *allow_net; /* allow_networks.n parsed networks */
	uint64_t max_message_size;
	struct limits_cfg limits;
	struct queue_cfg queue;
	struct delivery_cfg delivery;
	struct route_cfg *routes;
	size_t nroutes;
	struct gate_cfg gate;
	char *run_as; /* "" : do not switch user */
	bool run_as_default;
	char *control;
	char *metrics; /* "" : no metrics listener */
	struct hostport metrics_hp;
};

struct dkim_cfg {
	char *selector;
	enum key_alg algorithm;
};

struct spf_cfg {
	struct strlist include;
	char *all; /* "-all", "~all" or "?all" */
};

struct dmarc_cfg {
	enum dmarc_policy policy; /* UNSET: none for a new record */
	enum dmarc_policy sp;
	uint64_t pct; /* 0 to 100; 101 when unset */
	enum dmarc_align adkim;
	enum dmarc_align aspf;
	char *rua; /* NULL when unset */
	char *ruf;
};

struct domain_cfg {
	char *name; /* lower case, no trailing dot */
	char *provider;
	size_t provider_index; /* into config.providers */
	struct dkim_cfg *dkim;
	size_t ndkim;
	struct spf_cfg spf;
	struct dmarc_cfg dmarc;
	struct cfg_pos provider_pos;
};

struct tsig_cfg {
	char *name;
	char *algorithm;
	char *secret; /* base64, secret: wiped by config_free() */
};

struct provider_cfg {
	char *name;
	enum provider_type type;
	char *endpoint; /* HTTP providers: API base URL */
	uint64_t timeout;
	/* rfc2136 */
	char *server;
	struct hostport server_hp;
	bool has_tsig;
	struct tsig_cfg tsig;
	/* powerdns */
	char *url;
	char *api_key;
	char *server_id;
	/* cloudflare */
	char *api_token;
	/* route53 */
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
	char *region;
	/* azure */
	char *tenant_id;
	char *client_id;
	char *client_secret;
	char *subscription_id;
	char *resource_group;
	char *login_endpoint;
	/* digitalocean, gandi */
	char *token;
};

struct notify_cfg {
	struct strlist webhooks;
};

struct config {
	char *path;
	char *state_dir;
	struct dns_cfg dns;
	struct relay_cfg relay;
	struct domain_cfg *domains;
	size_t ndomains;
	struct provider_cfg *providers;
	size_t nproviders;
	struct notify_cfg notify;
};

/*
 * Load and validate the file at path. On success returns 0 and *out (caller
 * frees with config_free()). On failure returns -1 and appends every error,
 * one per line ("FILE:LINE:COL: key.path: message"), to errors.
 */
int config_load(const char *path, struct config **out, struct buf *errors) WUR;
/* The same for text in memory; name stands for the file in messages. */
int config_load_string(const char *name, const char *text, size_t len,
    struct config **out, struct buf *errors) WUR;
void config_free(struct config *cfg);
/* Override dns.resolver ("system" or IP[:PORT]), as --resolver does. */
int config_set_resolver(struct config *cfg, const char *resolver,
    struct err *e) WUR;

/* The domain entry for name (case-insensitive), or NULL. */
const struct domain_cfg *config_domain(const struct config *cfg,
    const char *name);
const char *config_provider_type_name(enum provider_type t);
const char *config_key_alg_name(enum key_alg a);
const char *config_tls_policy_name(enum tls_policy p);

#endif

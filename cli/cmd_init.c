#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crypt.h>
#include <openssl/rand.h>

#include "cli/cli.h"
#include "common/addr.h"
#include "common/buf.h"
#include "common/util.h"

/* postern init: a commented starter configuration for one company. */

#define INIT_MAX 8

struct init_opts {
	const char *domains[INIT_MAX];
	size_t ndomains;
	const char *ips[INIT_MAX];
	size_t nips;
	const char *provider;
	const char *out;
	const char *hostname;
	bool force;
};

/* The providers block for a type: its keys, secrets as ${ENV} or _file. */
static const struct {
	const char *type;
	const char *block;
} provider_blocks[] = {
	{ "rfc2136",
	    "{ type: rfc2136, server: \"127.0.0.1:53\",\n"
	    "          tsig: { name: postern, algorithm: hmac-sha256, "
	    "secret_file: /etc/postern/tsig.key } }\n"
	    "  # the TSIG secret: the base64 secret alone, as in a BIND/Knot "
	    "key statement" },
	{ "powerdns",
	    "{ type: powerdns, url: \"http://127.0.0.1:8081\", api_key_file: "
	    "/etc/postern/pdns.key,\n          server_id: localhost }" },
	{ "manual",
	    "{ type: manual }   # prints the records, waits until they are "
	    "visible" },
	{ "cloudflare",
	    "{ type: cloudflare, api_token: \"${CLOUDFLARE_API_TOKEN}\" }" },
	{ "route53",
	    "{ type: route53, access_key_id: \"${AWS_ACCESS_KEY_ID}\",\n"
	    "          secret_access_key: \"${AWS_SECRET_ACCESS_KEY}\", "
	    "region: "
	    "us-east-1 }" },
	{ "azure",
	    "{ type: azure, tenant_id: \"${AZURE_TENANT_ID}\", client_id: "
	    "\"${AZURE_CLIENT_ID}\",\n"
	    "          client_secret_file: /etc/postern/azure.secret,\n"
	    "          subscription_id: \"${AZURE_SUBSCRIPTION_ID}\", "
	    "resource_group: \"${AZURE_RESOURCE_GROUP}\" }" },
	{ "digitalocean",
	    "{ type: digitalocean, token: \"${DIGITALOCEAN_TOKEN}\" }" },
	{ "gandi", "{ type: gandi, token: \"${GANDI_PAT}\" }" },
};

/* A random password for the application, and its yescrypt hash. */
static int
make_password(char *pw, size_t pwlen, char *hash, size_t hashlen)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz"
	                               "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char rnd[20];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *h;

	if (pwlen <= sizeof(rnd) || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(rnd); i++)
		pw[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	pw[sizeof(rnd)] = '\0';
	memset(&cd, 0, sizeof(cd));
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (h = crypt_r(pw, salt, &cd)) == NULL || h[0] == '*' ||
	    str_copy(hash, hashlen, h) == -1)
		return -1;
	explicit_bzero(&cd, sizeof(cd));
	return 0;
}

/* "example.com" -> "example-com", as Exchange Online names inbound MXs. */
static void
tenant_label(const char *domain, char *dst, size_t dstlen)
{
	snprintf(dst, dstlen, "%s", domain);
	for (char *p = dst; *p != '\0'; p++)
		if (*p == '.')
			*p = '-';
}

static int
write_relay(struct buf *b, const struct init_opts *o, const char *hash)
{
	int rc = buf_printf(b,
	    "state_dir: /var/lib/postern\n\n"
	    "dns:\n  resolver: system\n  ttl: 3600\n\n"
	    "relay:\n"
	    "  hostname: %s   # the EHLO name: ask your hosting provider for a "
	    "PTR record\n"
	    "                  # of every public IP to this name\n"
	    "  public_ips: [",
	    o->hostname);

	for (size_t i = 0; rc == 0 && i < o->nips; i++)
		rc = buf_printf(b, "%s%s", i ? ", " : "", o->ips[i]);
	if (rc == 0)
		rc = buf_printf(b,
		    "]\n"
		    "  listen:\n"
		    "    - { address: \"0.0.0.0:587\", tls: starttls, auth: "
		    "required }\n"
		    "    - { address: \"0.0.0.0:465\", tls: implicit, auth: "
		    "required }\n"
		    "    - { address: \"127.0.0.1:2525\", tls: none, auth: "
		    "none "
		    "}   # allow-listed apps\n"
		    "  users:   # the application's login; make new hashes "
		    "with "
		    "`postern passwd`\n"
		    "    - { name: app, password_hash: \"%s\" }\n"
		    "  allow_networks: [127.0.0.1/32]\n"
		    "  queue: { path: /var/spool/postern }\n"
		    "  routes:   # mail for your own users goes to Exchange "
		    "Online\n",
		    hash);
	for (size_t i = 0; rc == 0 && i < o->ndomains; i++) {
		char label[256];

		tenant_label(o->domains[i], label, sizeof(label));
		rc = buf_printf(b,
		    "    - { domains: [%s], via: "
		    "\"%s.mail.protection.outlook.com\", tls: required }\n",
		    o->domains[i], label);
	}
	if (rc == 0)
		rc = buf_printf(b, "    - { domains: [\"*\"], via: mx }\n"
		                   "  gate: { mode: hold, interval: 15m }\n\n");
	return rc;
}

static int
write_domains(struct buf *b, const struct init_opts *o, const char *block)
{
	int rc = buf_printf(b, "domains:\n");

	for (size_t i = 0; rc == 0 && i < o->ndomains; i++)
		rc = buf_printf(b,
		    "  - name: %s\n    provider: dns\n    dkim:\n"
		    "      - { selector: pst1, algorithm: rsa-2048 }\n"
		    "      - { selector: pst1e, algorithm: ed25519 }\n"
		    "    spf: { include: [spf.protection.outlook.com], all: "
		    "\"-all\" }\n"
		    "    dmarc: { policy: none, rua: \"mailto:dmarc@%s\" }\n",
		    o->domains[i], o->domains[i]);
	if (rc == 0)
		rc = buf_printf(b,
		    "\nproviders:\n  dns: %s\n\nnotify:\n"
		    "  webhooks: []\n",
		    block);
	return rc;
}

static int
init_parse(struct cli *cli, int argc, char **argv, struct init_opts *o)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "domain", 1, NULL, 'd' }, { "ip", 1, NULL, 'i' },
		{ "provider", 1, NULL, 'p' }, { "hostname", 1, NULL, 'H' },
		{ "force", 0, NULL, 'f' }, { NULL, 0, NULL, 0 } };
	struct ipaddr ip;
	int ch;

	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "o:", opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		switch (ch) {
		case 'd':
			if (!hostname_is_valid(optarg) ||
			    strchr(optarg, '.') == NULL)
				return cli_usage_error(cli, "init",
				    "--domain: expected a domain such as "
				    "example.com, got \"%s\"",
				    optarg);
			if (o->ndomains == INIT_MAX)
				return cli_usage_error(cli, "init",
				    "at most %d domains", INIT_MAX);
			o->domains[o->ndomains++] = optarg;
			break;
		case 'i':
			if (ip_parse(optarg, &ip) == -1)
				return cli_usage_error(cli, "init",
				    "--ip: expected an IPv4 or IPv6 address, "
				    "got \"%s\"",
				    optarg);
			if (o->nips == INIT_MAX)
				return cli_usage_error(cli, "init",
				    "at most %d addresses", INIT_MAX);
			o->ips[o->nips++] = optarg;
			break;
		case 'p':
			o->provider = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'H':
			o->hostname = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'h':
			printf("usage: %s init --domain D --ip IP --provider "
			       "TYPE [--hostname NAME] [-o FILE] [--force]\n",
			    cli->prog);
			exit(EXIT_OK);
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error(cli, "init",
		    "unexpected argument \"%s\"", argv[optind]);
	if (o->ndomains == 0 || o->nips == 0 || o->provider == NULL)
		return cli_usage_error(cli, "init",
		    "--domain, --ip and --provider are required");
	return EXIT_OK;
}

/* Write text to path, refusing to replace an existing file unless force. */
static int
write_out(struct cli *cli, const struct init_opts *o, const char *text)
{
	FILE *f;
	int fd;

	if (o->out == NULL) {
		fputs(text, stdout);
		return EXIT_OK;
	}
	fd = open(o->out,
	    O_WRONLY | O_CREAT | O_CLOEXEC | (o->force ? O_TRUNC : O_EXCL),
	    0640);
	if (fd == -1)
		return cli_usage_error(cli, "init", "%s: %s%s", o->out,
		    strerror(errno),
		    errno == EEXIST ? " (use --force to replace it)" : "");
	f = fdopen(fd, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF)
		return cli_usage_error(cli, "init", "%s: write failed", o->out);
	fprintf(stderr, "wrote %s\n", o->out);
	return EXIT_OK;
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	struct init_opts o;
	char pw[64], hash[256], host[300];
	const char *block = NULL;
	struct buf b;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = init_parse(cli, argc, argv, &o)) != EXIT_OK)
		return rc;
	for (size_t i = 0; i < NELEM(provider_blocks); i++)
		if (strcmp(o.provider, provider_blocks[i].type) == 0)
			block = provider_blocks[i].block;
	if (block == NULL)
		return cli_usage_error(cli, "init",
		    "--provider: expected one of rfc2136, powerdns, manual, "
		    "cloudflare, route53, azure, digitalocean, gandi, got "
		    "\"%s\"",
		    o.provider);
	if (o.hostname == NULL) {
		snprintf(host, sizeof(host), "relay.%s", o.domains[0]);
		o.hostname = host;
	}
	if (make_password(pw, sizeof(pw), hash, sizeof(hash)) == -1)
		return cli_usage_error(cli, "init",
		    "could not make a password");
	buf_init(&b, 0);
	rc = buf_printf(&b,
	    "# Postern starter configuration, made by `postern init`.\n"
	    "# Every key is described in templates/postern.yaml; check with\n"
	    "# `postern config check -c FILE`, then run `postern "
	    "migrate`.\n\n");
	if (rc == 0)
		rc = write_relay(&b, &o, hash);
	if (rc == 0)
		rc = write_domains(&b, &o, block);
	rc = rc == 0 ? write_out(cli, &o, b.data) : EXIT_USAGE;
	if (rc == EXIT_OK)
		fprintf(stderr,
		    "The application logs in as user \"app\" with password "
		    "%s\n(shown once; only its hash is in the file).\n",
		    pw);
	explicit_bzero(pw, sizeof(pw));
	buf_cleanup(&b);
	return rc;
}

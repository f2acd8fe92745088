#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/plan.h"
#include "common/util.h"
#include "dnscheck/report.h"
#include "keys/keys.h"

/*
 * postern migrate: the one-command migration. Configuration, keys, plan,
 * apply, propagation, checks; then the domains are marked ready and a
 * running posternd is told to reload. Safe to run again at any point.
 */

#define STEPS 6

static void
step(int n, const char *what)
{
	printf("[%d/%d] %s\n", n, STEPS, what);
	fflush(stdout);
}

/* state_dir/migrated.json: each ready domain and when it became so. */
static void
mark_ready(const struct config *cfg, const struct plan *p)
{
	char *path = xasprintf("%s/migrated.json", cfg->state_dir);
	json_t *j = json_load_file(path, 0, NULL), *d;
	char *text;
	struct err e;

	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	for (size_t i = 0; i < p->n; i++) {
		if (p->domains[i].refused)
			continue;
		d = json_object_get(j, p->domains[i].dc->name);
		if (d == NULL)
			json_object_set_new(j, p->domains[i].dc->name,
			    json_integer((json_int_t)time(NULL)));
	}
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL || mkdir_p(cfg->state_dir, 0700, &e) == -1 ||
	    file_write_atomic(path, text, strlen(text), 0600, &e) == -1)
		fprintf(stderr, "postern migrate: cannot record %s\n", path);
	free(text);
	free(path);
	json_decref(j);
}

/* What the legacy application is pointed at now. */
static void
summary_app(const struct config *cfg)
{
	const struct relay_cfg *r = &cfg->relay;

	printf("\nPoint the application at %s:\n", r->hostname);
	for (size_t i = 0; i < r->nlisten; i++) {
		const struct listen_cfg *l = &r->listen[i];

		printf("  port %u, %s, %s\n", l->addr.port,
		    l->tls == LISTEN_TLS_STARTTLS   ? "STARTTLS"
		    : l->tls == LISTEN_TLS_IMPLICIT ? "TLS (SMTPS)"
		                                    : "no TLS",
		    l->auth == LISTEN_AUTH_NONE
		        ? "no login, from allow_networks only"
		    : l->auth == LISTEN_AUTH_OPTIONAL
		        ? "login, or none from allow_networks"
		        : "login required");
	}
	for (size_t i = 0; i < r->nusers; i++)
		printf("  user %s may send as %s%s\n", r->users[i].name,
		    r->users[i].senders.n > 0 ? r->users[i].senders.v[0] : "-",
		    r->users[i].senders.n > 1 ? " (and more)" : "");
}

/* For routes to Exchange Online: the connector that makes it accept them. */
static void
summary_exchange(const struct config *cfg)
{
	const struct relay_cfg *r = &cfg->relay;

	for (size_t i = 0; i < r->nroutes; i++) {
		const struct route_cfg *rt = &r->routes[i];

		if (rt->via_mx || strstr(rt->via_hp.host,
		                      ".mail.protection.outlook.com") == NULL)
			continue;
		printf("\nMail for %s goes to Exchange Online (%s). So that "
		       "its "
		       "\"reject direct send\"\nsetting accepts it, create an "
		       "inbound connector (Exchange Online PowerShell):\n\n",
		    rt->domains.v[0], rt->via_hp.host);
		printf("  New-InboundConnector -Name \"Postern %s\" "
		       "-ConnectorType OnPremises -RequireTls $true `\n",
		    r->hostname);
		if (rt->client_certificate != NULL)
			printf("    -RestrictDomainsToCertificate $true "
			       "-TlsSenderCertificateName %s\n",
			    r->hostname);
		else {
			printf("    -RestrictDomainsToIPAddresses $true "
			       "-SenderIPAddresses ");
			for (size_t j = 0; j < r->public_ips.n; j++)
				printf("%s%s", j ? "," : "",
				    r->public_ips.v[j]);
			printf("\n");
		}
		return;
	}
}

static int
migrate_parse(struct cli *cli, int argc, char **argv, struct plan_flags *f)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "yes", 0, NULL, 'y' }, { NULL, 0, NULL, 0 } };
	int ch;

	memset(f, 0, sizeof(*f));
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "y", opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		if (ch == 'y') {
			f->yes = true;
		} else if (ch == 'h') {
			printf("usage: %s migrate [-c FILE] [--yes]\n",
			    cli->prog);
			exit(EXIT_OK);
		} else {
			return cli_usage_error(cli, "migrate",
			    "usage: migrate [-c FILE] [--yes]");
		}
	}
	if (optind != argc)
		return cli_usage_error(cli, "migrate",
		    "unexpected argument \"%s\"", argv[optind]);
	return EXIT_OK;
}

int
cmd_migrate(struct cli *cli, int argc, char **argv)
{
	struct plan_session s;
	struct plan_flags f;
	struct config *cfg;
	bool changes;
	int rc;

	if ((rc = migrate_parse(cli, argc, argv, &f)) != EXIT_OK)
		return rc;
	step(1, "Checking the configuration");
	if ((cfg = cli_load_config(cli)) == NULL)
		return EXIT_USAGE;
	printf("      %s: %zu domain%s\n", cli->config_path, cfg->ndomains,
	    cfg->ndomains == 1 ? "" : "s");
	step(2, "DKIM keys");
	rc = keys_generate_missing(cfg);
	config_free(cfg);
	if (rc != EXIT_OK)
		return rc;
	step(3, "Reading DNS and planning the changes");
	if ((rc = plan_session_open(cli, &s, NULL)) != EXIT_OK) {
		plan_session_close(&s);
		return rc;
	}
	plan_print(&s.plan, stdout);
	changes = plan_has_changes(&s.plan);
	step(4, changes ? "Applying the changes and waiting until every "
	                  "authoritative server serves them"
	                : "Nothing to change: DNS already has every record");
	fflush(stdout);
	rc = plan_apply(cli, &s, &f);
	step(5, "Checking SPF, DKIM, DMARC and PTR");
	if (rc != EXIT_TEMP) {
		int v = plan_verify(&s, stdout);

		rc = v > rc ? v : rc;
	}
	step(6, rc == EXIT_OK ? "Done: the domains are ready"
	                      : "Not ready yet: see above");
	if (rc == EXIT_OK) {
		mark_ready(s.cfg, &s.plan);
		plan_tell_daemon(s.cfg);
		summary_app(s.cfg);
		summary_exchange(s.cfg);
	}
	plan_session_close(&s);
	return rc;
}

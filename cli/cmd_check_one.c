#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check.h"
#include "common/util.h"
#include "dnscheck/report.h"
#include "keys/keys.h"

/* postern check dkim|dmarc|ptr: one check, printed like the report. */

/*
 * One selector; compared with the local key when the config names it for
 * this domain (a missing local key is then a failure, as in the report).
 */
static void
check_dkim_one(const struct config *cfg, const struct domain_cfg *dom,
    struct resolver *r, const char *selector, const char *domain,
    struct domain_report *d)
{
	char *local = NULL, detail[1200];
	bool configured = false;
	struct err e = { "the public key could not be encoded" };

	for (size_t i = 0; dom != NULL && i < dom->ndkim; i++)
		configured |= strcmp(dom->dkim[i].selector, selector) == 0;
	if (configured &&
	    (local = keys_local_public_b64((void *)(uintptr_t)cfg->state_dir,
	         domain, selector, &e)) == NULL) {
		snprintf(detail, sizeof(detail),
		    "no local key for selector %s: %s", selector, e.msg);
		report_add(d, CHECK_DKIM, CHECK_FAIL, selector, NULL, NULL,
		    detail, "run `postern keys generate`");
		return;
	}
	report_check_dkim(r, domain, selector, local, d);
	free(local);
}

/* The selectors to check: --selector, or the domain's configured ones. */
static int
check_dkim_selectors(struct cli *cli, const struct config *cfg,
    struct resolver *r, const char *domain, const char *selector,
    struct domain_report *d)
{
	const struct domain_cfg *dom =
	    cfg != NULL ? config_domain(cfg, domain) : NULL;

	if (selector != NULL) {
		check_dkim_one(cfg, dom, r, selector, domain, d);
		return EXIT_OK;
	}
	if (dom == NULL || dom->ndkim == 0)
		return cli_usage_error(cli, "check dkim",
		    "--selector S is needed: %s has no selectors in the config",
		    domain);
	for (size_t i = 0; i < dom->ndkim; i++)
		check_dkim_one(cfg, dom, r, dom->dkim[i].selector, domain, d);
	return EXIT_OK;
}

struct one_args {
	const char *domain;
	const char *selector;
	const char *ip;
	const char *helo;
	bool json;
};

/* The options of check dkim|dmarc|ptr; each takes only its own. */
static int
one_parse(struct cli *cli, const char *what, int argc, char **argv,
    struct one_args *a)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "domain", 1, NULL, 'd' }, { "selector", 1, NULL, 's' },
		{ "ip", 1, NULL, 'i' }, { "helo", 1, NULL, 'H' },
		{ "json", 0, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	static const char *const allowed[] = { "dkim:ds", "dmarc:d", "ptr:iH" };
	const char *ok = NULL;
	int ch;

	for (size_t i = 0; i < NELEM(allowed); i++)
		if (strncmp(allowed[i], what, strlen(what)) == 0)
			ok = strchr(allowed[i], ':') + 1;
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		if (ch == 'j') {
			a->json = true;
			continue;
		}
		if (ch == 'h') {
			fputs(CHECK_USAGE, stdout);
			return CHECK_HELP;
		}
		if (ch == '?' || ok == NULL || strchr(ok, ch) == NULL)
			return cli_usage_error(cli, "check",
			    "usage: check dkim --domain D [--selector S] | "
			    "check dmarc --domain D | check ptr --ip IP "
			    "[--helo NAME] [--json]");
		*(ch == 'd'     ? &a->domain
		    : ch == 's' ? &a->selector
		    : ch == 'i' ? &a->ip
		                : &a->helo) = optarg;
	}
	if (optind != argc)
		return cli_usage_error(cli, "check",
		    "unexpected argument \"%s\"", argv[optind]);
	if (strcmp(what, "ptr") == 0 ? a->ip == NULL : a->domain == NULL)
		return cli_usage_error(cli, "check", "check %s needs %s", what,
		    strcmp(what, "ptr") == 0 ? "--ip IP" : "--domain D");
	return EXIT_OK;
}

/* Run one check into d; an exit code. */
static int
one_run(struct cli *cli, const char *what, const struct one_args *a,
    const struct config *cfg, struct resolver *r, struct domain_report *d)
{
	struct ipaddr ip;

	if (strcmp(what, "dkim") == 0)
		return check_dkim_selectors(cli, cfg, r, a->domain, a->selector,
		    d);
	if (strcmp(what, "dmarc") == 0) {
		report_check_dmarc(r, a->domain, d);
		return EXIT_OK;
	}
	if (ip_parse(a->ip, &ip) == -1)
		return cli_usage_error(cli, "check ptr",
		    "--ip \"%s\" is not an IP address", a->ip);
	if (a->helo == NULL && cfg == NULL)
		return cli_usage_error(cli, "check ptr",
		    "--helo NAME is needed without a config");
	report_check_ptr(r, &ip,
	    a->helo != NULL ? a->helo : cfg->relay.hostname, d);
	return EXIT_OK;
}

/* check dkim|dmarc --domain D [--selector S], check ptr --ip IP [--helo N] */
int
cmd_check_one(struct cli *cli, const char *what, int argc, char **argv)
{
	struct one_args a = { 0 };
	struct domain_report d = { 0 };
	struct config *cfg;
	struct resolver *r;
	int rc;

	if ((rc = one_parse(cli, what, argc, argv, &a)) != EXIT_OK)
		return rc == CHECK_HELP ? EXIT_OK : rc;
	if ((rc = cmd_check_resolver(cli, "check", &cfg, &r)) != EXIT_OK)
		return rc;
	d.name = xstrdup(a.domain != NULL ? a.domain : a.ip);
	if ((rc = one_run(cli, what, &a, cfg, r, &d)) == EXIT_OK) {
		for (size_t i = 0; i < d.n; i++)
			if (d.items[i].status > d.status)
				d.status = d.items[i].status;
		d.ready = d.status <= CHECK_WARN;
		d.ready_known = d.status != CHECK_TEMPERROR;
		struct report rep = { d.status, &d, 1, 0 };

		cmd_check_print(&rep, a.json);
		rc = cmd_check_exit(d.status);
	}
	report_domain_cleanup(&d);
	resolver_free(r);
	config_free(cfg);
	return rc;
}

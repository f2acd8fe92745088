#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/check.h"
#include "common/util.h"
#include "dnscheck/report.h"

/* postern check [--domain D] [--json] and the one-domain checks. */

static int
report_exit(enum check_status s)
{
	return s == CHECK_FAIL        ? EXIT_FAIL
	       : s == CHECK_TEMPERROR ? EXIT_TEMP
	                              : EXIT_OK;
}

static int
report_print(const struct report *rep, bool json)
{
	struct buf out;

	if (json) {
		json_t *j = report_json(rep);

		check_print_json(j);
		json_decref(j);
		return 0;
	}
	buf_init(&out, 0);
	if (report_format(rep, &out) == 0)
		fputs(out.data, stdout);
	buf_cleanup(&out);
	return 0;
}

static void
domain_print(const struct domain_report *d, bool json)
{
	struct report rep = { d->status, (struct domain_report *)(uintptr_t)d,
		1 };

	report_print(&rep, json);
}

int
cmd_check_all(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "domain", 1, NULL, 'd' }, { "json", 0, NULL, 'j' },
		{ NULL, 0, NULL, 0 } };
	struct report_opts o = { 0 };
	struct report rep;
	struct config *cfg;
	struct resolver *r;
	struct err e;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		if (ch == 'd')
			o.domain = optarg;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage_error(cli, "check",
			    "usage: check [-c FILE] [--domain D] [--json]");
	}
	if (optind != argc)
		return cli_usage_error(cli, "check",
		    "unexpected argument \"%s\"", argv[optind]);
	if ((cfg = cli_load_config(cli)) == NULL)
		return EXIT_USAGE;
	config_free(cfg);
	cli->config_given = true; /* the full report needs the config */
	if ((rc = check_resolver(cli, "check", &cfg, &r)) != EXIT_OK)
		return rc;
	o.cfg = cfg;
	o.r = r;
	o.now = (uint64_t)time(NULL);
	o.local_key = report_local_key_keys;
	o.local_key_arg = cfg->state_dir;
	if (report_run(&o, &rep, &e) == -1) {
		rc = cli_usage_error(cli, "check", "%s", e.msg);
	} else {
		report_print(&rep, json);
		rc = report_exit(rep.status);
		report_cleanup(&rep);
	}
	resolver_free(r);
	config_free(cfg);
	return rc;
}

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
	struct err e;

	for (size_t i = 0; dom != NULL && i < dom->ndkim; i++)
		configured |= strcmp(dom->dkim[i].selector, selector) == 0;
	if (configured && (local = report_local_key_keys(cfg->state_dir, domain,
	                       selector, &e)) == NULL) {
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
		if (ch == '?' || ch == 'h' || strchr(ok, ch) == NULL)
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
		return rc;
	if ((rc = check_resolver(cli, "check", &cfg, &r)) != EXIT_OK)
		return rc;
	d.name = xstrdup(a.domain != NULL ? a.domain : a.ip);
	if ((rc = one_run(cli, what, &a, cfg, r, &d)) == EXIT_OK) {
		for (size_t i = 0; i < d.n; i++)
			if (d.items[i].status > d.status)
				d.status = d.items[i].status;
		d.ready = d.status <= CHECK_WARN;
		d.ready_known = d.status != CHECK_TEMPERROR;
		domain_print(&d, a.json);
		rc = report_exit(d.status);
	}
	report_domain_cleanup(&d);
	resolver_free(r);
	config_free(cfg);
	return rc;
}

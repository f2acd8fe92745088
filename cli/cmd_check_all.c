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
	/*
	 * keys/ (keys_load, keys_public_b64) is not on main yet: until it
	 * is, published keys are checked but not compared with local ones.
	 */
	o.local_key = NULL;
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

/* The selectors to check: --selector, or the domain's configured ones. */
static int
check_dkim_selectors(struct cli *cli, const struct config *cfg,
    struct resolver *r, const char *domain, const char *selector,
    struct domain_report *d)
{
	const struct domain_cfg *dom =
	    cfg != NULL ? config_domain(cfg, domain) : NULL;

	if (selector != NULL) {
		report_check_dkim(r, domain, selector, NULL, d);
		return EXIT_OK;
	}
	if (dom == NULL || dom->ndkim == 0)
		return cli_usage_error(cli, "check dkim",
		    "--selector S is needed: %s has no selectors in the config",
		    domain);
	for (size_t i = 0; i < dom->ndkim; i++)
		report_check_dkim(r, domain, dom->dkim[i].selector, NULL, d);
	return EXIT_OK;
}

/* check dkim|dmarc --domain D [--selector S] [--json] */
int
cmd_check_one(struct cli *cli, const char *what, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "domain", 1, NULL, 'd' }, { "selector", 1, NULL, 's' },
		{ "ip", 1, NULL, 'i' }, { "helo", 1, NULL, 'H' },
		{ "json", 0, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	const char *domain = NULL, *selector = NULL, *ipt = NULL, *helo = NULL;
	struct domain_report d = { 0 };
	struct ipaddr ip;
	struct config *cfg;
	struct resolver *r;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		switch (ch) {
		case 'd':
			domain = optarg;
			break;
		case 's':
			selector = optarg;
			break;
		case 'i':
			ipt = optarg;
			break;
		case 'H':
			helo = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage_error(cli, "check", "bad option");
		}
	}
	if (strcmp(what, "ptr") == 0 ? ipt == NULL : domain == NULL)
		return cli_usage_error(cli, "check", "check %s needs %s", what,
		    strcmp(what, "ptr") == 0 ? "--ip IP" : "--domain D");
	if (ipt != NULL && ip_parse(ipt, &ip) == -1)
		return cli_usage_error(cli, "check",
		    "--ip \"%s\" is not an IP address", ipt);
	if ((rc = check_resolver(cli, "check", &cfg, &r)) != EXIT_OK)
		return rc;
	d.name = xstrdup(domain != NULL ? domain : ipt);
	if (strcmp(what, "dmarc") == 0)
		report_check_dmarc(r, domain, &d);
	else if (strcmp(what, "ptr") == 0)
		report_check_ptr(r, &ip,
		    helo != NULL  ? helo
		    : cfg != NULL ? cfg->relay.hostname
		                  : "",
		    &d);
	else
		rc = check_dkim_selectors(cli, cfg, r, domain, selector, &d);
	for (size_t i = 0; i < d.n; i++)
		if (d.items[i].status > d.status)
			d.status = d.items[i].status;
	d.ready = d.status <= CHECK_WARN;
	if (rc == EXIT_OK) {
		domain_print(&d, json);
		rc = report_exit(d.status);
	}
	report_domain_cleanup(&d);
	resolver_free(r);
	config_free(cfg);
	return rc;
}

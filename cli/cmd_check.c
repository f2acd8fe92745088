#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/check.h"
#include "cli/cli.h"
#include "common/util.h"
#include "dnscheck/report.h"
#include "dnscheck/resolver.h"
#include "dnscheck/spf.h"

/* postern check ...: the compliance checks of dnscheck/. */

int
cmd_check_resolver(struct cli *cli, const char *cmd, struct config **cfgp,
    struct resolver **rp)
{
	struct resolver_opts o;
	struct hostport hp;
	struct err e = { "" };

	*cfgp = NULL;
	resolver_opts_default(&o);
	/* One-off checks run without a config when there is none. */
	if (cli->config_given || access(cli->config_path, F_OK) == 0) {
		if ((*cfgp = cli_load_config(cli)) == NULL)
			return EXIT_USAGE;
		resolver_opts_from_config(&o, *cfgp);
	} else if (cli->resolver != NULL &&
	           strcmp(cli->resolver, "system") != 0) {
		if (hostport_parse(cli->resolver, 53, true, &hp, &e) == -1)
			return cli_usage_error(cli, cmd, "--resolver %s: %s",
			    cli->resolver, e.msg);
		o.system = false;
		o.server = hp;
	}
	if ((*rp = resolver_new(&o, &e)) == NULL) {
		fprintf(stderr, "%s %s: %s\n", cli->prog, cmd, e.msg);
		config_free(*cfgp);
		*cfgp = NULL;
		return EXIT_TEMP;
	}
	return EXIT_OK;
}

void
cmd_check_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

static void
spf_print(const struct spf_eval *ev)
{
	printf("%s\n", spf_result_name(ev->result));
	for (size_t i = 0; i < ev->nsteps; i++) {
		const struct spf_step *s = &ev->steps[i];
		bool rec = strcmp(s->term, "record") == 0;

		printf("%*s%s: %s%s%s\n", (int)(2 * s->depth + 2), "",
		    s->domain, rec ? "" : s->term, rec ? "" : ": ", s->note);
	}
	printf("reason: %s\n", ev->reason != NULL ? ev->reason : "");
	if (ev->explanation != NULL)
		printf("explanation: %s\n", ev->explanation);
	printf("lookups: %zu DNS-querying terms, %zu void, %zu DNS queries\n",
	    ev->lookups, ev->void_lookups, ev->dns_queries);
}

int
cmd_check_exit(enum check_status s)
{
	return s == CHECK_FAIL        ? EXIT_FAIL
	       : s == CHECK_TEMPERROR ? EXIT_TEMP
	                              : EXIT_OK;
}

void
cmd_check_print(const struct report *rep, bool json)
{
	struct buf out;

	if (json) {
		json_t *j = report_json(rep);

		cmd_check_print_json(j);
		json_decref(j);
		return;
	}
	buf_init(&out, 0);
	if (report_format(rep, &out) == 0)
		fputs(out.data, stdout);
	buf_cleanup(&out);
}

struct spf_args {
	const char *ip;
	const char *sender;
	const char *helo;
	bool json;
};

static int
spf_parse_args(struct cli *cli, int argc, char **argv, struct spf_args *a)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "ip", 1, NULL, 'i' }, { "sender", 1, NULL, 's' },
		{ "helo", 1, NULL, 'H' }, { "json", 0, NULL, 'j' },
		{ NULL, 0, NULL, 0 } };
	int ch;

	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		switch (ch) {
		case 'i':
			a->ip = optarg;
			break;
		case 's':
			a->sender = optarg;
			break;
		case 'H':
			a->helo = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			fputs(CHECK_USAGE, stdout);
			return CHECK_HELP;
		default:
			return cli_usage_error(cli, "check spf",
			    "usage: check spf --ip IP --sender ADDR [--helo "
			    "NAME] [--json]");
		}
	}
	if (optind != argc)
		return cli_usage_error(cli, "check spf",
		    "unexpected argument \"%s\"", argv[optind]);
	if (a->ip == NULL || a->sender == NULL)
		return cli_usage_error(cli, "check spf",
		    "--ip IP and --sender ADDR are required");
	return EXIT_OK;
}

/* postern check spf --ip IP --sender ADDR [--helo NAME] [--json] */
static int
check_spf(struct cli *cli, int argc, char **argv)
{
	struct spf_args a = { 0 };
	struct spf_query q = { 0 };
	struct config *cfg;
	struct resolver *r = NULL;
	struct spf_eval ev;
	int rc;

	if ((rc = spf_parse_args(cli, argc, argv, &a)) == CHECK_HELP)
		return EXIT_OK;
	if (rc != EXIT_OK || a.ip == NULL || a.sender == NULL)
		return rc != EXIT_OK ? rc : EXIT_USAGE;
	if (ip_parse(a.ip, &q.ip) == -1)
		return cli_usage_error(cli, "check spf",
		    "--ip \"%s\" is not an IP address", a.ip);
	if (strlen(a.sender) > 320)
		return cli_usage_error(cli, "check spf",
		    "--sender is longer than 320 characters");
	if ((rc = cmd_check_resolver(cli, "check spf", &cfg, &r)) != EXIT_OK)
		return rc;
	q.sender = a.sender;
	q.helo = a.helo;
	q.receiver = cfg != NULL ? cfg->relay.hostname : NULL;
	q.now = (uint64_t)time(NULL);
	spf_check_host(r, &q, &ev);
	if (a.json) {
		json_t *j = spf_eval_json(&ev);

		cmd_check_print_json(j);
		json_decref(j);
	} else
		spf_print(&ev);
	rc = ev.result == SPF_PASS        ? EXIT_OK
	     : ev.result == SPF_TEMPERROR ? EXIT_TEMP
	                                  : EXIT_FAIL;
	spf_eval_cleanup(&ev);
	resolver_free(r);
	config_free(cfg);
	return rc;
}

static int
check_dkim(struct cli *cli, int argc, char **argv)
{
	return cmd_check_one(cli, "dkim", argc, argv);
}

static int
check_dmarc(struct cli *cli, int argc, char **argv)
{
	return cmd_check_one(cli, "dmarc", argc, argv);
}

static int
check_ptr(struct cli *cli, int argc, char **argv)
{
	return cmd_check_one(cli, "ptr", argc, argv);
}

struct check_sub {
	const char *name;
	cli_cmd_fn *fn;
};

static const struct check_sub check_subs[] = {
	{ "spf", check_spf },
	{ "dkim", check_dkim },
	{ "dmarc", check_dmarc },
	{ "ptr", check_ptr },
};

int
cmd_check(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && argv[1][0] != '-')
		for (size_t i = 0; i < NELEM(check_subs); i++)
			if (strcmp(argv[1], check_subs[i].name) == 0)
				return check_subs[i].fn(cli, argc - 1,
				    argv + 1);
	if (argc >= 2 && argv[1][0] != '-')
		return cli_usage_error(cli, "check",
		    "unknown check \"%s\" (spf, dkim, dmarc, ptr)", argv[1]);
	return cmd_check_all(cli, argc, argv);
}

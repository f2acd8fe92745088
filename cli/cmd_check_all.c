#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cli/check.h"
#include "dnscheck/report.h"
#include "keys/keys.h"

/* postern check [-c FILE] [--domain D] [--json]: the full report. */

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
		else if (ch == 'h') {
			fputs(CHECK_USAGE, stdout);
			return EXIT_OK;
		} else
			return cli_usage_error(cli, "check",
			    "usage: check [-c FILE] [--domain D] [--json]");
	}
	if (optind != argc)
		return cli_usage_error(cli, "check",
		    "unexpected argument \"%s\"", argv[optind]);
	cli->config_given = true; /* the full report needs the config */
	if ((rc = cmd_check_resolver(cli, "check", &cfg, &r)) != EXIT_OK)
		return rc;
	o.cfg = cfg;
	o.r = r;
	o.now = (uint64_t)time(NULL);
	o.local_key = keys_local_public_b64;
	o.local_key_arg = (void *)(uintptr_t)cfg->state_dir;
	if (report_run(&o, &rep, &e) == -1) {
		rc = cli_usage_error(cli, "check", "%s", e.msg);
	} else {
		cmd_check_print(&rep, json);
		rc = cmd_check_exit(rep.status);
		report_cleanup(&rep);
	}
	resolver_free(r);
	config_free(cfg);
	return rc;
}

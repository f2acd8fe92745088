#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* postern config check [-c FILE]: every error, or a one-line summary. */
int
cmd_config(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	struct config *cfg;
	int ch;

	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return cli_usage_error(cli, "config",
		    "expected `config check [-c FILE]`");
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		if (ch == 'h') {
			printf("usage: %s config check [-c FILE]\n", cli->prog);
			return EXIT_OK;
		}
		return EXIT_USAGE;
	}
	if (optind != argc)
		return cli_usage_error(cli, "config check",
		    "unexpected argument \"%s\"", argv[optind]);
	if ((cfg = cli_load_config(cli)) == NULL)
		return EXIT_USAGE;
	printf("%s: ok: %zu domain%s, %zu listener%s, %zu user%s, "
	       "%zu provider%s\n",
	    cli->config_path, cfg->ndomains, cfg->ndomains == 1 ? "" : "s",
	    cfg->relay.nlisten, cfg->relay.nlisten == 1 ? "" : "s",
	    cfg->relay.nusers, cfg->relay.nusers == 1 ? "" : "s",
	    cfg->nproviders, cfg->nproviders == 1 ? "" : "s");
	config_free(cfg);
	return EXIT_OK;
}

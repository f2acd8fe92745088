#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/util.h"

bool
cli_common_opt(struct cli *cli, int ch, const char *arg)
{
	switch (ch) {
	case 'c':
		cli->config_path = arg;
		cli->config_given = true;
		return true;
	case 'R':
		cli->resolver = arg;
		return true;
	default:
		return false;
	}
}

int
cli_usage_error(struct cli *cli, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", cli->prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

struct config *
cli_load_config(struct cli *cli)
{
	struct config *cfg;
	struct buf errors;
	struct err e;

	buf_init(&errors, 1024 * 1024);
	if (config_load(cli->config_path, &cfg, &errors) == -1) {
		fputs(errors.data != NULL ? errors.data : "", stderr);
		buf_cleanup(&errors);
		return NULL;
	}
	buf_cleanup(&errors);
	if (cli->resolver != NULL &&
	    config_set_resolver(cfg, cli->resolver, &e) == -1) {
		fprintf(stderr, "%s: --resolver %s: %s\n", cli->prog,
		    cli->resolver, e.msg);
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

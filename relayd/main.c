#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/util.h"

/* posternd: the relay daemon. */

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: posternd [-c FILE] [--foreground] [--check-config] "
	    "[--resolver IP[:PORT]]\n"
	    "  -c FILE           configuration (default %s)\n"
	    "  --foreground      stay in the foreground, log to stderr\n"
	    "  --check-config    validate the configuration and exit\n"
	    "  --resolver ADDR   ask this DNS server instead of dns.resolver\n"
	    "Signals: SIGHUP reloads, SIGTERM drains and stops.\n",
	    CONFIG_DEFAULT_PATH);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", 1, NULL, 'c' },
		{ "foreground", 0, NULL, 'f' },
		{ "check-config", 0, NULL, 'C' },
		{ "resolver", 1, NULL, 'R' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH, *resolver = NULL;
	bool check_only = false;
	struct config *cfg;
	struct buf errors;
	struct err e;
	int ch;

	util_set_progname("posternd");
	while ((ch = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			break;
		case 'C':
			check_only = true;
			break;
		case 'R':
			resolver = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "posternd: unexpected argument \"%s\"\n",
		    argv[optind]);
		return 2;
	}
	buf_init(&errors, 1024 * 1024);
	if (config_load(path, &cfg, &errors) == -1) {
		fputs(errors.data != NULL ? errors.data : "", stderr);
		buf_cleanup(&errors);
		return 2;
	}
	buf_cleanup(&errors);
	if (resolver != NULL && config_set_resolver(cfg, resolver, &e) == -1) {
		fprintf(stderr, "posternd: --resolver %s: %s\n", resolver,
		    e.msg);
		config_free(cfg);
		return 2;
	}
	if (check_only) {
		printf("%s: ok: %zu domain%s, %zu listener%s\n", path,
		    cfg->ndomains, cfg->ndomains == 1 ? "" : "s",
		    cfg->relay.nlisten, cfg->relay.nlisten == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}
	config_free(cfg);
	fprintf(stderr, "posternd: the relay daemon is not built yet (tracked "
	                "in issue #5)\n");
	return 2;
}

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/log.h"
#include "common/util.h"
#include "relayd/daemon.h"
#include "relayd/server.h"

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

/* Set up, switch user, detach, run; the exit code of DESIGN.md. */
static int
serve(struct config *cfg, const char *path, bool foreground)
{
	struct event_base *base;
	struct server srv;
	struct err e;
	int rc = 0;

	log_init("posternd", !foreground, LOG_LEVEL_INFO);
	if (evthread_use_pthreads() == -1 || (base = event_base_new()) == NULL)
		die(3, "cannot set up the event loop");
	if (server_init(&srv, base, cfg, path, &e) == -1) {
		log_error("event=start result=failed error=\"%s\"", e.msg);
		fprintf(stderr, "posternd: %s\n", e.msg);
		server_cleanup(&srv);
		event_base_free(base);
		return 2;
	}
	cfg = srv.snap->cfg;
	if (daemon_drop_privileges(cfg, &e) == -1 ||
	    (!foreground && daemon_detach(cfg, &e) == -1) ||
	    (!foreground && event_reinit(base) == -1)) {
		fprintf(stderr, "posternd: %s\n", e.msg);
		rc = 2;
	} else if (server_run(&srv) == -1) {
		rc = 3;
	}
	if (!foreground)
		daemon_remove_pidfile(srv.snap->cfg);
	log_info("event=exit code=%d", rc);
	server_cleanup(&srv);
	event_base_free(base);
	return rc;
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
	bool check_only = false, foreground = false;
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
			foreground = true;
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
	return serve(cfg, path, foreground);
}

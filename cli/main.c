#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plan.h"
#include "common/util.h"

/* postern: the operator's tool. Dispatches to one command per DESIGN.md. */

struct command {
	const char *name;
	cli_cmd_fn *fn; /* NULL: not built yet */
	const char *usage;
	const char *issue; /* where the missing command is tracked */
};

static const struct command commands[] = {
	{ "init", cmd_init,
	    "init --domain D --ip IP --provider TYPE [--hostname NAME] [-o "
	    "FILE] [--force]",
	    NULL },
	{ "config", cmd_config, "config check [-c FILE]", NULL },
	{ "keys", cmd_keys,
	    "keys generate|list [-c FILE] | keys record --domain D --selector "
	    "S [--zone] | keys rotate --domain D [--selector S] [--grace 7d]",
	    NULL },
	{ "plan", cmd_plan, "plan [-c FILE] [--domain D]", NULL },
	{ "apply", cmd_apply,
	    "apply [-c FILE] [--domain D] [--yes] [--dry-run] [--no-wait]",
	    NULL },
	{ "migrate", cmd_migrate, "migrate [-c FILE] [--yes]", NULL },
	{ "check", cmd_check,
	    "check [-c FILE] [--domain D] [--json] | check spf --ip IP "
	    "--sender ADDR [--helo NAME] | check dkim|dmarc --domain D "
	    "[--selector S] | check ptr --ip IP [--helo NAME]",
	    "#3" },
	{ "watch", cmd_watch, "watch [-c FILE] [--interval 1h] [--once]",
	    NULL },
	{ "queue", cmd_queue,
	    "queue list|show ID|flush|delete ID|hold ID|release ID [--json]",
	    NULL },
	{ "passwd", cmd_passwd, "passwd", NULL },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: postern COMMAND [-c FILE] [--resolver IP[:PORT]] "
	             "[options]\n\ncommands:\n");
	for (size_t i = 0; i < NELEM(commands); i++)
		fprintf(out, "  postern %s%s\n", commands[i].usage,
		    commands[i].fn == NULL ? "   (not built yet)" : "");
	fprintf(out,
	    "\nThe configuration is %s unless -c FILE says "
	    "otherwise.\n",
	    CONFIG_DEFAULT_PATH);
}

int
main(int argc, char **argv)
{
	struct cli cli = { "postern", CONFIG_DEFAULT_PATH, false, NULL };

	util_set_progname("postern");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("postern %s\n", POSTERN_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NELEM(commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (commands[i].fn == NULL) {
			fprintf(stderr,
			    "postern: `%s` is not built yet (tracked in issue "
			    "%s)\nusage: postern %s\n",
			    commands[i].name, commands[i].issue,
			    commands[i].usage);
			return EXIT_USAGE;
		}
		return commands[i].fn(&cli, argc - 1, argv + 1);
	}
	fprintf(stderr, "postern: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

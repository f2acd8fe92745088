#ifndef POSTERN_CLI_H
#define POSTERN_CLI_H

#include <stdbool.h>

#include "common/config.h"

/* Exit codes of DESIGN.md. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* check failed, change needed */
	EXIT_USAGE = 2, /* usage or configuration error */
	EXIT_TEMP = 3,  /* temporary failure */
};

/* Options every command takes. */
struct cli {
	const char *prog;
	const char *config_path; /* -c FILE, or the default */
	bool config_given;
	const char *resolver; /* --resolver IP[:PORT], or NULL */
};

typedef int cli_cmd_fn(struct cli *cli, int argc, char **argv);

/*
 * Handle an option every command shares (-c, --resolver); returns true when
 * ch was one. The long options below go into each command's option table.
 */
bool cli_common_opt(struct cli *cli, int ch, const char *arg);
#define CLI_COMMON_LONGOPTS                                                    \
	{ "config", 1, NULL, 'c' }, { "resolver", 1, NULL, 'R' },              \
	{                                                                      \
		"help", 0, NULL, 'h'                                           \
	}
#define CLI_COMMON_SHORTOPTS "c:h"

/*
 * Load and validate the configuration, apply --resolver; on error print
 * every problem to stderr and return NULL (the caller exits 2).
 */
struct config *cli_load_config(struct cli *cli);
/* Print "PROG CMD: message" to stderr; returns EXIT_USAGE. */
int cli_usage_error(struct cli *cli, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Make every DKIM key the config names that does not exist yet, printing
 * each; an exit code (keys generate, migrate). */
int keys_generate_missing(const struct config *cfg);

int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_migrate(struct cli *cli, int argc, char **argv);
int cmd_watch(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_passwd(struct cli *cli, int argc, char **argv);
int cmd_keys(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_queue(struct cli *cli, int argc, char **argv);

#endif

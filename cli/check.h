#ifndef POSTERN_CLI_CHECK_H
#define POSTERN_CLI_CHECK_H

#include <jansson.h>

#include "cli/cli.h"
#include "dnscheck/report.h"
#include "dnscheck/resolver.h"

/*
 * Shared by the check commands: load the config (or, for one-off checks,
 * run without one when the default file does not exist) and make the
 * resolver. Returns an exit code; on EXIT_OK the caller frees both.
 */
int cmd_check_resolver(struct cli *cli, const char *cmd, struct config **cfgp,
    struct resolver **rp);
void cmd_check_print_json(json_t *j);
/* Print a report as text or JSON to stdout. */
void cmd_check_print(const struct report *rep, bool json);
/* The exit code of a status: 0 ok/warn, 1 fail, 3 temperror. */
int cmd_check_exit(enum check_status s);
/* The usage of every check command, printed by -h/--help (exit 0). */
#define CHECK_USAGE                                                            \
	"usage: postern check [-c FILE] [--domain D] [--json]\n"               \
	"       postern check spf --ip IP --sender ADDR [--helo NAME] "        \
	"[--json]\n"                                                           \
	"       postern check dkim --domain D [--selector S] [--json]\n"       \
	"       postern check dmarc --domain D [--json]\n"                     \
	"       postern check ptr --ip IP [--helo NAME] [--json]\n"            \
	"every check also takes -c FILE and --resolver IP[:PORT]\n"
/* Returned by an option parser after printing the usage for -h. */
#define CHECK_HELP (-1)
/* postern check [-c FILE] [--domain D] [--json] */
int cmd_check_all(struct cli *cli, int argc, char **argv);
/* check dkim|dmarc|ptr: what is the check's name. */
int cmd_check_one(struct cli *cli, const char *what, int argc, char **argv);

#endif

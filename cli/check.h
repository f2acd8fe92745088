#ifndef POSTERN_CLI_CHECK_H
#define POSTERN_CLI_CHECK_H

#include <jansson.h>

#include "cli/cli.h"
#include "dnscheck/resolver.h"

/*
 * Shared by the check commands: load the config (or, for one-off checks,
 * run without one when the default file does not exist) and make the
 * resolver. Returns an exit code; on EXIT_OK the caller frees both.
 */
int check_resolver(struct cli *cli, const char *cmd, struct config **cfgp,
    struct resolver **rp);
void check_print_json(json_t *j);
/* postern check [-c FILE] [--domain D] [--json] */
int cmd_check_all(struct cli *cli, int argc, char **argv);
/* check dkim|dmarc|ptr: what is the check's name. */
int cmd_check_one(struct cli *cli, const char *what, int argc, char **argv);

#endif

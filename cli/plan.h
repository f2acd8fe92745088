#ifndef POSTERN_CLI_PLAN_H
#define POSTERN_CLI_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "provision/plan.h"

/* What plan, apply and migrate share: config, resolver, providers, plan. */
struct plan_session {
	struct config *cfg;
	struct resolver *r;
	struct provider **providers; /* one per cfg->providers entry */
	struct plan plan;
};

struct plan_flags {
	const char *domain;
	bool yes;
	bool dry_run;
	bool no_wait;
};

/* Load, connect the providers and build the plan; an exit code. */
int plan_session_open(struct cli *cli, struct plan_session *s,
    const char *domain);
void plan_session_close(struct plan_session *s);
/* plan's exit code: 0 nothing to change, 1 changes or refusals, 3 temp. */
int plan_exit_code(const struct plan *p);
/* Confirm, apply and (unless no_wait) wait for propagation; an exit code. */
int plan_apply(struct cli *cli, struct plan_session *s,
    const struct plan_flags *f);
/* The checker over the planned domains, printed to out; an exit code. */
int plan_verify(struct plan_session *s, FILE *out);

/* Ask a running posternd (relay.control) to reload: its gate and signer
 * see the new DNS and keys at once. Says what happened. */
void plan_tell_daemon(const struct config *cfg);
/* One step of a DKIM key rotation (cli/cmd_rotate.c); an exit code. */
int keys_rotate(struct cli *cli, struct config *cfg, const char *domain,
    const char *selector, uint64_t grace);

int cmd_plan(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);

#endif

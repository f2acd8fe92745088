#ifndef POSTERN_PLAN_H
#define POSTERN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config.h"
#include "dnscheck/resolver.h"
#include "provision/merge.h"
#include "provision/provider.h"

/*
 * The planner: for each configured domain, the records Postern manages (the
 * apex SPF TXT, one TXT per DKIM selector, _dmarc) as they are, read through
 * the provider, and as they must be. Other records, even at the same name,
 * are carried over untouched.
 */

struct plan_change {
	char *name; /* the owner name: example.com, pst1._domainkey... */
	char *what; /* "SPF", "DKIM pst1 (rsa-2048)", "DMARC" */
	enum merge_status status;
	char *old_value;    /* the managed value now; NULL when none */
	char *new_value;    /* the value to publish (== old when unchanged) */
	struct txt_set old; /* the whole TXT set at name, as listed */
	struct txt_set new; /* the set to write (CREATE/UPDATE) */
	bool applied;
};

struct domain_plan {
	const struct domain_cfg *dc; /* borrowed from the config */
	char *zone;
	struct provider *provider; /* borrowed */
	bool refused;
	char reason[600]; /* refused, or the error that stopped planning */
	int error;        /* PROVIDER_OK, or the provider status */
	char warnings[1200];
	struct plan_change *changes;
	size_t n;
};

struct plan {
	struct domain_plan *domains;
	size_t n;
};

struct plan_opts {
	const struct config *cfg;
	struct provider **providers; /* one per cfg->providers entry */
	struct resolver *r;          /* for SPF results and look-up counts */
	const char *domain;          /* NULL: every domain */
};

/* Build the plan; -1 and e only when opts->domain is not configured. */
int plan_build(const struct plan_opts *o, struct plan *out, struct err *e) WUR;
void plan_cleanup(struct plan *p);
/* Whether any domain has a change to make (refusals count). */
bool plan_has_changes(const struct plan *p);
/* The diff: "+ create", "~ update" (old and new), "= unchanged",
 * "! refused: reason". */
void plan_print(const struct plan *p, FILE *out);

#endif

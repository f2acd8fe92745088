#ifndef POSTERN_APPLY_H
#define POSTERN_APPLY_H

#include <stdbool.h>
#include <stdio.h>

#include "provision/plan.h"

/*
 * Applying a plan: each change through the domain's provider, as a
 * compare-and-swap against the set the planner read; then, optionally, a
 * wait until every authoritative server of the zone (or dns.authoritative)
 * serves the new records.
 */

enum apply_outcome {
	APPLY_OK,
	APPLY_FAIL, /* refused, or a provider said no: exit 1 */
	APPLY_TEMP, /* unreachable, timeout, propagation too slow: exit 3 */
};

struct apply_opts {
	const struct config *cfg;
	struct resolver *r;   /* recursive: finds the zone's NS hosts */
	FILE *progress;       /* progress and results, for the operator */
	bool progress_inline; /* a terminal: rewrite one progress line */
	unsigned poll_ms;     /* between propagation polls (0: 1000) */
};

/* Apply every change of p (skipping refused domains); marks c->applied. */
enum apply_outcome apply_changes(struct plan *p, const struct apply_opts *o);
/* Wait until each applied change is served by every authoritative server,
 * at most dns.propagation_timeout. */
enum apply_outcome apply_wait(const struct plan *p, const struct apply_opts *o);

#endif

#ifndef POSTERN_MERGE_H
#define POSTERN_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/addr.h"
#include "common/config.h"

/*
 * The record changes Postern makes, as pure functions of what DNS holds and
 * what the configuration asks: the SPF merge (changed, never replaced) and
 * the DMARC merge (never weakened). No DNS here: the planner reads the
 * records and counts look-ups.
 */

#define SPF_MAX_RECORD 450 /* octets: the answer must fit 512 bytes (3.4) */

enum merge_status {
	MERGE_UNCHANGED,
	MERGE_CREATE,
	MERGE_UPDATE,
	MERGE_REFUSED, /* reason says why; the domain's plan is refused */
};

struct merge_result {
	enum merge_status status;
	char *record;    /* the record to publish (UNCHANGED: the current
	                    one), caller frees; NULL when refused */
	size_t existing; /* which of the given values is replaced */
	char reason[512];
	char warnings[1024]; /* "; "-separated, "" when none */
};

struct spf_merge_in {
	const char *const *values; /* every TXT value at the apex */
	size_t nvalues;
	const struct ipaddr *ips; /* relay.public_ips */
	size_t nips;
	const bool *ip_passes; /* per ip: SPF already passes (DNS-covered,
	                          through a or mx say); may be NULL */
	const struct spf_cfg *spf;
};

/*
 * Add the relay's addresses and the configured includes to the apex SPF
 * record, keeping every existing term in order; create one when none.
 * Refused: several SPF records, a record that does not parse, a term that
 * explicitly fails a relay address, a result over SPF_MAX_RECORD octets.
 */
void spf_merge(const struct spf_merge_in *in, struct merge_result *out);

/*
 * The _dmarc record: created from the configuration when there is none;
 * otherwise p, sp, pct, adkim and aspf only ever strengthened and rua/ruf
 * extended. values are every TXT value at _dmarc; non-DMARC ones are left
 * alone (and named in warnings).
 */
void dmarc_merge(const char *const *values, size_t nvalues,
    const struct dmarc_cfg *cfg, struct merge_result *out);

void merge_result_cleanup(struct merge_result *r);

#endif

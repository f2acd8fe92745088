#ifndef POSTERN_MTASTS_FETCH_H
#define POSTERN_MTASTS_FETCH_H

#include <stddef.h>

#include "common/config.h"
#include "dnscheck/resolver.h"
#include "relayd/mtasts.h"

/*
 * A domain's MTA-STS policy (RFC 8461 section 3): the _mta-sts TXT record,
 * then the policy from https://mta-sts.DOMAIN/.well-known/mta-sts.txt
 * (libcurl; certificate verified; no redirects; 64 KiB; host resolved
 * through dns.resolver), cached in state_dir/mta-sts/ by id until max_age.
 * Blocking: call it off the event loop.
 *
 * Returns 1 with *pol filled, 0 when the domain has no usable policy (why
 * says so: deliver as without one, RFC 8461 section 5).
 */
int mtasts_lookup(struct resolver *r, const struct config *cfg,
    const char *domain, int64_t now, struct mtasts_policy *pol, char *why,
    size_t whylen);

#endif

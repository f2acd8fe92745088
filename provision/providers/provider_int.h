#ifndef POSTERN_PROVIDER_INT_H
#define POSTERN_PROVIDER_INT_H

/*
 * <stdbool.h> before ldns: without it, ldns/common.h defines bool as
 * signed char, and this file's bool would differ from everyone else's.
 */
#include <stdbool.h>

#include <ldns/ldns.h>

#include "provision/provider.h"

/* What provider implementations share; not for callers of provider.h. */

extern const struct provider_ops provider_rfc2136_ops;
extern const struct provider_ops provider_powerdns_ops;
extern const struct provider_ops provider_manual_ops;
extern const struct provider_ops provider_cloudflare_ops;
extern const struct provider_ops provider_digitalocean_ops;
extern const struct provider_ops provider_gandi_ops;
extern const struct provider_ops provider_azure_ops;
extern const struct provider_ops provider_route53_ops;

/*
 * Ask where qname's zone starts: PROVIDER_OK with *apex set when an SOA
 * answers (in the answer or authority section), PROVIDER_OK with *apex NULL
 * when this name is not served (REFUSED, NOTAUTH, no SOA: go up a label),
 * or an error status.
 */
typedef int provider_soa_fn(void *ctx, const char *qname, char **apex,
    struct err *e);

/*
 * Find the zone of name by asking q for name, then each parent in turn,
 * up to (not including) the root. Pure: q does the talking.
 */
int provider_zone_walk(const char *name, provider_soa_fn *q, void *ctx,
    char **zone, struct err *e) WUR;

/* A resolver asking hp (NULL: the system's), one try of timeout seconds. */
ldns_resolver *provider_resolver_new(const struct hostport *hp,
    uint64_t timeout, struct err *e);
/* provider_soa_fn's reading of an SOA answer. */
int provider_soa_answer(const ldns_pkt *pkt, const char *qname, char **apex,
    struct err *e) WUR;
/* provider_soa_fn over an ldns resolver (ctx). */
int provider_soa_query(void *ctx, const char *qname, char **apex,
    struct err *e);
/* The TXT set at name as res answers it (NXDOMAIN/NODATA: empty). */
int provider_txt_query(ldns_resolver *res, const char *name,
    struct txt_set *out, struct err *e) WUR;
/* Fill out with the TXT records of list owned by name. */
void provider_txt_from_rrs(const ldns_rr_list *list, const ldns_rdf *name,
    struct txt_set *out);
/* A TXT RR for name holding r's strings; NULL on failure. */
ldns_rr *provider_txt_rr(const char *name, uint32_t ttl,
    const struct txt_record *r);

/*
 * ldns marks a server that timed out as unreachable and then fails at once:
 * call before each retry so that the retry asks it again.
 */
void provider_resolver_revive(ldns_resolver *res);
/* Sleep before retry attempt n (1, 2, ...): 250 ms doubling, at most 2 s. */
void provider_backoff(unsigned attempt);

#endif

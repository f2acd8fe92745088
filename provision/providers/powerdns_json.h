#ifndef POSTERN_POWERDNS_JSON_H
#define POSTERN_POWERDNS_JSON_H

#include <stddef.h>

#include "provision/provider.h"

/*
 * The PowerDNS Authoritative HTTP API's JSON, as pure functions over bytes
 * (fuzzed: tests/fuzz/fuzz_pdns_json.c). Names are without trailing dot.
 */

/*
 * From the answer of GET /servers/{id}/zones, the zone holding name (the
 * longest suffix match): its id (for URLs) and name; caller frees both.
 * PROVIDER_ERR_PERM when none holds it or the JSON is not what PowerDNS
 * sends.
 */
int pdns_zones_parse(const char *body, size_t len, const char *name,
    char **zone_id, char **zone_name, struct err *e) WUR;
/*
 * Records PowerDNS keeps but does not serve ("disabled": true): nobody's
 * DNS sees them, but a REPLACE must carry them, or they would be lost.
 */
struct pdns_disabled {
	char **content; /* as the API gave it */
	size_t n;
	uint32_t ttl; /* the rrset's TTL */
};
void pdns_disabled_cleanup(struct pdns_disabled *d);

/*
 * From GET /servers/{id}/zones/{zone}: the TXT set at name, and its disabled
 * records in *disabled (NULL: not wanted).
 */
int pdns_rrset_parse(const char *body, size_t len, const char *name,
    struct txt_set *out, struct pdns_disabled *disabled, struct err *e) WUR;
/*
 * The PATCH body replacing the TXT set at name with new and the disabled
 * records (NULL: none), or deleting it when both are empty. Caller frees.
 */
char *pdns_patch_body(const char *name, const struct txt_set *new,
    const struct pdns_disabled *disabled);
/* The "error" text of an error answer, escaped and cut; caller frees. */
char *pdns_error_text(const char *body, size_t len);

#endif

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
/* From GET /servers/{id}/zones/{zone}: the TXT set at name. */
int pdns_rrset_parse(const char *body, size_t len, const char *name,
    struct txt_set *out, struct err *e) WUR;
/*
 * The PATCH body replacing (new->n > 0) or deleting the TXT set at name.
 * Caller frees.
 */
char *pdns_patch_body(const char *name, const struct txt_set *new);
/* The "error" text of an error answer, escaped and cut; caller frees. */
char *pdns_error_text(const char *body, size_t len);

#endif

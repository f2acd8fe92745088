#ifndef POSTERN_ROUTE_H
#define POSTERN_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

/*
 * Where mail for a recipient domain goes: relay.routes, first match wins
 * (exact domain, "*.example.com" for its subdomains, "*" for all; case-
 * insensitive); no match means direct MX delivery.
 */
struct route_dest {
	bool mx;        /* deliver to the domain's MX hosts */
	char host[256]; /* smart host, when !mx */
	unsigned port;  /* the port to use (delivery.port when not given) */
	enum tls_policy tls;
	const struct route_cfg *route; /* the matching route or NULL */
};

/* Whether pattern (a routes[].domains entry) matches domain. */
bool route_domain_matches(const char *pattern, const char *domain);
/* The destination for mail to domain under relay. */
void route_lookup(const struct relay_cfg *relay, const char *domain,
    struct route_dest *out);
/* A stable key naming the destination, to group recipients: "mx:DOMAIN" or
 * "host:HOST:PORT". */
void route_dest_key(const struct route_dest *d, const char *domain, char *dst,
    size_t dstlen);

#endif

#ifndef POSTERN_MX_H
#define POSTERN_MX_H

#include <stddef.h>
#include <sys/socket.h>

#include "dnscheck/resolver.h"

/*
 * Where to connect for a domain (RFC 5321 section 5.1): its MX hosts by
 * preference (random order among equals), each host's IPv6 then IPv4
 * addresses; the domain's own addresses when it has no MX; null MX
 * (RFC 7505) refused. Bounded: MX_MAX_HOSTS hosts, MX_MAX_ADDRS addresses.
 */

#define MX_MAX_HOSTS 10
#define MX_MAX_ADDRS 20

struct mx_target {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[256]; /* the MX host name (for TLS and logs) */
	char ip[64];
};

struct mx_result {
	int code;        /* 0: targets found; 4xx try later; 5xx bounce */
	char reply[300]; /* "5.1.10 ..." when code != 0 */
	struct mx_target *t;
	size_t n;
};

/* The targets for mail to domain, on port. */
void mx_resolve(struct resolver *r, const char *domain, unsigned port,
    struct mx_result *out);
/* The targets of a smart host (a name or an IP literal), on port. */
void mx_resolve_host(struct resolver *r, const char *host, unsigned port,
    struct mx_result *out);
void mx_result_cleanup(struct mx_result *res);

#endif

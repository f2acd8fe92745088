#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "relayd/route.h"

bool
route_domain_matches(const char *pattern, const char *domain)
{
	size_t plen, dlen = strlen(domain);

	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	if (strcmp(pattern, "*") == 0)
		return true;
	if (strncmp(pattern, "*.", 2) == 0) {
		/* "*.example.com": strictly below example.com. */
		plen = strlen(pattern + 1); /* ".example.com" */
		return dlen > plen &&
		       str_ieq(domain + dlen - plen, plen, pattern + 1);
	}
	return str_ieq(domain, dlen, pattern);
}

void
route_lookup(const struct relay_cfg *relay, const char *domain,
    struct route_dest *out)
{
	memset(out, 0, sizeof(*out));
	out->mx = true;
	out->port = relay->delivery.port;
	out->tls = relay->delivery.tls;
	for (size_t i = 0; i < relay->nroutes; i++) {
		const struct route_cfg *r = &relay->routes[i];

		for (size_t j = 0; j < r->domains.n; j++) {
			if (!route_domain_matches(r->domains.v[j], domain))
				continue;
			out->route = r;
			out->mx = r->via_mx;
			if (!r->via_mx) {
				/* Checked at load: fits, names a host. */
				if (str_copy(out->host, sizeof(out->host),
				        r->via_hp.host) == -1)
					die(1, "BUG: route host too long");
				if (r->via_hp.port != 0)
					out->port = r->via_hp.port;
			}
			if (r->tls != TLS_POLICY_INHERIT)
				out->tls = r->tls;
			return;
		}
	}
}

void
route_dest_key(const struct route_dest *d, const char *domain, char *dst,
    size_t dstlen)
{
	char lower[256];

	if (d->mx) {
		snprintf(lower, sizeof(lower), "%s", domain);
		str_lower(lower);
		snprintf(dst, dstlen, "mx:%s:%u", lower, d->port);
	} else {
		snprintf(lower, sizeof(lower), "%s", d->host);
		str_lower(lower);
		snprintf(dst, dstlen, "host:%s:%u", lower, d->port);
	}
}

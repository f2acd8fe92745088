#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/addr.h"
#include "common/util.h"
#include "relayd/mx.h"

static void
add_target(struct mx_result *out, const char *name, const struct ipaddr *ip,
    unsigned port)
{
	struct mx_target *t;

	if (out->n >= MX_MAX_ADDRS)
		return;
	out->t = xrealloc(out->t, (out->n + 1) * sizeof(*out->t));
	t = &out->t[out->n++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	ip_format(ip, t->ip, sizeof(t->ip));
	if (ip->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, ip->a, 4);
		t->addrlen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->addr;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, ip->a, 16);
		t->addrlen = sizeof(*s6);
	}
}

/* Add host's addresses (AAAA, then A): DNS_OK when there are some,
 * DNS_ERROR when a look-up failed, else DNS_NXDOMAIN. */
static enum dns_status
add_host(struct resolver *r, const char *host, unsigned port,
    struct mx_result *out)
{
	static const enum dns_type types[] = { DNS_T_AAAA, DNS_T_A };
	bool found = false, error = false;

	for (size_t i = 0; i < NELEM(types); i++) {
		const struct dns_result *a = resolver_query(r, host, types[i]);

		error |= a->status == DNS_ERROR;
		for (size_t j = 0; a->status == DNS_OK && j < a->n; j++) {
			add_target(out, host, &a->rr[j].ip, port);
			found = true;
		}
	}
	return found ? DNS_OK : error ? DNS_ERROR : DNS_NXDOMAIN;
}

static void __attribute__((format(printf, 3, 4)))
set_error(struct mx_result *out, int code, const char *fmt, ...)
{
	va_list ap;

	out->code = code;
	va_start(ap, fmt);
	vsnprintf(out->reply, sizeof(out->reply), fmt, ap);
	va_end(ap);
}

/* MX records sorted by preference, equal preferences in random order. */
static size_t *
mx_order(const struct dns_result *mx)
{
	size_t *idx = xcalloc(mx->n + 1, sizeof(*idx));
	uint32_t *key = xcalloc(mx->n + 1, sizeof(*key));

	for (size_t i = 0; i < mx->n; i++) {
		unsigned char rnd[2] = { 0, 0 };

		(void)RAND_bytes(rnd, 2);
		idx[i] = i;
		key[i] = ((uint32_t)mx->rr[i].pref << 16) |
		         ((uint32_t)rnd[0] << 8) | rnd[1];
	}
	for (size_t i = 1; i < mx->n; i++) /* insertion sort: n is small */
		for (size_t j = i; j > 0 && key[idx[j - 1]] > key[idx[j]];
		     j--) {
			size_t t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	free(key);
	return idx;
}

static void
resolve_mx_hosts(struct resolver *r, const char *domain,
    const struct dns_result *mx, unsigned port, struct mx_result *out)
{
	size_t *idx = mx_order(mx), hosts = 0;
	bool temp = false;

	for (size_t i = 0; i < mx->n && hosts < MX_MAX_HOSTS; i++) {
		const char *host = mx->rr[idx[i]].text;

		if (strcmp(host, ".") == 0 || host[0] == '\0')
			continue; /* a null MX among others: ignore it */
		hosts++;
		if (add_host(r, host, port, out) == DNS_ERROR)
			temp = true;
	}
	free(idx);
	if (out->n > 0)
		return;
	if (temp)
		set_error(out, 451, "4.4.3 cannot resolve the MX hosts of %s",
		    domain);
	else
		set_error(out, 550, "5.4.4 the MX hosts of %s have no address",
		    domain);
}

void
mx_resolve(struct resolver *r, const char *domain, unsigned port,
    struct mx_result *out)
{
	const struct dns_result *mx;
	enum dns_status st;

	memset(out, 0, sizeof(*out));
	mx = resolver_query(r, domain, DNS_T_MX);
	if (mx->status == DNS_ERROR) {
		set_error(out, 451,
		    "4.4.3 DNS error looking up the MX of %s: %s", domain,
		    resolver_status_text(mx));
		return;
	}
	if (mx->status == DNS_NXDOMAIN) {
		set_error(out, 550, "5.1.2 domain %s does not exist", domain);
		return;
	}
	if (mx->status == DNS_OK && mx->n == 1 &&
	    (strcmp(mx->rr[0].text, ".") == 0 || mx->rr[0].text[0] == '\0')) {
		set_error(out, 550,
		    "5.1.10 %s does not accept mail (null MX, "
		    "RFC 7505)",
		    domain);
		return;
	}
	if (mx->status == DNS_OK) {
		resolve_mx_hosts(r, domain, mx, port, out);
		return;
	}
	/* No MX: the domain's own address is the implicit MX (5.1). */
	st = add_host(r, domain, port, out);
	if (out->n > 0)
		return;
	if (st == DNS_ERROR)
		set_error(out, 451, "4.4.3 DNS error looking up %s", domain);
	else
		set_error(out, 550, "5.1.2 %s has no MX and no address",
		    domain);
}

void
mx_resolve_host(struct resolver *r, const char *host, unsigned port,
    struct mx_result *out)
{
	struct ipaddr ip;

	memset(out, 0, sizeof(*out));
	if (ip_parse(host, &ip) == 0) {
		add_target(out, host, &ip, port);
		return;
	}
	if (add_host(r, host, port, out) == DNS_ERROR && out->n == 0)
		set_error(out, 451, "4.4.3 DNS error looking up %s", host);
	else if (out->n == 0)
		set_error(out, 451, "4.4.4 the smart host %s has no address",
		    host);
}

void
mx_result_cleanup(struct mx_result *res)
{
	free(res->t);
	res->t = NULL;
	res->n = 0;
}

#ifndef POSTERN_DANE_H
#define POSTERN_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnscheck/resolver.h"
#include "relayd/mx.h"

/*
 * DANE for SMTP (RFC 7672) on the delivery side: which MX hosts of a
 * destination have DNSSEC-secure TLSA records, and what that means for
 * the connection. The look-ups run on a worker thread, through a resolver
 * asked with the DO and AD bits (resolver_opts.dnssec); the TLS side
 * (OpenSSL's DANE verifier) is in client.c.
 */

/* What DANE asks of the connection to one MX host. */
enum dane_verdict {
	DANE_NONE,     /* no DANE (insecure DNS, no TLSA): opportunistic TLS */
	DANE_AUTH,     /* TLS required, authenticated by the usable TLSA */
	DANE_TLS_ONLY, /* TLSA all unusable: TLS required, unauthenticated */
	DANE_DEFER,    /* the TLSA look-up failed: do not use this host now */
};

/* One usable TLSA record (RFC 6698 2.1). */
struct dane_tlsa {
	uint8_t usage, selector, mtype;
	unsigned char *data;
	size_t len;
};

/* The DNS facts the decision for one host rests on. */
struct dane_facts {
	bool mx_secure;              /* the MX RRset (or its absence) */
	bool mx_signed;              /* ... carried RRSIGs */
	bool addr_secure;            /* the host's A/AAAA RRsets */
	enum dns_status tlsa_status; /* the TLSA look-up */
	bool tlsa_secure;
	size_t tlsa_usable; /* usable records among those found */
};

struct dane_host {
	char name[256]; /* the MX host, as in mx_target.name */
	enum dane_verdict verdict;
	char base[256];         /* the TLSA base domain (RFC 7672 2.2.3) */
	struct dane_tlsa *tlsa; /* the usable records (DANE_AUTH) */
	size_t ntlsa;
	char why[300]; /* for the logs */
};

/* The DANE state of one destination (recipient domain or smart host). */
struct dane_dest {
	struct dane_host *hosts;
	size_t nhosts;
	char note[300]; /* for deferral replies: why DANE did not apply, or
	                   why hosts were skipped; "" when nothing to say */
};

/*
 * Why a TLSA record cannot be used for SMTP (RFC 7672 3.1.3: PKIX-TA and
 * PKIX-EE are unusable; RFC 6698 / 7671: unknown selectors and matching
 * types, digests of the wrong length), or NULL when it can.
 */
const char *dane_tlsa_unusable(uint8_t usage, uint8_t selector, uint8_t mtype,
    size_t len);
/* The decision table of RFC 7672 section 2.2; why gets the reason. */
enum dane_verdict dane_decide(const struct dane_facts *f, const char *host,
    const char *resolver_name, char *why, size_t whylen);
/* "dane-ee", "dane-ta" or "none" for a usage. */
const char *dane_usage_name(uint8_t usage);

/*
 * Look up the TLSA records of every host in mx (mail for domain, or a
 * smart host when !via_mx), on port, and decide for each; hosts that
 * must be deferred are taken out of mx (mx->code 451 when none is left).
 * qid names the message in the logs. Fills out (dane_dest_cleanup()).
 */
void dane_resolve(struct resolver *r, const char *resolver_name,
    const char *qid, const char *domain, bool via_mx, unsigned port,
    struct mx_result *mx, struct dane_dest *out);
/* The host's entry, or NULL (no DANE for it). Borrowed from d. */
const struct dane_host *dane_dest_host(const struct dane_dest *d,
    const char *name);
void dane_dest_cleanup(struct dane_dest *d);

#endif

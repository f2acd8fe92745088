#ifndef POSTERN_RESOLVER_H
#define POSTERN_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/err.h"

/*
 * DNS look-ups on ldns for the checks. One resolver serves one evaluation
 * (one `postern check`, one gate run): it caches every answer, so the same
 * question is never asked twice, and it is the only state of a run (no
 * globals; use one per thread). Every answer is untrusted.
 */

/* Record types asked for (their RFC 1035 numbers). */
enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_TLSA = 52,
	DNS_T_SPF = 99,
};

/* SPF (RFC 7208 section 2.6) tells these apart, so they stay distinct. */
enum dns_status {
	DNS_OK,       /* at least one record of the type */
	DNS_NXDOMAIN, /* the name does not exist (RCODE 3) */
	DNS_NODATA,   /* the name exists, no record of the type */
	DNS_ERROR,    /* SERVFAIL, REFUSED, timeout, garbage: try again later */
};

struct dns_rr {
	char *text;       /* TXT: strings joined; MX/PTR/NS: name, no dot */
	size_t len;       /* bytes of text (TXT may hold NUL bytes) */
	struct ipaddr ip; /* A, AAAA */
	uint16_t pref;    /* MX */
	size_t nstrings;  /* TXT: character-strings in the record */
	/* TLSA (RFC 6698 2.1): the association data is text, len bytes */
	uint8_t tlsa_usage, tlsa_selector, tlsa_mtype;
};

struct dns_result {
	enum dns_status status;
	const char *error; /* DNS_ERROR: what went wrong */
	struct dns_rr *rr; /* n records (DNS_OK) */
	size_t n;
	size_t wire_len; /* size of the answer message, bytes */
	bool truncated;  /* the UDP answer was truncated (TCP was used) */
	/* With resolver_opts.dnssec: every answer on the way (each CNAME hop)
	 * had the AD bit, i.e. the validating resolver found the records (or
	 * their absence) secure (RFC 4035 3.2.3, RFC 6840 5.8). */
	bool secure;
	bool has_rrsig; /* the answer carried RRSIGs (the zone is signed) */
	char *cname;    /* where a CNAME chain ended; NULL when none */
};

struct resolver_opts {
	bool system;            /* /etc/resolv.conf's servers */
	struct hostport server; /* otherwise this one (port 0: 53) */
	bool recursive;         /* RD bit; false to ask an authoritative */
	uint64_t timeout_ms;    /* per attempt */
	unsigned attempts;      /* tries per question, >= 1 */
	size_t max_queries;     /* cap on questions sent (0: 2000) */
	bool dnssec;            /* DO and AD bits on: report `secure` */
};

/* The defaults without a config: system resolver, 5 s, 3 attempts. */
void resolver_opts_default(struct resolver_opts *o);
/* dns.resolver, dns.timeout and dns.retries of cfg. */
void resolver_opts_from_config(struct resolver_opts *o,
    const struct config *cfg);

/* NULL and e when the resolver cannot be set up. */
struct resolver *resolver_new(const struct resolver_opts *o, struct err *e);
void resolver_free(struct resolver *r);

/*
 * Ask (name, type), following CNAME chains (at most 8 links). name may be
 * any text: a name DNS cannot carry gives DNS_ERROR. The result is borrowed
 * until resolver_free(); it is never NULL.
 */
const struct dns_result *resolver_query(struct resolver *r, const char *name,
    enum dns_type type);
/* The PTR name of ip ("4.3.2.1.in-addr.arpa"); dst of at least 74 bytes. */
void resolver_reverse_name(const struct ipaddr *ip, char *dst, size_t dstlen);
/*
 * After deadline_ms (of resolver_now_ms(); 0: none), questions not in the
 * cache fail at once with DNS_ERROR "time limit reached" (not cached).
 * Returns the previous deadline, for restoring it.
 */
uint64_t resolver_set_deadline(struct resolver *r, uint64_t deadline_ms);
/* A monotonic clock in milliseconds. */
uint64_t resolver_now_ms(void);
/* Questions sent on the wire so far (cache misses, CNAME hops). */
size_t resolver_queries(const struct resolver *r);
/* Text for a status ("NXDOMAIN", "no data", the error). */
const char *resolver_status_text(const struct dns_result *res);

#endif

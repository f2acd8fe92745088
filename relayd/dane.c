#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/util.h"
#include "relayd/dane.h"

/* At most this many usable TLSA records per host are kept. */
#define DANE_MAX_TLSA 32

const char *
dane_tlsa_unusable(uint8_t usage, uint8_t selector, uint8_t mtype, size_t len)
{
	if (usage == 0 || usage == 1)
		return "PKIX-TA/PKIX-EE records are not used for SMTP "
		       "(RFC 7672 3.1.3)";
	if (usage != 2 && usage != 3)
		return "unknown certificate usage";
	if (selector > 1)
		return "unknown selector";
	switch (mtype) {
	case 0:
		return len > 0 ? NULL : "empty association data";
	case 1:
		return len == 32 ? NULL : "SHA2-256 data of the wrong length";
	case 2:
		return len == 64 ? NULL : "SHA2-512 data of the wrong length";
	default:
		return "unknown matching type";
	}
}

const char *
dane_usage_name(uint8_t usage)
{
	return usage == 3 ? "dane-ee" : usage == 2 ? "dane-ta" : "none";
}

/* The verdict when the TLSA look-up answered (status OK or a denial). */
static enum dane_verdict
decide_tlsa(const struct dane_facts *f, const char *host, char *why,
    size_t whylen)
{
	if (f->tlsa_status != DNS_OK) {
		snprintf(why, whylen,
		    f->tlsa_secure ? "%s has no TLSA records (secure denial)"
		                   : "the denial of TLSA records for %s is "
		                     "insecure",
		    host);
		return DANE_NONE;
	}
	if (!f->tlsa_secure) {
		snprintf(why, whylen,
		    "the TLSA records of %s are insecure (no AD bit): ignored",
		    host);
		return DANE_NONE;
	}
	if (f->tlsa_usable == 0) {
		snprintf(why, whylen,
		    "%s has secure TLSA records but none is usable: TLS "
		    "required, not authenticated (RFC 7672 2.2)",
		    host);
		return DANE_TLS_ONLY;
	}
	snprintf(why, whylen, "%s has %zu usable secure TLSA record%s", host,
	    f->tlsa_usable, f->tlsa_usable == 1 ? "" : "s");
	return DANE_AUTH;
}

enum dane_verdict
dane_decide(const struct dane_facts *f, const char *host,
    const char *resolver_name, char *why, size_t whylen)
{
	if (!f->mx_secure && f->mx_signed) {
		snprintf(why, whylen,
		    "resolver %s did not validate (no AD bit on a signed "
		    "answer): DANE needs a DNSSEC-validating resolver",
		    resolver_name);
		return DANE_NONE;
	}
	if (!f->mx_secure) {
		snprintf(why, whylen,
		    "the MX records are not DNSSEC-secure (no AD bit from "
		    "resolver %s: an unsigned zone, or a resolver that does "
		    "not validate)",
		    resolver_name);
		return DANE_NONE;
	}
	if (!f->addr_secure) {
		snprintf(why, whylen,
		    "the address records of %s are not DNSSEC-secure", host);
		return DANE_NONE;
	}
	if (f->tlsa_status == DNS_ERROR) {
		/* RFC 7672 2.2.2: a failed TLSA look-up (SERVFAIL, bogus)
		 * makes the host unusable for now. */
		snprintf(why, whylen, "the TLSA look-up for %s failed", host);
		return DANE_DEFER;
	}
	return decide_tlsa(f, host, why, whylen);
}

static const char *
verdict_word(enum dane_verdict v)
{
	switch (v) {
	case DANE_AUTH:
		return "dane";
	case DANE_TLS_ONLY:
		return "tls-only";
	case DANE_DEFER:
		return "defer";
	case DANE_NONE:
	default:
		return "none";
	}
}

/* Whether every address RRset of host that exists is secure; *cname gets
 * where a CNAME chain of one of them ended (borrowed from the cache). */
static bool
addr_secure(struct resolver *r, const char *host, const char **cname)
{
	static const enum dns_type types[] = { DNS_T_AAAA, DNS_T_A };
	bool any = false, secure = true;

	*cname = NULL;
	for (size_t i = 0; i < NELEM(types); i++) {
		const struct dns_result *a = resolver_query(r, host, types[i]);

		if (a->status != DNS_OK)
			continue;
		any = true;
		secure = secure && a->secure;
		if (a->cname != NULL)
			*cname = a->cname;
	}
	return any && secure;
}

/* The usable records among res. */
static size_t
count_usable(const struct dns_result *res)
{
	size_t n = 0;

	for (size_t i = 0; res->status == DNS_OK && i < res->n; i++)
		n += dane_tlsa_unusable(res->rr[i].tlsa_usage,
		         res->rr[i].tlsa_selector, res->rr[i].tlsa_mtype,
		         res->rr[i].len) == NULL;
	return n;
}

/* Keep (copies of) the usable records of res in h. */
static void
keep_usable(const struct dns_result *res, struct dane_host *h)
{
	for (size_t i = 0; res->status == DNS_OK && i < res->n; i++) {
		const struct dns_rr *rr = &res->rr[i];
		struct dane_tlsa *t;

		if (dane_tlsa_unusable(rr->tlsa_usage, rr->tlsa_selector,
		        rr->tlsa_mtype, rr->len) != NULL ||
		    h->ntlsa >= DANE_MAX_TLSA)
			continue;
		h->tlsa = xrealloc(h->tlsa, (h->ntlsa + 1) * sizeof(*h->tlsa));
		t = &h->tlsa[h->ntlsa++];
		t->usage = rr->tlsa_usage;
		t->selector = rr->tlsa_selector;
		t->mtype = rr->tlsa_mtype;
		t->len = rr->len;
		t->data = xmalloc(rr->len);
		memcpy(t->data, rr->text, rr->len);
	}
}

/*
 * The TLSA records of host on port: at the end of its secure CNAME chain
 * first, then at the name itself (RFC 7672 2.2.2). Fills f and h->base.
 */
static const struct dns_result *
tlsa_lookup(struct resolver *r, const char *host, const char *cname,
    unsigned port, struct dane_facts *f, struct dane_host *h)
{
	const char *bases[2] = { cname, host };
	const struct dns_result *res = NULL;
	char q[320];

	for (size_t i = 0; i < NELEM(bases); i++) {
		if (bases[i] == NULL)
			continue;
		snprintf(q, sizeof(q), "_%u._tcp.%s", port, bases[i]);
		snprintf(h->base, sizeof(h->base), "%s", bases[i]);
		res = resolver_query(r, q, DNS_T_TLSA);
		if (res->status != DNS_NXDOMAIN && res->status != DNS_NODATA)
			break;
		if (!res->secure)
			break;
	}
	f->tlsa_status = res->status;
	f->tlsa_secure = res->secure;
	f->tlsa_usable = count_usable(res);
	return res;
}

/* Decide for one host whose MX (if any) is secure. */
static void
resolve_host(struct resolver *r, const char *resolver_name, unsigned port,
    struct dane_facts f, struct dane_host *h)
{
	const struct dns_result *res = NULL;
	const char *cname = NULL;
	struct ipaddr ip;

	if (ip_parse(h->name, &ip) == 0) {
		h->verdict = DANE_NONE;
		snprintf(h->why, sizeof(h->why),
		    "%s is an address: no TLSA base domain", h->name);
		return;
	}
	f.addr_secure = addr_secure(r, h->name, &cname);
	if (f.addr_secure)
		res = tlsa_lookup(r, h->name, cname, port, &f, h);
	h->verdict =
	    dane_decide(&f, h->name, resolver_name, h->why, sizeof(h->why));
	if (h->verdict == DANE_DEFER && res != NULL) {
		size_t n = strlen(h->why);

		snprintf(h->why + n, sizeof(h->why) - n, " (%s)",
		    resolver_status_text(res));
	}
	if (h->verdict == DANE_AUTH)
		keep_usable(res, h);
}

/* The entry for name in out, made when new. */
static struct dane_host *
dest_add(struct dane_dest *out, const char *name, bool *fresh)
{
	for (size_t i = 0; i < out->nhosts; i++)
		if (strcasecmp(out->hosts[i].name, name) == 0) {
			*fresh = false;
			return &out->hosts[i];
		}
	out->hosts =
	    xrealloc(out->hosts, (out->nhosts + 1) * sizeof(*out->hosts));
	memset(&out->hosts[out->nhosts], 0, sizeof(*out->hosts));
	snprintf(out->hosts[out->nhosts].name,
	    sizeof(out->hosts[out->nhosts].name), "%s", name);
	*fresh = true;
	return &out->hosts[out->nhosts++];
}

/* Take the hosts DANE defers out of mx; 451 when none is left. */
static void
drop_deferred(const struct dane_dest *d, struct mx_result *mx)
{
	size_t n = 0;

	for (size_t i = 0; i < mx->n; i++) {
		const struct dane_host *h = dane_dest_host(d, mx->t[i].name);

		if (h == NULL || h->verdict != DANE_DEFER)
			mx->t[n++] = mx->t[i];
	}
	mx->n = n;
	if (n == 0) {
		mx->code = 451;
		snprintf(mx->reply, sizeof(mx->reply), "4.7.5 DANE: %.280s",
		    d->note);
	}
}

void
dane_resolve(struct resolver *r, const char *resolver_name, const char *qid,
    const char *domain, bool via_mx, unsigned port, struct mx_result *mx,
    struct dane_dest *out)
{
	struct dane_facts f = { true, false, false, DNS_ERROR, false, 0 };
	char why[300];

	memset(out, 0, sizeof(*out));
	if (via_mx) {
		const struct dns_result *m =
		    resolver_query(r, domain, DNS_T_MX);

		f.mx_secure = m->secure;
		f.mx_signed = m->has_rrsig;
	}
	if (!f.mx_secure) {
		dane_decide(&f, domain, resolver_name, why, sizeof(why));
		log_info("event=dane qid=%s domain=%s result=insecure "
		         "reason=\"%s\"",
		    qid, domain, why);
		if (f.mx_signed)
			snprintf(out->note, sizeof(out->note),
			    "DANE not applied: %.250s", why);
		return;
	}
	for (size_t i = 0; i < mx->n; i++) {
		bool fresh;
		struct dane_host *h = dest_add(out, mx->t[i].name, &fresh);

		if (!fresh)
			continue;
		resolve_host(r, resolver_name, port, f, h);
		log_info("event=dane qid=%s domain=%s host=%s result=%s "
		         "tlsa=%zu reason=\"%s\"",
		    qid, domain, h->name, verdict_word(h->verdict), h->ntlsa,
		    h->why);
		if (h->verdict == DANE_DEFER)
			snprintf(out->note, sizeof(out->note),
			    "host skipped: %.250s", h->why);
	}
	drop_deferred(out, mx);
}

const struct dane_host *
dane_dest_host(const struct dane_dest *d, const char *name)
{
	for (size_t i = 0; d != NULL && i < d->nhosts; i++)
		if (strcasecmp(d->hosts[i].name, name) == 0)
			return &d->hosts[i];
	return NULL;
}

void
dane_dest_cleanup(struct dane_dest *d)
{
	for (size_t i = 0; i < d->nhosts; i++) {
		for (size_t j = 0; j < d->hosts[i].ntlsa; j++)
			free(d->hosts[i].tlsa[j].data);
		free(d->hosts[i].tlsa);
	}
	free(d->hosts);
	memset(d, 0, sizeof(*d));
}

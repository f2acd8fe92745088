#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <ldns/ldns.h>

#include "common/util.h"
#include "dnscheck/resolver.h"

#define RESOLVER_MAX_CNAME 8
#define RESOLVER_EDNS_SIZE 1232 /* DNS flag day 2020 */

struct cache_entry {
	char *name; /* lower case, no trailing dot */
	enum dns_type type;
	struct dns_result res;
};

struct resolver {
	ldns_resolver *ldns;
	bool recursive;
	bool dnssec;
	struct cache_entry **cache; /* entries never move: results are lent */
	size_t ncache;
	size_t cap;
	size_t queries;
	size_t max_queries;
	uint64_t deadline_ms; /* 0: none */
};

static const struct dns_result deadline_result = { DNS_ERROR,
	"time limit reached", NULL, 0, 0, false, false, false, NULL };

void
resolver_opts_default(struct resolver_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->system = true;
	o->recursive = true;
	o->timeout_ms = 5000;
	o->attempts = 3;
}

void
resolver_opts_from_config(struct resolver_opts *o, const struct config *cfg)
{
	resolver_opts_default(o);
	o->system = cfg->dns.resolver_system;
	if (!o->system)
		o->server = cfg->dns.resolver_hp;
	o->timeout_ms = cfg->dns.timeout * 1000;
	if (o->timeout_ms == 0)
		o->timeout_ms = 1000;
	o->attempts =
	    cfg->dns.retries > 20 ? 21 : (unsigned)cfg->dns.retries + 1;
}

static int
resolver_add_server(ldns_resolver *res, const struct resolver_opts *o,
    struct err *e)
{
	ldns_rdf *ns;
	ldns_status st;

	if (!o->server.is_ip)
		return err_set(e, "resolver %s: an IP address is needed",
		    o->server.host);
	ns = ldns_rdf_new_frm_str(o->server.ip.family == AF_INET
	                              ? LDNS_RDF_TYPE_A
	                              : LDNS_RDF_TYPE_AAAA,
	    o->server.host);
	if (ns == NULL)
		return err_set(e, "resolver %s: not an IP address",
		    o->server.host);
	st = ldns_resolver_push_nameserver(res, ns);
	ldns_rdf_deep_free(ns);
	if (st != LDNS_STATUS_OK)
		return err_set(e, "resolver %s: %s", o->server.host,
		    ldns_get_errorstr_by_id(st));
	ldns_resolver_set_port(res, o->server.port != 0 ? o->server.port : 53);
	return 0;
}

struct resolver *
resolver_new(const struct resolver_opts *o, struct err *e)
{
	struct resolver *r;
	ldns_resolver *res = NULL;
	ldns_status st;
	struct timeval tv;

	if (o->system) {
		st = ldns_resolver_new_frm_file(&res, NULL);
		if (st != LDNS_STATUS_OK) {
			err_set(e, "system resolver (/etc/resolv.conf): %s",
			    ldns_get_errorstr_by_id(st));
			return NULL;
		}
	} else {
		res = ldns_resolver_new();
		if (resolver_add_server(res, o, e) == -1) {
			ldns_resolver_deep_free(res);
			return NULL;
		}
	}
	tv.tv_sec = (time_t)(o->timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)((o->timeout_ms % 1000) * 1000);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res,
	    (uint8_t)(o->attempts > 0 ? o->attempts : 1));
	ldns_resolver_set_retrans(res, 0);
	ldns_resolver_set_fallback(res, false); /* done by hand, see send */
	ldns_resolver_set_recursive(res, o->recursive);
	ldns_resolver_set_defnames(res, false);
	ldns_resolver_set_dnsrch(res, false);
	ldns_resolver_set_edns_udp_size(res, RESOLVER_EDNS_SIZE);
	r = xcalloc(1, sizeof(*r));
	r->ldns = res;
	r->recursive = o->recursive;
	r->dnssec = o->dnssec;
	r->max_queries = o->max_queries != 0 ? o->max_queries : 2000;
	return r;
}

static void
result_cleanup(struct dns_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		free(res->rr[i].text);
	free(res->rr);
	free(res->cname);
	memset(res, 0, sizeof(*res));
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ncache; i++) {
		free(r->cache[i]->name);
		result_cleanup(&r->cache[i]->res);
		free(r->cache[i]);
	}
	free(r->cache);
	ldns_resolver_deep_free(r->ldns);
	free(r);
}

uint64_t
resolver_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
resolver_set_deadline(struct resolver *r, uint64_t deadline_ms)
{
	uint64_t prev = r->deadline_ms;

	r->deadline_ms = deadline_ms;
	return prev;
}

size_t
resolver_queries(const struct resolver *r)
{
	return r->queries;
}

const char *
resolver_status_text(const struct dns_result *res)
{
	switch (res->status) {
	case DNS_OK:
		return "ok";
	case DNS_NXDOMAIN:
		return "NXDOMAIN";
	case DNS_NODATA:
		return "no data";
	case DNS_ERROR:
	default:
		return res->error != NULL ? res->error : "DNS error";
	}
}

void
resolver_reverse_name(const struct ipaddr *ip, char *dst, size_t dstlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (ip->family == AF_INET) {
		snprintf(dst, dstlen, "%u.%u.%u.%u.in-addr.arpa", ip->a[3],
		    ip->a[2], ip->a[1], ip->a[0]);
		return;
	}
	for (int i = 15; i >= 0 && o + 4 < dstlen; i--) {
		dst[o++] = hex[ip->a[i] & 0xf];
		dst[o++] = '.';
		dst[o++] = hex[ip->a[i] >> 4];
		dst[o++] = '.';
	}
	dst[o] = '\0';
	if (str_copy(dst + o, dstlen - o, "ip6.arpa") == -1)
		dst[0] = '\0';
}

/* A name as text without the trailing dot; caller frees. */
static char *
rdf_name(const ldns_rdf *rdf)
{
	char *s = ldns_rdf2str(rdf);
	size_t n;

	if (s == NULL)
		return xstrdup("");
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

/* The character-strings of a TXT record, joined (RFC 7208 3.3). */
static void
rr_txt(const ldns_rr *rr, struct dns_rr *out)
{
	size_t total = 0, o = 0;

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		total += ldns_rdf_size(ldns_rr_rdf(rr, i));
	out->text = xmalloc(total + 1);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(f);
		size_t n = ldns_rdf_size(f);

		if (n == 0 || (size_t)d[0] + 1 > n)
			continue;
		memcpy(out->text + o, d + 1, d[0]);
		o += d[0];
	}
	out->text[o] = '\0';
	out->len = o;
	out->nstrings = ldns_rr_rd_count(rr);
}

/* Cap on a TLSA record's association data (a full certificate fits). */
#define RESOLVER_TLSA_MAX 8192

/* A TLSA record's four fields (RFC 6698 2.1) as ldns parsed them. */
static bool
rr_tlsa(const ldns_rr *rr, struct dns_rr *out)
{
	const ldns_rdf *d;

	if (ldns_rr_rd_count(rr) != 4)
		return false;
	for (size_t i = 0; i < 3; i++)
		if (ldns_rdf_size(ldns_rr_rdf(rr, i)) != 1)
			return false;
	d = ldns_rr_rdf(rr, 3);
	if (ldns_rdf_size(d) > RESOLVER_TLSA_MAX)
		return false;
	out->tlsa_usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
	out->tlsa_selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	out->tlsa_mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
	out->len = ldns_rdf_size(d);
	out->text = xmalloc(out->len + 1);
	if (out->len > 0)
		memcpy(out->text, ldns_rdf_data(d), out->len);
	out->text[out->len] = '\0';
	return true;
}

/* Convert one answer record; false when its data is unusable. */
static bool
rr_convert(const ldns_rr *rr, enum dns_type type, struct dns_rr *out)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, type == DNS_T_MX ? 1 : 0);

	memset(out, 0, sizeof(*out));
	if (type == DNS_T_TXT || type == DNS_T_SPF) {
		rr_txt(rr, out);
		return true;
	}
	if (type == DNS_T_TLSA)
		return rr_tlsa(rr, out);
	if (f == NULL)
		return false;
	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (ldns_rdf_size(f) != (type == DNS_T_A ? 4u : 16u))
			return false;
		out->ip.family = type == DNS_T_A ? AF_INET : AF_INET6;
		memcpy(out->ip.a, ldns_rdf_data(f), ldns_rdf_size(f));
		return true;
	case DNS_T_MX:
		if (ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 2)
			return false;
		out->pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		out->text = rdf_name(f);
		return true;
	default:
		out->text = rdf_name(f);
		return true;
	}
}

/*
 * Send one question. Truncated UDP answers are asked again over TCP
 * (RFC 7766). The reply must answer our question (id, QR, question).
 */
static ldns_pkt *
send_one(struct resolver *r, const ldns_rdf *qname, enum dns_type type,
    struct dns_result *out)
{
	ldns_pkt *q = NULL, *reply = NULL;
	ldns_rr_list *qs;
	ldns_status st;

	if (r->queries >= r->max_queries) {
		out->error = "too many DNS queries in one evaluation";
		return NULL;
	}
	r->queries++;
	st = ldns_resolver_prepare_query_pkt(&q, r->ldns, qname,
	    (ldns_rr_type)type, LDNS_RR_CLASS_IN, r->recursive ? LDNS_RD : 0);
	if (st != LDNS_STATUS_OK) {
		out->error = "cannot build the query";
		return NULL;
	}
	ldns_pkt_set_edns_udp_size(q, RESOLVER_EDNS_SIZE);
	if (r->dnssec) {
		/* DO asks for the signatures; AD asks a validating resolver
		 * to say whether it found the answer secure (RFC 6840 5.7). */
		ldns_pkt_set_edns_do(q, true);
		ldns_pkt_set_ad(q, true);
	}
	st = ldns_resolver_send_pkt(&reply, r->ldns, q);
	if (st == LDNS_STATUS_OK && reply != NULL && ldns_pkt_tc(reply)) {
		out->truncated = true;
		ldns_pkt_free(reply);
		reply = NULL;
		ldns_resolver_set_usevc(r->ldns, true);
		st = ldns_resolver_send_pkt(&reply, r->ldns, q);
		ldns_resolver_set_usevc(r->ldns, false);
	}
	if (st != LDNS_STATUS_OK || reply == NULL) {
		out->error = st == LDNS_STATUS_NETWORK_ERR
		                 ? "timeout or network error"
		                 : "no usable answer";
		ldns_pkt_free(q);
		ldns_pkt_free(reply);
		return NULL;
	}
	qs = ldns_pkt_question(reply);
	if (ldns_pkt_id(reply) != ldns_pkt_id(q) || !ldns_pkt_qr(reply) ||
	    qs == NULL || ldns_rr_list_rr_count(qs) != 1 ||
	    ldns_rr_get_type(ldns_rr_list_rr(qs, 0)) != (ldns_rr_type)type ||
	    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(qs, 0)), qname) !=
	        0) {
		out->error = "answer does not match the question";
		ldns_pkt_free(q);
		ldns_pkt_free(reply);
		return NULL;
	}
	ldns_pkt_free(q);
	out->wire_len = ldns_pkt_size(reply);
	return reply;
}

static const char *
rcode_text(ldns_pkt_rcode rc)
{
	switch (rc) {
	case LDNS_RCODE_SERVFAIL:
		return "SERVFAIL";
	case LDNS_RCODE_REFUSED:
		return "REFUSED";
	case LDNS_RCODE_FORMERR:
		return "FORMERR";
	case LDNS_RCODE_NOTIMPL:
		return "NOTIMP";
	default:
		return "unexpected RCODE";
	}
}

/*
 * Collect the records of type for *cur from the answer section, following
 * CNAMEs inside it. Returns true when records were found; otherwise *cur
 * is where the chain ended (a clone, caller frees it).
 */
static bool
answer_collect(ldns_pkt *reply, enum dns_type type, ldns_rdf **cur,
    struct dns_result *out)
{
	ldns_rr_list *ans = ldns_pkt_answer(reply);
	size_t count = ans != NULL ? ldns_rr_list_rr_count(ans) : 0;

	for (int hop = 0; hop <= RESOLVER_MAX_CNAME; hop++) {
		ldns_rdf *next = NULL;

		for (size_t i = 0; i < count; i++) {
			ldns_rr *rr = ldns_rr_list_rr(ans, i);

			if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    ldns_dname_compare(ldns_rr_owner(rr), *cur) != 0)
				continue;
			if (ldns_rr_get_type(rr) == (ldns_rr_type)type) {
				out->rr = xrealloc(out->rr,
				    (out->n + 1) * sizeof(*out->rr));
				if (rr_convert(rr, type, &out->rr[out->n]))
					out->n++;
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			           type != DNS_T_CNAME &&
			           ldns_rr_rdf(rr, 0) != NULL)
				next = ldns_rr_rdf(rr, 0);
		}
		if (out->n > 0 || next == NULL)
			return out->n > 0;
		ldns_rdf_deep_free(*cur);
		*cur = ldns_rdf_clone(next);
	}
	return false;
}

/* Whether a section of reply holds an RRSIG (the zone is signed). */
static bool
has_rrsig(ldns_pkt *reply)
{
	ldns_rr_list *secs[] = { ldns_pkt_answer(reply),
		ldns_pkt_authority(reply) };

	for (size_t s = 0; s < NELEM(secs); s++)
		for (size_t i = 0;
		     secs[s] != NULL && i < ldns_rr_list_rr_count(secs[s]); i++)
			if (ldns_rr_get_type(ldns_rr_list_rr(secs[s], i)) ==
			    LDNS_RR_TYPE_RRSIG)
				return true;
	return false;
}

/* After the answer: DNSSEC flags and where a CNAME chain ended. */
static void
lookup_finish(struct resolver *r, const ldns_rdf *qname, const ldns_rdf *cur,
    bool secure, struct dns_result *out)
{
	out->secure = r->dnssec && secure && out->status != DNS_ERROR;
	if (out->status != DNS_ERROR && ldns_dname_compare(qname, cur) != 0)
		out->cname = rdf_name(cur);
}

/* Ask name/type, re-asking for the target when a CNAME chain leaves the
 * answer (an authoritative server answers only for its own zones). */
static void
lookup(struct resolver *r, const char *name, enum dns_type type,
    struct dns_result *out)
{
	ldns_rdf *cur = ldns_dname_new_frm_str(name), *qname;
	bool secure = true;

	if (cur == NULL || name[0] == '\0') {
		out->status = DNS_ERROR;
		out->error = "not a valid DNS name";
		ldns_rdf_deep_free(cur);
		return;
	}
	qname = ldns_rdf_clone(cur);
	for (int hop = 0; hop <= RESOLVER_MAX_CNAME; hop++) {
		ldns_pkt *reply = send_one(r, cur, type, out);
		ldns_pkt_rcode rc;
		ldns_rdf *asked;
		bool found, moved;

		if (reply == NULL) {
			out->status = DNS_ERROR;
			break;
		}
		rc = ldns_pkt_get_rcode(reply);
		if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
			out->status = DNS_ERROR;
			out->error = rcode_text(rc);
			ldns_pkt_free(reply);
			break;
		}
		secure = secure && ldns_pkt_ad(reply);
		out->has_rrsig = out->has_rrsig || has_rrsig(reply);
		asked = ldns_rdf_clone(cur);
		found = answer_collect(reply, type, &cur, out);
		moved = ldns_dname_compare(asked, cur) != 0;
		ldns_rdf_deep_free(asked);
		out->status = found                       ? DNS_OK
		              : rc == LDNS_RCODE_NXDOMAIN ? DNS_NXDOMAIN
		                                          : DNS_NODATA;
		/* The chain left this answer (it may end in an RRSIG, not
		 * the CNAME): ask again for where it ends. */
		if (!found && rc == LDNS_RCODE_NOERROR && moved) {
			ldns_pkt_free(reply);
			if (hop < RESOLVER_MAX_CNAME)
				continue;
			/* Still a CNAME after the last hop: a loop, or a
			 * chain too long to follow (a misconfiguration). */
			out->status = DNS_ERROR;
			out->error = "CNAME chain too long (a loop?)";
			break;
		}
		ldns_pkt_free(reply);
		break;
	}
	lookup_finish(r, qname, cur, secure, out);
	ldns_rdf_deep_free(qname);
	ldns_rdf_deep_free(cur);
}

/* Lower-case copy without the trailing dot, the cache key. */
static char *
cache_key(const char *name)
{
	char *k = xstrdup(name);
	size_t n = strlen(k);

	if (n > 1 && k[n - 1] == '.')
		k[n - 1] = '\0';
	return str_lower(k);
}

const struct dns_result *
resolver_query(struct resolver *r, const char *name, enum dns_type type)
{
	char *key = cache_key(name);
	struct cache_entry *c;

	for (size_t i = 0; i < r->ncache; i++)
		if (r->cache[i]->type == type &&
		    strcmp(r->cache[i]->name, key) == 0) {
			free(key);
			return &r->cache[i]->res;
		}
	if (r->deadline_ms != 0 && resolver_now_ms() >= r->deadline_ms) {
		free(key);
		return &deadline_result;
	}
	r->cache =
	    xreallocarray(r->cache, &r->cap, r->ncache + 1, sizeof(*r->cache));
	c = xcalloc(1, sizeof(*c));
	r->cache[r->ncache++] = c;
	c->name = key;
	c->type = type;
	lookup(r, key, type, &c->res);
	return &c->res;
}

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "provision/providers/provider_int.h"

/* DNS helpers the providers share: zone discovery, TXT reads, resolvers. */

int
provider_zone_walk(const char *name, provider_soa_fn *q, void *ctx, char **zone,
    struct err *e)
{
	ldns_rdf *cur = ldns_dname_new_frm_str(name), *up;
	int rc = PROVIDER_OK;

	*zone = NULL;
	if (cur == NULL)
		return err_set(e, "\"%s\" is not a domain name", name),
		       PROVIDER_ERR_PERM;
	while (*zone == NULL && ldns_dname_label_count(cur) > 0) {
		char *qname = ldns_rdf2str(cur);

		qname[strlen(qname) - 1] = '\0'; /* no trailing dot */
		rc = q(ctx, qname, zone, e);
		free(qname);
		if (rc != PROVIDER_OK)
			break;
		up = ldns_dname_left_chop(cur);
		ldns_rdf_deep_free(cur);
		cur = up;
	}
	ldns_rdf_deep_free(cur);
	if (rc == PROVIDER_OK && *zone == NULL) {
		err_set(e, "no zone holding %s is served there", name);
		rc = PROVIDER_ERR_PERM;
	}
	return rc;
}

/* The nameserver address of hp, resolving a host name if need be. */
static ldns_rdf *
provider_ns_rdf(const struct hostport *hp, struct err *e)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char host[64];
	ldns_rdf *rdf;
	int rc;

	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(hp->host, "53", &hints, &ai)) != 0) {
		err_set(e, "%s: %s", hp->host, gai_strerror(rc));
		return NULL;
	}
	rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL,
	    0, NI_NUMERICHOST);
	rdf = rc != 0 ? NULL
	              : ldns_rdf_new_frm_str(ai->ai_family == AF_INET6
	                                         ? LDNS_RDF_TYPE_AAAA
	                                         : LDNS_RDF_TYPE_A,
	                    host);
	freeaddrinfo(ai);
	if (rdf == NULL)
		err_set(e, "%s: not a usable address", hp->host);
	return rdf;
}

ldns_resolver *
provider_resolver_new(const struct hostport *hp, uint64_t timeout,
    struct err *e)
{
	struct timeval tv = { (time_t)(timeout > 0 ? timeout : 5), 0 };
	ldns_resolver *res = NULL;
	ldns_rdf *ns;
	ldns_status st;

	if (hp == NULL) {
		st = ldns_resolver_new_frm_file(&res, NULL);
		if (st != LDNS_STATUS_OK) {
			err_set(e, "system resolver: %s",
			    ldns_get_errorstr_by_id(st));
			return NULL;
		}
	} else {
		if ((ns = provider_ns_rdf(hp, e)) == NULL)
			return NULL;
		res = ldns_resolver_new();
		st = ldns_resolver_push_nameserver(res, ns);
		ldns_rdf_deep_free(ns);
		if (st != LDNS_STATUS_OK) {
			ldns_resolver_deep_free(res);
			err_set(e, "%s: %s", hp->host,
			    ldns_get_errorstr_by_id(st));
			return NULL;
		}
		ldns_resolver_set_port(res, hp->port);
	}
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_dnssec(res, false);
	return res;
}

/* Send one query; the answer or NULL with e set (a temporary failure). */
static ldns_pkt *
provider_query(ldns_resolver *res, const char *qname, ldns_rr_type type,
    struct err *e)
{
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	ldns_pkt *pkt = NULL;
	ldns_status st;

	if (name == NULL) {
		err_set(e, "\"%s\" is not a domain name", qname);
		return NULL;
	}
	st = ldns_resolver_query_status(&pkt, res, name, type, LDNS_RR_CLASS_IN,
	    LDNS_RD);
	ldns_rdf_deep_free(name);
	if (st != LDNS_STATUS_OK || pkt == NULL) {
		err_set(e, "no answer to the %s query for %s: %s",
		    type == LDNS_RR_TYPE_SOA ? "SOA" : "TXT", qname,
		    st != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(st)
		                         : "no packet");
		ldns_pkt_free(pkt);
		return NULL;
	}
	return pkt;
}

/* The owner of the first SOA in list, without trailing dot; or NULL. */
static char *
provider_soa_owner(const ldns_rr_list *list)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		char *s;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
			continue;
		s = ldns_rdf2str(ldns_rr_owner(rr));
		if (s != NULL && strlen(s) > 1)
			s[strlen(s) - 1] = '\0';
		return s;
	}
	return NULL;
}

int
provider_soa_answer(const ldns_pkt *pkt, const char *qname, char **apex,
    struct err *e)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);

	*apex = NULL;
	if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN) {
		*apex = provider_soa_owner(ldns_pkt_answer(pkt));
		if (*apex == NULL)
			*apex = provider_soa_owner(ldns_pkt_authority(pkt));
	}
	if (rc == LDNS_RCODE_SERVFAIL)
		return err_set(e, "SOA %s: SERVFAIL", qname), PROVIDER_ERR_TEMP;
	return PROVIDER_OK;
}

int
provider_soa_query(void *ctx, const char *qname, char **apex, struct err *e)
{
	ldns_pkt *pkt;
	int rc;

	*apex = NULL;
	if ((pkt = provider_query(ctx, qname, LDNS_RR_TYPE_SOA, e)) == NULL)
		return PROVIDER_ERR_TEMP;
	rc = provider_soa_answer(pkt, qname, apex, e);
	ldns_pkt_free(pkt);
	return rc;
}

void
provider_txt_from_rrs(const ldns_rr_list *list, const ldns_rdf *name,
    struct txt_set *out)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		struct txt_record r = { NULL, 0 };

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT ||
		    ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const uint8_t *d = ldns_rdf_data(ldns_rr_rdf(rr, j));

			txt_record_add_string(&r, (const char *)d + 1, d[0]);
		}
		txt_set_add(out, &r);
		txt_record_cleanup(&r);
		if (out->n == 1 || ldns_rr_ttl(rr) < out->ttl)
			out->ttl = ldns_rr_ttl(rr);
	}
}

int
provider_txt_query(ldns_resolver *res, const char *name, struct txt_set *out,
    struct err *e)
{
	ldns_rdf *owner = ldns_dname_new_frm_str(name);
	ldns_pkt_rcode rc;
	ldns_pkt *pkt;

	memset(out, 0, sizeof(*out));
	if (owner == NULL)
		return err_set(e, "\"%s\" is not a domain name", name),
		       PROVIDER_ERR_PERM;
	if ((pkt = provider_query(res, name, LDNS_RR_TYPE_TXT, e)) == NULL) {
		ldns_rdf_deep_free(owner);
		return PROVIDER_ERR_TEMP;
	}
	rc = ldns_pkt_get_rcode(pkt);
	if (rc == LDNS_RCODE_NOERROR)
		provider_txt_from_rrs(ldns_pkt_answer(pkt), owner, out);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(owner);
	if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN)
		return PROVIDER_OK;
	err_set(e, "TXT %s: rcode %s", name,
	    ldns_lookup_by_id(ldns_rcodes, (int)rc) != NULL
	        ? ldns_lookup_by_id(ldns_rcodes, (int)rc)->name
	        : "unknown");
	return rc == LDNS_RCODE_SERVFAIL ? PROVIDER_ERR_TEMP
	                                 : PROVIDER_ERR_PERM;
}

ldns_rr *
provider_txt_rr(const char *name, uint32_t ttl, const struct txt_record *r)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner = ldns_dname_new_frm_str(name);

	if (owner == NULL) {
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	for (size_t i = 0; i < r->n; i++) {
		uint8_t wire[256];

		wire[0] = (uint8_t)r->s[i].len;
		memcpy(wire + 1, r->s[i].data, r->s[i].len);
		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR,
		                         r->s[i].len + 1, wire));
	}
	return rr;
}

void
provider_resolver_revive(ldns_resolver *res)
{
	for (size_t i = 0; i < ldns_resolver_nameserver_count(res); i++)
		ldns_resolver_set_nameserver_rtt(res, i, LDNS_RESOLV_RTT_MIN);
}

void
provider_backoff(unsigned attempt)
{
	uint64_t ms = 250;
	struct timespec ts;

	while (attempt-- > 1 && ms < 2000)
		ms *= 2;
	if (ms > 2000)
		ms = 2000;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

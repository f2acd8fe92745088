#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/util.h"
#include "provision/providers/provider_int.h"

/*
 * RFC 2136 dynamic update with TSIG (RFC 8945) through ldns. Every change
 * carries a prerequisite (RFC 2136 2.4.2 "RRset exists (value dependent)",
 * or 2.4.3 "RRset does not exist"), so a set changed by someone else since
 * it was read is never overwritten: the server answers NXRRSET/YXRRSET.
 */

#define RFC2136_ATTEMPTS 3

/*
 * Queries (zone discovery, reads) go unsigned through an ldns resolver: a
 * server answers a question outside its zones unsigned. Updates go signed
 * over TCP (a DKIM key and its TSIG outgrow 512 bytes), sent by hand with
 * ldns so that a TSIG failure can be told apart (ldns_resolver_send_pkt()
 * drops an answer whose TSIG does not verify, rcode and TSIG error too).
 */
struct rfc2136 {
	ldns_resolver *q;
	struct sockaddr_storage *ns;
	size_t nslen;
	char server[300]; /* host:port, for messages */
	uint64_t timeout;
	char *key_name; /* "name." or NULL: unsigned updates */
	char *key_alg;  /* "hmac-sha256." */
	char *key_data; /* base64 secret; wiped */
};

static int
rfc2136_init(struct provider *p, struct err *e)
{
	const struct provider_cfg *pc = p->pc;
	struct rfc2136 *r = xcalloc(1, sizeof(*r));

	hostport_format(&pc->server_hp, r->server, sizeof(r->server));
	r->timeout = pc->timeout;
	r->q = provider_resolver_new(&pc->server_hp, pc->timeout, e);
	if (r->q == NULL) {
		free(r);
		return err_prefix(e, "server %s", pc->server);
	}
	r->ns =
	    ldns_rdf2native_sockaddr_storage(ldns_resolver_nameservers(r->q)[0],
	        pc->server_hp.port, &r->nslen);
	if (pc->has_tsig) {
		r->key_name = xasprintf("%s.", pc->tsig.name);
		r->key_alg = xasprintf("%s.", pc->tsig.algorithm);
		r->key_data = xstrdup(pc->tsig.secret);
	}
	p->priv = r;
	return 0;
}

static void
rfc2136_cleanup(struct provider *p)
{
	struct rfc2136 *r = p->priv;

	if (r == NULL)
		return;
	if (r->key_data != NULL)
		explicit_bzero(r->key_data, strlen(r->key_data));
	free(r->key_data);
	free(r->key_alg);
	free(r->key_name);
	LDNS_FREE(r->ns);
	ldns_resolver_deep_free(r->q);
	free(r);
}

/* What an rcode of an update or query means here; NULL: no error. */
static const char *
rfc2136_rcode_text(ldns_pkt_rcode rc, int *status)
{
	static const struct {
		ldns_pkt_rcode rc;
		int status;
		const char *text;
	} tab[] = {
		{ LDNS_RCODE_SERVFAIL, PROVIDER_ERR_TEMP,
		    "SERVFAIL: the server failed (try again later)" },
		{ LDNS_RCODE_NOTAUTH, PROVIDER_ERR_PERM,
		    "NOTAUTH: the server refused the TSIG key (wrong name, "
		    "algorithm or secret?) or is not authoritative for the "
		    "zone" },
		{ LDNS_RCODE_REFUSED, PROVIDER_ERR_PERM,
		    "REFUSED: the server does not allow this update (check its "
		    "ACL and the TSIG key)" },
		{ LDNS_RCODE_NOTZONE, PROVIDER_ERR_PERM,
		    "NOTZONE: the record is not in the zone" },
		{ LDNS_RCODE_YXRRSET, PROVIDER_ERR_CONFLICT,
		    "YXRRSET: the TXT set was created since it was read; "
		    "nothing changed (plan again)" },
		{ LDNS_RCODE_NXRRSET, PROVIDER_ERR_CONFLICT,
		    "NXRRSET: the TXT set changed since it was read; nothing "
		    "changed (plan again)" },
		{ LDNS_RCODE_FORMERR, PROVIDER_ERR_PERM,
		    "FORMERR: the server could not parse the update" },
		{ LDNS_RCODE_NOTIMPL, PROVIDER_ERR_PERM,
		    "NOTIMP: the server does not implement dynamic update" },
	};

	*status = PROVIDER_OK;
	if (rc == LDNS_RCODE_NOERROR)
		return NULL;
	for (size_t i = 0; i < NELEM(tab); i++)
		if (tab[i].rc == rc) {
			*status = tab[i].status;
			return tab[i].text;
		}
	*status = PROVIDER_ERR_PERM;
	return "unexpected rcode (see RFC 2136 2.2)";
}

/* No answer: a temporary error. */
static int
rfc2136_no_answer(struct rfc2136 *r, ldns_status st, struct err *e)
{
	return err_set(e, "no answer after %d attempts of %llu s (%s)",
	           RFC2136_ATTEMPTS, (unsigned long long)r->timeout,
	           ldns_get_errorstr_by_id(st)),
	       PROVIDER_ERR_TEMP;
}

/* One SOA question, retried on timeouts. */
static int
rfc2136_soa(void *ctx, const char *qname, char **apex, struct err *e)
{
	struct rfc2136 *r = ctx;
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	ldns_pkt *pkt = NULL;
	ldns_status st = LDNS_STATUS_ERR;
	int status;

	*apex = NULL;
	for (unsigned a = 1; a <= RFC2136_ATTEMPTS && name != NULL; a++) {
		if (a > 1)
			provider_backoff(a - 1);
		provider_resolver_revive(r->q);
		ldns_pkt_free(pkt);
		pkt = NULL;
		st = ldns_resolver_query_status(&pkt, r->q, name,
		    LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
		if (st == LDNS_STATUS_OK && pkt != NULL)
			break;
	}
	ldns_rdf_deep_free(name);
	if (st != LDNS_STATUS_OK || pkt == NULL) {
		ldns_pkt_free(pkt);
		return rfc2136_no_answer(r, st, e);
	}
	status = provider_soa_answer(pkt, qname, apex, e);
	ldns_pkt_free(pkt);
	return status;
}

static int
rfc2136_find_zone(struct provider *p, const char *name, char **zone,
    struct err *e)
{
	struct rfc2136 *r = p->priv;
	int rc = provider_zone_walk(name, rfc2136_soa, r, zone, e);

	if (rc != PROVIDER_OK)
		err_prefix(e, "server %s", r->server);
	return rc;
}

static int
rfc2136_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	struct rfc2136 *r = p->priv;
	int rc = PROVIDER_ERR_TEMP;

	(void)zone;
	for (unsigned a = 1; a <= RFC2136_ATTEMPTS; a++) {
		if (a > 1)
			provider_backoff(a - 1);
		provider_resolver_revive(r->q);
		txt_set_cleanup(out);
		rc = provider_txt_query(r->q, name, out, e);
		if (rc != PROVIDER_ERR_TEMP)
			break;
	}
	if (rc != PROVIDER_OK)
		err_prefix(e, "server %s", r->server);
	return rc;
}

/* An RR for name with no rdata: RRset-level prerequisites and deletes. */
static ldns_rr *
rfc2136_empty_rr(const char *name, ldns_rr_class cls)
{
	ldns_rr *rr = ldns_rr_new();

	ldns_rr_set_owner(rr, ldns_dname_new_frm_str(name));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, 0);
	return rr;
}

/*
 * The update message: prerequisite on old, delete the TXT set, add new.
 * RFC 2136 2.4.2: value-dependent prerequisites carry the zone's class and
 * TTL 0; 2.4.3: "does not exist" is class NONE; 2.5.2: delete is class ANY.
 */
static ldns_pkt *
rfc2136_update_pkt(const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new)
{
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_rdf *zrdf = ldns_dname_new_frm_str(zone);
	ldns_pkt *pkt;

	if (old->n == 0)
		ldns_rr_list_push_rr(pre,
		    rfc2136_empty_rr(name, LDNS_RR_CLASS_NONE));
	for (size_t i = 0; i < old->n; i++)
		ldns_rr_list_push_rr(pre,
		    provider_txt_rr(name, 0, &old->rec[i]));
	ldns_rr_list_push_rr(up, rfc2136_empty_rr(name, LDNS_RR_CLASS_ANY));
	for (size_t i = 0; i < new->n; i++)
		ldns_rr_list_push_rr(up,
		    provider_txt_rr(name, new->ttl, &new->rec[i]));
	pkt = ldns_update_pkt_new(zrdf, LDNS_RR_CLASS_IN, pre, up, NULL);
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return pkt;
}

/* The mnemonic of an rcode ("NOTAUTH"). */
static const char *
rfc2136_rcode_name(ldns_pkt_rcode rc)
{
	const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)rc);

	return t != NULL ? t->name : "unknown rcode";
}

/* The TSIG error of an answer (RFC 8945 4.3), or 0. */
static unsigned
rfc2136_tsig_error(const ldns_pkt *answer)
{
	const ldns_rr *t = ldns_pkt_tsig(answer);

	if (t == NULL || ldns_rr_rd_count(t) < 6)
		return 0;
	return ldns_rdf2native_int16(ldns_rr_rdf(t, 5));
}

/*
 * Judge a signed update's answer: the rcode, the TSIG error the server
 * gave, and whether its TSIG verifies with our key.
 */
static int
rfc2136_check_answer(struct rfc2136 *r, ldns_pkt *answer, const uint8_t *wire,
    size_t len, const ldns_rdf *mac, struct err *e)
{
	static const struct {
		unsigned code;
		const char *text;
	} tsig_errors[] = {
		{ 16, "BADSIG: wrong secret" },
		{ 17, "BADKEY: the server does not know this key name and "
		      "algorithm" },
		{ 18, "BADTIME: the clocks differ by more than 5 minutes" },
		{ 22, "BADTRUNC" },
	};
	unsigned te = rfc2136_tsig_error(answer);
	const char *text = "TSIG error";
	int status;

	for (size_t i = 0; i < NELEM(tsig_errors); i++)
		if (tsig_errors[i].code == te)
			text = tsig_errors[i].text;
	if (te != 0)
		return err_set(e, "%s: TSIG key %s (%s) refused: %s",
		           rfc2136_rcode_name(ldns_pkt_get_rcode(answer)),
		           r->key_name, r->key_alg, text),
		       PROVIDER_ERR_PERM;
	if (r->key_name != NULL && !ldns_pkt_tsig_verify(answer, wire, len,
	                               r->key_name, r->key_data, mac))
		return err_set(e,
		           "%s: the answer's TSIG does not verify with key %s",
		           rfc2136_rcode_name(ldns_pkt_get_rcode(answer)),
		           r->key_name),
		       PROVIDER_ERR_PERM;
	if (r->key_name == NULL &&
	    (ldns_pkt_get_rcode(answer) == LDNS_RCODE_NOTAUTH ||
	        ldns_pkt_get_rcode(answer) == LDNS_RCODE_REFUSED))
		return err_set(e,
		           "%s: the server refused an unsigned update (give "
		           "the provider a tsig key)",
		           rfc2136_rcode_name(ldns_pkt_get_rcode(answer))),
		       PROVIDER_ERR_PERM;
	text = rfc2136_rcode_text(ldns_pkt_get_rcode(answer), &status);
	if (text != NULL)
		err_set(e, "%s", text);
	return status;
}

/* Send the update once over TCP: a provider status and e. */
static int
rfc2136_send_update(struct rfc2136 *r, ldns_pkt *pkt, struct err *e)
{
	struct timeval tv = { (time_t)r->timeout, 0 };
	ldns_buffer *qb = ldns_buffer_new(LDNS_MAX_PACKETLEN);
	ldns_pkt *answer = NULL;
	const ldns_rdf *mac = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_status st;
	int rc;

	st = r->key_name == NULL ? LDNS_STATUS_OK
	                         : ldns_pkt_tsig_sign(pkt, r->key_name,
	                               r->key_data, 300, r->key_alg, NULL);
	if (st == LDNS_STATUS_OK && r->key_name != NULL)
		mac = ldns_rr_rdf(ldns_pkt_tsig(pkt), 3);
	if (st == LDNS_STATUS_OK)
		st = ldns_pkt2buffer_wire(qb, pkt);
	if (st != LDNS_STATUS_OK) {
		ldns_buffer_free(qb);
		return err_set(e, "cannot build the update (TSIG key %s): %s",
		           r->key_name, ldns_get_errorstr_by_id(st)),
		       PROVIDER_ERR_PERM;
	}
	st = ldns_tcp_send(&wire, qb, r->ns, (socklen_t)r->nslen, tv, &len);
	ldns_buffer_free(qb);
	if (st == LDNS_STATUS_OK)
		st = ldns_wire2pkt(&answer, wire, len);
	if (st != LDNS_STATUS_OK)
		rc = rfc2136_no_answer(r, st, e);
	else
		rc = rfc2136_check_answer(r, answer, wire, len, mac, e);
	if (rc != PROVIDER_OK)
		err_prefix(e, "server %s", r->server);
	ldns_pkt_free(answer);
	LDNS_FREE(wire);
	return rc;
}

/* Whether a CNAME is at name (the server says so). */
static bool
rfc2136_has_cname(struct rfc2136 *r, const char *name)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	ldns_pkt *pkt = NULL;
	bool found = false;

	if (n != NULL &&
	    ldns_resolver_query_status(&pkt, r->q, n, LDNS_RR_TYPE_CNAME,
	        LDNS_RR_CLASS_IN, 0) == LDNS_STATUS_OK &&
	    pkt != NULL)
		found = ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) > 0;
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(n);
	return found;
}

/*
 * Read the set back after the server answered: a NOERROR update can still
 * have changed nothing (RFC 2136 3.4.2.2: a TXT where a CNAME is gets
 * silently ignored), and a conflict after a retry may be our own earlier
 * attempt having been applied.
 */
static int
rfc2136_verify(struct rfc2136 *r, const char *name, const struct txt_set *new,
    int rc, struct err *e)
{
	struct txt_set now;
	bool same;

	provider_resolver_revive(r->q);
	if (provider_txt_query(r->q, name, &now, NULL) != PROVIDER_OK)
		return rc;
	same = txt_set_equal(&now, new);
	txt_set_cleanup(&now);
	if (same)
		return PROVIDER_OK;
	if (rc != PROVIDER_OK)
		return rc;
	if (rfc2136_has_cname(r, name))
		return err_set(e,
		           "server %s: a CNAME is at %s, so the server ignored "
		           "the TXT update (RFC 2136 3.4.2.2); remove the "
		           "CNAME "
		           "or use another name",
		           r->server, name),
		       PROVIDER_ERR_PERM;
	return err_set(e,
	           "server %s: the update was accepted but the server does "
	           "not serve the new TXT set (changed again meanwhile?)",
	           r->server),
	       PROVIDER_ERR_CONFLICT;
}

static int
rfc2136_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	struct rfc2136 *r = p->priv;
	int rc = PROVIDER_ERR_TEMP;

	for (unsigned a = 1; a <= RFC2136_ATTEMPTS; a++) {
		ldns_pkt *pkt = rfc2136_update_pkt(zone, name, old, new);

		if (a > 1)
			provider_backoff(a - 1);
		rc = rfc2136_send_update(r, pkt, e);
		ldns_pkt_free(pkt);
		if (rc != PROVIDER_ERR_TEMP)
			break;
	}
	/* A retried update may have been applied by an earlier attempt. */
	if (rc == PROVIDER_ERR_CONFLICT || rc == PROVIDER_OK)
		rc = rfc2136_verify(r, name, new, rc, e);
	return rc;
}

const struct provider_ops provider_rfc2136_ops = {
	.type = "rfc2136",
	.init = rfc2136_init,
	.find_zone = rfc2136_find_zone,
	.list_txt = rfc2136_list_txt,
	.replace_txt = rfc2136_replace_txt,
	.cleanup = rfc2136_cleanup,
};

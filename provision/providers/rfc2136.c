#include <stdlib.h>
#include <string.h>

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
 * Queries (zone discovery, reads) go unsigned: a server answers a question
 * outside its zones unsigned, which ldns would take for a bad TSIG. Updates
 * go signed, over TCP (a DKIM key and its TSIG outgrow 512 bytes).
 */
struct rfc2136 {
	ldns_resolver *q;
	ldns_resolver *res;
	char server[300]; /* host:port, for messages */
	uint64_t timeout;
};

static int
rfc2136_init(struct provider *p, struct err *e)
{
	const struct provider_cfg *pc = p->pc;
	struct rfc2136 *r = xcalloc(1, sizeof(*r));
	char *key, *alg;

	hostport_format(&pc->server_hp, r->server, sizeof(r->server));
	r->timeout = pc->timeout;
	r->res = provider_resolver_new(&pc->server_hp, pc->timeout, e);
	if (r->res == NULL) {
		free(r);
		return err_prefix(e, "server %s", pc->server);
	}
	r->q = provider_resolver_new(&pc->server_hp, pc->timeout, e);
	if (r->q == NULL) {
		ldns_resolver_deep_free(r->res);
		free(r);
		return err_prefix(e, "server %s", pc->server);
	}
	ldns_resolver_set_usevc(r->res, true);
	if (pc->has_tsig) {
		key = xasprintf("%s.", pc->tsig.name);
		alg = xasprintf("%s.", pc->tsig.algorithm);
		ldns_resolver_set_tsig_keyname(r->res, key);
		ldns_resolver_set_tsig_algorithm(r->res, alg);
		ldns_resolver_set_tsig_keydata(r->res, pc->tsig.secret);
		free(key);
		free(alg);
	}
	p->priv = r;
	return 0;
}

static void
rfc2136_cleanup(struct provider *p)
{
	struct rfc2136 *r = p->priv;
	const char *kd;
	char *w;

	if (r == NULL)
		return;
	/*
	 * ldns keeps its own copy of the TSIG secret and hands it out const;
	 * it is ours to wipe before ldns frees it (memcpy: no cast of const).
	 */
	if ((kd = ldns_resolver_tsig_keydata(r->res)) != NULL) {
		memcpy(&w, &kd, sizeof(w));
		explicit_bzero(w, strlen(w));
	}
	ldns_resolver_deep_free(r->res);
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
	return "unexpected rcode";
}

/* An ldns failure (no answer) as an error; TSIG trouble is permanent. */
static int
rfc2136_send_error(struct rfc2136 *r, ldns_status st, struct err *e)
{
	if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS ||
	    st == LDNS_STATUS_CRYPTO_TSIG_ERR)
		return err_set(e,
		           "server %s: TSIG key %s was refused or the answer's "
		           "TSIG does not verify (wrong TSIG secret or "
		           "algorithm?): %s",
		           r->server,
		           ldns_resolver_tsig_keyname(r->res) != NULL
		               ? ldns_resolver_tsig_keyname(r->res)
		               : "(none)",
		           ldns_get_errorstr_by_id(st)),
		       PROVIDER_ERR_PERM;
	return err_set(e,
	           "server %s: no answer after %d attempts of %llu s "
	           "(%s)",
	           r->server, RFC2136_ATTEMPTS, (unsigned long long)r->timeout,
	           ldns_get_errorstr_by_id(st)),
	       PROVIDER_ERR_TEMP;
}

/* One SOA question, retried on timeouts; rcodes that mean "go up" too. */
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
		st = ldns_resolver_query_status(&pkt, r->q, name,
		    LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
		if (st == LDNS_STATUS_OK ||
		    st == LDNS_STATUS_CRYPTO_TSIG_BOGUS ||
		    st == LDNS_STATUS_CRYPTO_TSIG_ERR)
			break;
	}
	ldns_rdf_deep_free(name);
	if (st != LDNS_STATUS_OK || pkt == NULL) {
		ldns_pkt_free(pkt);
		return rfc2136_send_error(r, st, e);
	}
	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOTAUTH)
		err_set(e, "server %s: SOA %s: %s", r->server, qname,
		    rfc2136_rcode_text(LDNS_RCODE_NOTAUTH, &status));
	else
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

	if (rc == PROVIDER_ERR_PERM && *zone == NULL &&
	    strstr(e->msg, "no zone holding") != NULL)
		err_set(e, "server %s serves no zone holding %s", r->server,
		    name);
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

/* Send the update once: a provider status and e. */
static int
rfc2136_send_update(struct rfc2136 *r, ldns_pkt *pkt, struct err *e)
{
	ldns_pkt *answer = NULL;
	ldns_status st;
	const char *text;
	int status;

	if (ldns_resolver_tsig_keyname(r->res) != NULL &&
	    (st = ldns_update_pkt_tsig_add(pkt, r->res)) != LDNS_STATUS_OK)
		return err_set(e, "cannot sign the update with TSIG: %s",
		           ldns_get_errorstr_by_id(st)),
		       PROVIDER_ERR_PERM;
	st = ldns_resolver_send_pkt(&answer, r->res, pkt);
	if (st != LDNS_STATUS_OK || answer == NULL) {
		ldns_pkt_free(answer);
		return rfc2136_send_error(r, st, e);
	}
	text = rfc2136_rcode_text(ldns_pkt_get_rcode(answer), &status);
	if (text != NULL)
		err_set(e, "server %s: %s", r->server, text);
	ldns_pkt_free(answer);
	return status;
}

static int
rfc2136_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	struct rfc2136 *r = p->priv;
	struct txt_set now;
	int rc = PROVIDER_ERR_TEMP;

	for (unsigned a = 1; a <= RFC2136_ATTEMPTS; a++) {
		ldns_pkt *pkt = rfc2136_update_pkt(zone, name, old, new);

		if (a > 1)
			provider_backoff(a - 1);
		provider_resolver_revive(r->res);
		rc = rfc2136_send_update(r, pkt, e);
		ldns_pkt_free(pkt);
		if (rc != PROVIDER_ERR_TEMP)
			break;
	}
	/* A retried update may have been applied by an earlier attempt. */
	if (rc == PROVIDER_ERR_CONFLICT &&
	    provider_txt_query(r->q, name, &now, NULL) == PROVIDER_OK) {
		if (txt_set_equal(&now, new))
			rc = PROVIDER_OK;
		txt_set_cleanup(&now);
	}
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

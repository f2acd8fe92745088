#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/util.h"
#include "provision/providers/http.h"
#include "provision/providers/provider_int.h"
#include "provision/providers/route53.h"

/*
 * Amazon Route 53 (API 2013-04-01), every request signed with AWS
 * Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4; query parameters
 * built in sorted order, as the libcurl of Debian 12 signs the query as
 * given). Zones by ListHostedZonesByName (NextDNSName paging), the TXT set
 * by ListResourceRecordSets from name/TXT (NextRecordName paging), and a
 * replace as one ChangeResourceRecordSets batch: DELETE of the exact set
 * read (values as Route 53 gave them) plus CREATE of the new one, so that a
 * concurrent change makes the whole batch fail instead of being
 * overwritten; then GetChange until INSYNC.
 */

#define R53_DEFAULT "https://route53.amazonaws.com"
#define R53_API "/2013-04-01"
#define R53_NS "https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_MAX_PAGES 1000
#define R53_SYNC_TIMEOUT 120 /* seconds waiting for INSYNC */

struct r53 {
	struct http_client h;
	char *base;
	char *sigv4;
	struct cloud_items zones; /* hosted zone ids by name */
};

static int
r53_init(struct provider *p, struct err *e)
{
	const struct provider_cfg *pc = p->pc;
	struct r53 *r;
	char *tok;

	if (pc->access_key_id == NULL || pc->secret_access_key == NULL ||
	    pc->access_key_id[0] == '\0' || pc->secret_access_key[0] == '\0')
		return err_set(e, "access_key_id and secret_access_key are "
		                  "needed (or AWS_ACCESS_KEY_ID and "
		                  "AWS_SECRET_ACCESS_KEY)");
	r = xcalloc(1, sizeof(*r));
	if (http_client_init(&r->h, pc->timeout, r53_errtext, e) == -1) {
		free(r);
		return -1;
	}
	r->sigv4 = xasprintf("aws:amz:%s:route53",
	    pc->region != NULL ? pc->region : "us-east-1");
	r->h.sigv4 = r->sigv4;
	r->h.userpwd =
	    xasprintf("%s:%s", pc->access_key_id, pc->secret_access_key);
	r->h.retryable = r53_retryable;
	r->h.auth_hint = "(check access_key_id, secret_access_key, region)";
	if (pc->session_token != NULL && pc->session_token[0] != '\0') {
		tok = xasprintf("X-Amz-Security-Token: %s", pc->session_token);
		http_client_header(&r->h, tok);
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	r->base = cloud_base(pc->endpoint, R53_DEFAULT);
	p->priv = r;
	return 0;
}

static void
r53_cleanup(struct provider *p)
{
	struct r53 *r = p->priv;

	if (r == NULL)
		return;
	http_client_cleanup(&r->h);
	cloud_items_cleanup(&r->zones);
	free(r->sigv4);
	free(r->base);
	free(r);
}

static int
r53_find_zone(struct provider *p, const char *name, char **zone, struct err *e)
{
	static const char *const keys[] = { "maxitems", "dnsname",
		"hostedzoneid" };
	struct r53 *r = p->priv;
	struct r53_page pg = { 0 };
	struct http_reply rep;
	int rc = PROVIDER_OK;

	cloud_items_cleanup(&r->zones);
	for (unsigned page = 1; rc == PROVIDER_OK; page++) {
		const char *vals[] = { "100", pg.next_name, pg.next_id };
		char *q = r53_query(keys, vals, NELEM(keys));
		char *url =
		    xasprintf("%s" R53_API "/hostedzonesbyname?%s", r->base, q);

		rc = http_request(&r->h, "GET", url, NULL, NULL, 0, &rep, e);
		if (rc == PROVIDER_OK &&
		    (rc = r53_decode_zones(rep.body.data, rep.body.len,
		         &r->zones, &pg, e)) != PROVIDER_OK)
			err_prefix(e, "GET %s", url);
		http_reply_cleanup(&rep);
		free(url);
		free(q);
		if (!pg.truncated || page >= R53_MAX_PAGES)
			break;
	}
	r53_page_cleanup(&pg);
	if (rc == PROVIDER_OK &&
	    (*zone = cloud_pick_zone(&r->zones, name)) == NULL) {
		err_set(e,
		    "no hosted zone holding %s is visible with these "
		    "credentials (%zu zones)",
		    name, r->zones.n);
		rc = PROVIDER_ERR_PERM;
	}
	return rc;
}

/* The hosted zone id of zone (listing the zones once). */
static int
r53_zone_id(struct provider *p, const char *zone, const char **id,
    struct err *e)
{
	struct r53 *r = p->priv;
	char *z = NULL;
	size_t zl = strlen(zone);

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->zones.n; i++) {
			const char *n = r->zones.v[i].name;

			if (strncasecmp(n, zone, zl) == 0 &&
			    (n[zl] == '\0' || strcmp(n + zl, ".") == 0)) {
				*id = r->zones.v[i].id;
				return PROVIDER_OK;
			}
		}
		if (pass == 0) {
			int rc = r53_find_zone(p, zone, &z, e);

			free(z);
			if (rc != PROVIDER_OK)
				return rc;
		}
	}
	return err_set(e, "hosted zone %s is not visible", zone),
	       PROVIDER_ERR_PERM;
}

/* The TXT values at name as Route 53 gives them. */
static int
r53_read(struct provider *p, const char *zone, const char *name,
    struct cloud_items *raw, struct err *e)
{
	static const char *const keys[] = { "name", "type", "maxitems" };
	struct r53 *r = p->priv;
	char *fq = xasprintf("%s.", name), *q, *url;
	const char *vals[] = { fq, "TXT", "300" }, *id;
	struct r53_page pg = { 0 };
	struct http_reply rep;
	bool past = false;
	int rc = r53_zone_id(p, zone, &id, e);

	for (unsigned page = 1; rc == PROVIDER_OK && !past; page++) {
		q = r53_query(keys, vals, NELEM(keys));
		url = xasprintf("%s" R53_API "/hostedzone/%s/rrset?%s", r->base,
		    id, q);
		rc = http_request(&r->h, "GET", url, NULL, NULL, 0, &rep, e);
		if (rc == PROVIDER_OK &&
		    (rc = r53_decode_rrsets(rep.body.data, rep.body.len, name,
		         raw, &past, &pg, e)) != PROVIDER_OK)
			err_prefix(e, "GET %s", url);
		http_reply_cleanup(&rep);
		free(url);
		free(q);
		if (!pg.truncated || page >= R53_MAX_PAGES)
			break;
		vals[0] = pg.next_name; /* the set goes on on the next page */
		vals[1] = pg.next_id;
	}
	r53_page_cleanup(&pg);
	free(fq);
	return rc;
}

/* The set the raw values make; each value is the zone-file form. */
static int
r53_set(const struct cloud_items *raw, struct txt_set *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < raw->n; i++) {
		struct txt_record rec;

		if (txt_record_parse(raw->v[i].name, &rec, e) == -1) {
			txt_set_cleanup(out);
			return err_prefix(e, "TXT value %s", raw->v[i].name),
			       PROVIDER_ERR_PERM;
		}
		txt_set_add(out, &rec);
		txt_record_cleanup(&rec);
		out->ttl = raw->v[i].ttl;
	}
	return PROVIDER_OK;
}

static int
r53_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	struct cloud_items raw = { 0 };
	int rc = r53_read(p, zone, name, &raw, e);

	if (rc == PROVIDER_OK)
		rc = r53_set(&raw, out, e);
	cloud_items_cleanup(&raw);
	return rc;
}

/* One <Change> of the batch; values already in zone-file form. */
static int
r53_change_xml(struct buf *b, const char *action, const char *name,
    uint32_t ttl, char *const *values, size_t n)
{
	char *en = r53_xml_escape(name);
	int rc = buf_printf(b,
	    "<Change><Action>%s</Action><ResourceRecordSet><Name>%s.</Name>"
	    "<Type>TXT</Type><TTL>%u</TTL><ResourceRecords>",
	    action, en, ttl);

	free(en);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *ev = r53_xml_escape(values[i]);

		rc = buf_printf(b,
		    "<ResourceRecord><Value>%s</Value></ResourceRecord>", ev);
		free(ev);
	}
	if (rc == 0)
		rc = buf_append_str(b,
		    "</ResourceRecords></ResourceRecordSet></Change>");
	return rc;
}

/* The batch: DELETE the set as read (raw), CREATE new. Caller frees. */
static char *
r53_batch(const char *name, const struct cloud_items *raw,
    const struct txt_set *new, uint32_t ttl)
{
	char **old = xcalloc(raw->n + 1, sizeof(*old));
	char **nv = xcalloc(new->n + 1, sizeof(*nv));
	struct buf b;
	int rc;

	buf_init(&b, 0);
	for (size_t i = 0; i < raw->n; i++)
		old[i] = raw->v[i].name;
	for (size_t i = 0; i < new->n; i++)
		nv[i] = txt_record_format(&new->rec[i]);
	rc = buf_printf(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ChangeResourceRecordSetsRequest xmlns=\"" R53_NS "\">"
	    "<ChangeBatch><Comment>postern</Comment><Changes>");
	if (rc == 0 && raw->n > 0)
		rc = r53_change_xml(&b, "DELETE", name, raw->v[0].ttl, old,
		    raw->n);
	if (rc == 0 && new->n > 0)
		rc = r53_change_xml(&b, "CREATE", name, ttl, nv, new->n);
	if (rc == 0)
		rc = buf_append_str(&b, "</Changes></ChangeBatch>"
		                        "</ChangeResourceRecordSetsRequest>");
	for (size_t i = 0; i < new->n; i++)
		free(nv[i]);
	free(nv);
	free(old);
	return buf_steal(&b, NULL);
}

/* GetChange until INSYNC, backing off to 2 s, at most R53_SYNC_TIMEOUT. */
static int
r53_wait_sync(struct provider *p, char *id, struct err *e)
{
	struct r53 *r = p->priv;
	time_t until = time(NULL) + R53_SYNC_TIMEOUT;
	struct http_reply rep;
	int rc = PROVIDER_OK;

	for (unsigned a = 1; rc == PROVIDER_OK; a++) {
		char *url, *nid = NULL, *status = NULL;
		const char *cid = strncmp(id, "/change/", 8) == 0 ? id + 8 : id;

		provider_backoff(a);
		url = xasprintf("%s" R53_API "/change/%s", r->base, cid);
		rc = http_request(&r->h, "GET", url, NULL, NULL, 0, &rep, e);
		if (rc == PROVIDER_OK &&
		    (rc = r53_decode_change(rep.body.data, rep.body.len, &nid,
		         &status, e)) != PROVIDER_OK)
			err_prefix(e, "GET %s", url);
		http_reply_cleanup(&rep);
		free(url);
		if (rc == PROVIDER_OK && strcmp(status, "INSYNC") == 0) {
			free(nid);
			free(status);
			break;
		}
		if (rc == PROVIDER_OK && time(NULL) >= until) {
			err_set(e,
			    "change %s is still %s after %d s (it "
			    "was accepted and will apply)",
			    cid, status, R53_SYNC_TIMEOUT);
			rc = PROVIDER_ERR_TEMP;
		}
		free(nid);
		free(status);
	}
	return rc;
}

/* POST the batch; CONFLICT when Route 53 refuses the DELETE of old. */
static int
r53_post(struct provider *p, const char *zid, const char *batch, char **id,
    struct err *e)
{
	struct r53 *r = p->priv;
	char *url =
	    xasprintf("%s" R53_API "/hostedzone/%s/rrset", r->base, zid);
	struct curl_slist *h =
	    curl_slist_append(NULL, "Content-Type: text/xml");
	struct http_reply rep;
	char *status = NULL, *code;
	int rc = http_request(&r->h, "POST", url, batch, h, 0, &rep, e);

	*id = NULL;
	if (rc == PROVIDER_ERR_PERM && rep.status == 400) {
		code = r53_errcode(rep.body.data, rep.body.len);
		if (code != NULL && strcmp(code, "InvalidChangeBatch") == 0) {
			err_prefix(e, "the TXT set changed since it was read; "
			              "nothing changed (plan again)");
			rc = PROVIDER_ERR_CONFLICT;
		}
		free(code);
	} else if (rc == PROVIDER_OK &&
	           (rc = r53_decode_change(rep.body.data, rep.body.len, id,
	                &status, e)) != PROVIDER_OK)
		err_prefix(e,
		    "POST %s (the change may have been made: list "
		    "the set again)",
		    url);
	free(status);
	http_reply_cleanup(&rep);
	curl_slist_free_all(h);
	free(url);
	return rc;
}

static int
r53_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	struct cloud_items raw = { 0 };
	struct txt_set now;
	const char *zid;
	char *batch, *id = NULL;
	int rc = r53_read(p, zone, name, &raw, e);

	if (rc == PROVIDER_OK && (rc = r53_set(&raw, &now, e)) == PROVIDER_OK) {
		if (!txt_set_equal(&now, old)) {
			err_set(e, "the TXT set changed since it was read; "
			           "nothing changed (plan again)");
			rc = PROVIDER_ERR_CONFLICT;
		}
		txt_set_cleanup(&now);
	}
	if (rc == PROVIDER_OK && (raw.n > 0 || new->n > 0) &&
	    (rc = r53_zone_id(p, zone, &zid, e)) == PROVIDER_OK) {
		batch = r53_batch(name, &raw, new,
		    new->ttl != 0 ? new->ttl : (uint32_t)p->cfg->dns.ttl);
		rc = r53_post(p, zid, batch, &id, e);
		free(batch);
		if (rc == PROVIDER_OK)
			rc = r53_wait_sync(p, id, e);
		free(id);
	}
	cloud_items_cleanup(&raw);
	return rc;
}

const struct provider_ops provider_route53_ops = {
	.type = "route53",
	.init = r53_init,
	.find_zone = r53_find_zone,
	.list_txt = r53_list_txt,
	.replace_txt = r53_replace_txt,
	.cleanup = r53_cleanup,
};

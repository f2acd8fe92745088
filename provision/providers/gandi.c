#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/util.h"
#include "provision/providers/cloud.h"
#include "provision/providers/http.h"
#include "provision/providers/provider_int.h"

/*
 * Gandi LiveDNS v5 with a personal access token (Authorization: Bearer):
 * GET /domains and GET /domains/{fqdn}/records/{name}, paged by page and the
 * Total-Count header; a TXT set is replaced whole by PUT .../{name}/TXT
 * (rrset_values: one string per record, each in zone-file form) or deleted.
 * LiveDNS has no conditional write: the set is read right before the write
 * (refused when it is not what the caller read) and after it (a concurrent
 * writer is reported, not silently lost). Values kept are written back as
 * the API gave them, byte for byte.
 */

#define GANDI_DEFAULT "https://api.gandi.net/v5/livedns"
#define GANDI_MAX_PAGES 1000
#define GANDI_PER_PAGE 100

struct gandi {
	struct http_client h;
	char *base;
};

char *
gandi_errtext(const char *body, size_t len)
{
	json_t *j = json_loadb(body != NULL ? body : "", len, 0, NULL);
	json_t *m = json_object_get(j, "message"), *errs, *x;
	struct buf b;
	size_t i;

	if (!json_is_string(m)) {
		json_decref(j);
		return NULL;
	}
	buf_init(&b, 2048);
	if (buf_append_str(&b, json_string_value(m)) == 0) {
		errs = json_object_get(j, "errors");
		json_array_foreach(errs, i, x)
		{
			json_t *n = json_object_get(x, "name");
			json_t *d = json_object_get(x, "description");

			if (buf_printf(&b, "; %s: %s",
			        json_is_string(n) ? json_string_value(n) : "?",
			        json_is_string(d) ? json_string_value(d)
			                          : "?") == -1)
				break;
		}
	}
	json_decref(j);
	return buf_steal(&b, NULL);
}

/* One domain of the /domains answer into out. */
static int
gandi_domain(json_t *x, struct cloud_items *out, struct err *e)
{
	json_t *f = json_object_get(x, "fqdn");

	if (!json_is_string(f))
		return err_set(e, "a domain lacks \"fqdn\"");
	cloud_items_add(out, NULL, json_string_value(f), 0);
	return 0;
}

/* The values of one record set into out when it is TXT. */
static int
gandi_rrset(json_t *x, struct cloud_items *out, struct err *e)
{
	json_t *t = json_object_get(x, "rrset_type");
	json_t *ttl = json_object_get(x, "rrset_ttl");
	json_t *vals = json_object_get(x, "rrset_values"), *v;
	size_t i;

	if (!json_is_string(t) || !json_is_array(vals) ||
	    !json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	    json_integer_value(ttl) > UINT32_MAX)
		return err_set(e, "a record set lacks \"rrset_type\", "
		                  "\"rrset_ttl\" or \"rrset_values\"");
	if (strcasecmp(json_string_value(t), "TXT") != 0)
		return 0;
	json_array_foreach(vals, i, v)
	{
		if (!json_is_string(v))
			return err_set(e, "a TXT value is not a string");
		cloud_items_add(out, NULL, json_string_value(v),
		    (uint32_t)json_integer_value(ttl));
	}
	return 0;
}

/* An answer that is a JSON array, decoded element by element by one. */
static int
gandi_decode(const char *body, size_t len, struct cloud_items *out, size_t *n,
    int (*one)(json_t *x, struct cloud_items *out, struct err *e),
    struct err *e)
{
	json_t *j = http_json_load(body, len, JSON_ARRAY, e), *x;
	size_t i;
	int rc = 0;

	if (j == NULL)
		return PROVIDER_ERR_PERM;
	*n = json_array_size(j);
	json_array_foreach(j, i, x) if (rc == 0) rc = one(x, out, e);
	json_decref(j);
	return rc == 0 ? PROVIDER_OK : PROVIDER_ERR_PERM;
}

int
gandi_decode_domains(const char *body, size_t len, struct cloud_items *out,
    size_t *n, struct err *e)
{
	return gandi_decode(body, len, out, n, gandi_domain, e);
}

int
gandi_decode_rrsets(const char *body, size_t len, struct cloud_items *out,
    size_t *n, struct err *e)
{
	return gandi_decode(body, len, out, n, gandi_rrset, e);
}

static int
gandi_init(struct provider *p, struct err *e)
{
	struct gandi *g = xcalloc(1, sizeof(*g));
	char *auth;

	if (http_client_init(&g->h, p->pc->timeout, gandi_errtext, e) == -1) {
		free(g);
		return -1;
	}
	g->h.auth_hint = "(the token was refused: check token)";
	auth = xasprintf("Authorization: Bearer %s", p->pc->token);
	http_client_header(&g->h, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	http_client_header(&g->h, "Content-Type: application/json");
	g->base = cloud_base(p->pc->endpoint, GANDI_DEFAULT);
	p->priv = g;
	return 0;
}

static void
gandi_cleanup(struct provider *p)
{
	struct gandi *g = p->priv;

	if (g == NULL)
		return;
	http_client_cleanup(&g->h);
	free(g->base);
	free(g);
}

typedef int gandi_decode_fn(const char *body, size_t len,
    struct cloud_items *out, size_t *n, struct err *e);

/* GET every page of path into out, up to Total-Count. */
static int
gandi_get_all(struct provider *p, const char *path, gandi_decode_fn *dec,
    struct cloud_items *out, struct err *e)
{
	struct gandi *g = p->priv;
	struct http_reply r;
	size_t seen = 0, n;
	int rc = PROVIDER_OK;

	for (unsigned page = 1; rc == PROVIDER_OK; page++) {
		char *url = xasprintf("%s%s?per_page=%d&page=%u", g->base, path,
		    GANDI_PER_PAGE, page);

		rc = http_request(&g->h, "GET", url, NULL, NULL, 0, &r, e);
		if (rc == PROVIDER_OK && (rc = dec(r.body.data, r.body.len, out,
		                              &n, e)) != PROVIDER_OK)
			err_prefix(e, "GET %s", url);
		seen += rc == PROVIDER_OK ? n : 0;
		free(url);
		if (rc != PROVIDER_OK || n == 0 || seen >= r.total_count ||
		    page >= GANDI_MAX_PAGES) {
			http_reply_cleanup(&r);
			break;
		}
		http_reply_cleanup(&r);
	}
	return rc;
}

static int
gandi_find_zone(struct provider *p, const char *name, char **zone,
    struct err *e)
{
	struct gandi *g = p->priv;
	struct cloud_items l = { 0 };
	int rc = gandi_get_all(p, "/domains", gandi_decode_domains, &l, e);

	if (rc == PROVIDER_OK && (*zone = cloud_pick_zone(&l, name)) == NULL) {
		err_set(e,
		    "no domain holding %s is visible with this token (GET "
		    "%s/domains: %zu domains)",
		    name, g->base, l.n);
		rc = PROVIDER_ERR_PERM;
	}
	cloud_items_cleanup(&l);
	return rc;
}

/* The TXT values at name as the API gives them, and the set they make. */
static int
gandi_read(struct provider *p, const char *zone, const char *name,
    struct cloud_items *raw, struct txt_set *set, struct err *e)
{
	struct gandi *g = p->priv;
	char *ez = http_escape(&g->h, zone), *rel = cloud_rel_name(zone, name);
	char *er = http_escape(&g->h, rel);
	char *path = xasprintf("/domains/%s/records/%s", ez, er);
	int rc = gandi_get_all(p, path, gandi_decode_rrsets, raw, e);

	free(path);
	free(er);
	free(rel);
	free(ez);
	memset(set, 0, sizeof(*set));
	for (size_t i = 0; rc == PROVIDER_OK && i < raw->n; i++) {
		struct txt_record r;

		if ((rc = cloud_txt_parse(raw->v[i].name, &r, e)) != 0)
			break;
		txt_set_add(set, &r);
		txt_record_cleanup(&r);
		set->ttl = raw->v[i].ttl;
	}
	if (rc != PROVIDER_OK)
		txt_set_cleanup(set);
	return rc;
}

static int
gandi_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	struct cloud_items raw = { 0 };
	int rc = gandi_read(p, zone, name, &raw, out, e);

	cloud_items_cleanup(&raw);
	return rc;
}

/* The PUT body: values kept as the API gave them, new ones formatted. */
static char *
gandi_body(const struct cloud_items *raw, const struct txt_set *now,
    const struct txt_set *new, uint32_t ttl)
{
	json_t *vals = json_array(), *j;
	bool *used = xcalloc(now->n + 1, sizeof(*used));
	char *text;

	for (size_t k = 0; k < new->n; k++) {
		size_t i;

		for (i = 0; i < now->n; i++)
			if (!used[i] &&
			    txt_record_equal(&now->rec[i], &new->rec[k]))
				break;
		if (i < now->n) {
			used[i] = true;
			json_array_append_new(vals,
			    json_string(raw->v[i].name));
		} else {
			text = txt_record_format(&new->rec[k]);
			json_array_append_new(vals, json_string(text));
			free(text);
		}
	}
	j = json_pack("{s:o,s:I}", "rrset_values", vals, "rrset_ttl",
	    (json_int_t)ttl);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	free(used);
	return text;
}

/* Read the set again: CONFLICT unless it equals want. */
static int
gandi_check(struct provider *p, const char *zone, const char *name,
    const struct txt_set *want, const char *when, struct err *e)
{
	struct txt_set now;
	int rc = gandi_list_txt(p, zone, name, &now, e);

	if (rc == PROVIDER_OK && !txt_set_equal(&now, want)) {
		err_set(e, "the TXT set changed %s", when);
		rc = PROVIDER_ERR_CONFLICT;
	}
	txt_set_cleanup(&now);
	return rc;
}

static int
gandi_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	struct gandi *g = p->priv;
	struct cloud_items raw = { 0 };
	struct txt_set now;
	struct http_reply r;
	char *ez, *rel, *er, *url, *body = NULL;
	int rc = gandi_read(p, zone, name, &raw, &now, e);

	if (rc == PROVIDER_OK && !txt_set_equal(&now, old)) {
		err_set(e, "the TXT set changed since it was read; nothing "
		           "changed (plan again)");
		rc = PROVIDER_ERR_CONFLICT;
	}
	if (rc != PROVIDER_OK) {
		txt_set_cleanup(&now);
		cloud_items_cleanup(&raw);
		return rc;
	}
	ez = http_escape(&g->h, zone);
	rel = cloud_rel_name(zone, name);
	er = http_escape(&g->h, rel);
	url = xasprintf("%s/domains/%s/records/%s/TXT", g->base, ez, er);
	if (new->n > 0)
		body = gandi_body(&raw, &now, new,
		    new->ttl != 0 ? new->ttl : (uint32_t)p->cfg->dns.ttl);
	rc = http_request(&g->h, new->n > 0 ? "PUT" : "DELETE", url, body, NULL,
	    new->n > 0 ? 0 : 404, &r, e);
	http_reply_cleanup(&r);
	if (rc == PROVIDER_OK)
		rc = gandi_check(p, zone, name, new,
		    "while it was written (another writer): check it", e);
	free(body);
	free(url);
	free(er);
	free(rel);
	free(ez);
	txt_set_cleanup(&now);
	cloud_items_cleanup(&raw);
	return rc;
}

const struct provider_ops provider_gandi_ops = {
	.type = "gandi",
	.init = gandi_init,
	.find_zone = gandi_find_zone,
	.list_txt = gandi_list_txt,
	.replace_txt = gandi_replace_txt,
	.cleanup = gandi_cleanup,
};

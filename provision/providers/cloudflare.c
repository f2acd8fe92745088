#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/util.h"
#include "provision/providers/cloud.h"
#include "provision/providers/http.h"
#include "provision/providers/provider_int.h"

/*
 * Cloudflare API v4 with an API token (Authorization: Bearer): zones by
 * GET /zones, TXT records by GET /zones/{id}/dns_records?type=TXT&name=,
 * both paged by result_info.total_pages; one record per TXT value, patched,
 * created or deleted one by one (cloud_rec_replace). Every answer is the
 * envelope {success, errors[{code, message}], result, result_info}.
 */

#define CF_DEFAULT "https://api.cloudflare.com/client/v4"
#define CF_MAX_PAGES 1000

struct cf {
	struct http_client h;
	char *base;
	struct cloud_items zones; /* zone ids by name, once listed */
};

char *
cf_errtext(const char *body, size_t len)
{
	json_t *j = json_loadb(body != NULL ? body : "", len, 0, NULL);
	json_t *errs = json_object_get(j, "errors"), *x;
	struct buf b;
	size_t i;

	if (!json_is_array(errs) || json_array_size(errs) == 0) {
		json_decref(j);
		return NULL;
	}
	buf_init(&b, 2048);
	json_array_foreach(errs, i, x)
	{
		json_t *m = json_object_get(x, "message");

		if (buf_printf(&b, "%s%lld: %s", i > 0 ? "; " : "",
		        (long long)json_integer_value(
		            json_object_get(x, "code")),
		        json_is_string(m) ? json_string_value(m) : "?") == -1)
			break;
	}
	json_decref(j);
	return buf_steal(&b, NULL);
}

/* The envelope's result, checked; NULL with e set. */
static json_t *
cf_envelope(json_t *j, const char *body, size_t len, struct err *e)
{
	json_t *ok = json_object_get(j, "success");

	if (!json_is_object(j))
		return err_set(e, "the answer is not a JSON object"), NULL;
	if (!json_is_true(ok)) {
		char *t = cf_errtext(body, len);

		err_set(e, "the API answered success %s: %s",
		    json_is_false(ok) ? "false" : "missing",
		    t != NULL ? t : "(no errors given)");
		free(t);
		return NULL;
	}
	if (json_object_get(j, "result") == NULL)
		return err_set(e, "the answer has no \"result\""), NULL;
	return json_object_get(j, "result");
}

/* One record or zone of a result array into out. */
static int
cf_item(json_t *x, bool records, struct cloud_items *out, struct err *e)
{
	json_t *id = json_object_get(x, "id");
	json_t *v = json_object_get(x, records ? "content" : "name");
	json_t *ttl = json_object_get(x, "ttl");

	if (!json_is_string(id) || !json_is_string(v))
		return err_set(e, "a result lacks \"id\" or \"%s\"",
		    records ? "content" : "name");
	if (records && (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	                   json_integer_value(ttl) > UINT32_MAX))
		return err_set(e, "record %s has no valid \"ttl\"",
		    json_string_value(id));
	cloud_items_add(out, json_string_value(id), json_string_value(v),
	    records ? (uint32_t)json_integer_value(ttl) : 0);
	return 0;
}

int
cf_decode_list(const char *body, size_t len, bool records,
    struct cloud_items *out, struct err *e)
{
	json_t *j = http_json_load(body, len, -1, e), *res, *x, *tp;
	size_t i;
	int rc = PROVIDER_OK;

	if (j == NULL)
		return PROVIDER_ERR_PERM;
	if ((res = cf_envelope(j, body, len, e)) == NULL) {
		json_decref(j);
		return PROVIDER_ERR_PERM;
	}
	if (!json_is_array(res))
		rc = err_set(e, "\"result\" is not an array");
	json_array_foreach(res, i, x) if (rc == PROVIDER_OK) rc =
	    cf_item(x, records, out, e);
	tp = json_object_get(json_object_get(j, "result_info"), "total_pages");
	if (rc == PROVIDER_OK && !json_is_integer(tp))
		rc = err_set(e, "\"result_info.total_pages\" is missing");
	else if (rc == PROVIDER_OK)
		out->pages = (uint64_t)json_integer_value(tp);
	json_decref(j);
	return rc == PROVIDER_OK ? PROVIDER_OK : PROVIDER_ERR_PERM;
}

static int
cf_init(struct provider *p, struct err *e)
{
	struct cf *c = xcalloc(1, sizeof(*c));
	char *auth;

	if (p->pc->api_token == NULL || p->pc->api_token[0] == '\0') {
		free(c);
		return err_set(e, "api_token is empty");
	}
	if (http_client_init(&c->h, p->pc->timeout, cf_errtext, e) == -1) {
		free(c);
		return -1;
	}
	c->h.auth_hint = "(the token was refused: check api_token)";
	auth = xasprintf("Authorization: Bearer %s", p->pc->api_token);
	http_client_header(&c->h, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	http_client_header(&c->h, "Content-Type: application/json");
	c->base = cloud_base(p->pc->endpoint, CF_DEFAULT);
	p->priv = c;
	return 0;
}

static void
cf_cleanup(struct provider *p)
{
	struct cf *c = p->priv;

	if (c == NULL)
		return;
	http_client_cleanup(&c->h);
	cloud_items_cleanup(&c->zones);
	free(c->base);
	free(c);
}

/* GET every page of path (with its query, without page) into out. */
static int
cf_get_all(struct provider *p, const char *path, bool records,
    struct cloud_items *out, struct err *e)
{
	struct cf *c = p->priv;
	struct http_reply r;
	int rc = PROVIDER_OK;

	for (uint64_t page = 1; rc == PROVIDER_OK; page++) {
		char *url = xasprintf("%s%s&per_page=%d&page=%llu", c->base,
		    path, records ? 100 : 50, (unsigned long long)page);

		rc = http_request(&c->h, "GET", url, NULL, NULL, 0, &r, e);
		if (rc == PROVIDER_OK) {
			rc = cf_decode_list(r.body.data, r.body.len, records,
			    out, e);
			if (rc != PROVIDER_OK)
				err_prefix(e, "GET %s", url);
		}
		http_reply_cleanup(&r);
		free(url);
		if (page >= out->pages || page >= CF_MAX_PAGES)
			break;
	}
	return rc;
}

static int
cf_find_zone(struct provider *p, const char *name, char **zone, struct err *e)
{
	struct cf *c = p->priv;
	int rc;

	cloud_items_cleanup(&c->zones);
	rc = cf_get_all(p, "/zones?status=active", false, &c->zones, e);
	if (rc != PROVIDER_OK)
		return rc;
	if ((*zone = cloud_pick_zone(&c->zones, name)) == NULL)
		return err_set(e,
		           "no zone holding %s is visible with this token "
		           "(GET %s/zones: %zu zones)",
		           name, c->base, c->zones.n),
		       PROVIDER_ERR_PERM;
	return PROVIDER_OK;
}

/* The id of zone (listing the zones once). */
static int
cf_zone_id(struct provider *p, const char *zone, const char **id, struct err *e)
{
	struct cf *c = p->priv;
	char *z = NULL;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->zones.n; i++)
			if (strcasecmp(c->zones.v[i].name, zone) == 0) {
				*id = c->zones.v[i].id;
				return PROVIDER_OK;
			}
		if (pass == 0) {
			int rc = cf_find_zone(p, zone, &z, e);

			free(z);
			if (rc != PROVIDER_OK)
				return rc;
		}
	}
	return err_set(e, "zone %s is not visible with this token", zone),
	       PROVIDER_ERR_PERM;
}

static int
cf_list(struct provider *p, const char *zone, const char *name,
    struct cloud_items *out, struct err *e)
{
	struct cf *c = p->priv;
	const char *zid;
	char *en, *path;
	int rc = cf_zone_id(p, zone, &zid, e);

	if (rc != PROVIDER_OK)
		return rc;
	en = http_escape(&c->h, name);
	path = xasprintf("/zones/%s/dns_records?type=TXT&name=%s", zid, en);
	rc = cf_get_all(p, path, true, out, e);
	free(path);
	free(en);
	return rc;
}

/* A write's answer must be a successful envelope. */
static int
cf_write(struct provider *p, const char *method, const char *url, json_t *body,
    struct err *e)
{
	struct cf *c = p->priv;
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_reply r;
	json_t *j;
	int rc = http_request(&c->h, method, url, text, NULL, 0, &r, e);

	if (rc == PROVIDER_OK) {
		j = json_loadb(r.body.data, r.body.len, 0, NULL);
		if (cf_envelope(j, r.body.data, r.body.len, e) == NULL) {
			err_prefix(e, "%s %s", method, url);
			rc = PROVIDER_ERR_PERM;
		}
		json_decref(j);
	}
	http_reply_cleanup(&r);
	free(text);
	json_decref(body);
	return rc;
}

static int
cf_put(struct provider *p, const char *zone, const char *name, const char *id,
    const char *content, uint32_t ttl, struct err *e)
{
	struct cf *c = p->priv;
	const char *zid;
	char *url;
	int rc = cf_zone_id(p, zone, &zid, e);

	if (rc != PROVIDER_OK)
		return rc;
	if (id == NULL) {
		url = xasprintf("%s/zones/%s/dns_records", c->base, zid);
		rc = cf_write(p, "POST", url,
		    json_pack("{s:s,s:s,s:s,s:I}", "type", "TXT", "name", name,
		        "content", content, "ttl", (json_int_t)ttl),
		    e);
	} else {
		url = xasprintf("%s/zones/%s/dns_records/%s", c->base, zid, id);
		rc = cf_write(p, "PATCH", url,
		    json_pack("{s:s,s:I}", "content", content, "ttl",
		        (json_int_t)ttl),
		    e);
	}
	free(url);
	return rc;
}

static int
cf_del(struct provider *p, const char *zone, const char *id, struct err *e)
{
	struct cf *c = p->priv;
	const char *zid;
	char *url;
	int rc = cf_zone_id(p, zone, &zid, e);

	if (rc != PROVIDER_OK)
		return rc;
	url = xasprintf("%s/zones/%s/dns_records/%s", c->base, zid, id);
	rc = cf_write(p, "DELETE", url, NULL, e);
	free(url);
	return rc;
}

static const struct cloud_rec_ops cf_rec_ops = { cf_list, cf_put, cf_del };

static int
cf_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	return cloud_rec_list_txt(p, &cf_rec_ops, zone, name, out, e);
}

static int
cf_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	return cloud_rec_replace(p, &cf_rec_ops, zone, name, old, new, e);
}

const struct provider_ops provider_cloudflare_ops = {
	.type = "cloudflare",
	.init = cf_init,
	.find_zone = cf_find_zone,
	.list_txt = cf_list_txt,
	.replace_txt = cf_replace_txt,
	.cleanup = cf_cleanup,
};

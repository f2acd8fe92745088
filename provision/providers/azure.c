#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "common/util.h"
#include "provision/providers/cloud.h"
#include "provision/providers/http.h"
#include "provision/providers/provider_int.h"

/*
 * Azure DNS through the ARM REST API (api-version 2018-05-01) with an
 * OAuth2 client-credentials token from Microsoft Entra ID, cached until it
 * is about to expire and fetched again when ARM says it expired. Zones by
 * GET .../dnsZones (nextLink paging, followed only under the endpoint); a
 * TXT set by GET .../dnsZones/{zone}/TXT/{relative name}, replaced whole by
 * PUT with If-Match: its etag (If-None-Match: * when there was none), so a
 * concurrent change is refused by ARM (412), never overwritten.
 */

#define AZ_ARM "https://management.azure.com"
#define AZ_LOGIN "https://login.microsoftonline.com"
#define AZ_SCOPE "https://management.azure.com/.default"
#define AZ_API "api-version=2018-05-01"
#define AZ_MAX_PAGES 1000

struct azure {
	struct http_client h;
	char *base;  /* ARM endpoint */
	char *login; /* Entra ID endpoint */
	char *token; /* cached access token, or NULL */
	time_t expires;
};

char *
az_errtext(const char *body, size_t len)
{
	json_t *j = json_loadb(body != NULL ? body : "", len, 0, NULL);
	json_t *err = json_object_get(j, "error"), *c, *m;
	char *t = NULL;

	if (json_is_object(err)) { /* ARM */
		c = json_object_get(err, "code");
		m = json_object_get(err, "message");
	} else { /* Entra ID */
		c = err;
		m = json_object_get(j, "error_description");
	}
	if (json_is_string(c) && json_is_string(m))
		t = xasprintf("%s: %s", json_string_value(c),
		    json_string_value(m));
	json_decref(j);
	return t;
}

static json_t *
az_load(const char *body, size_t len, struct err *e)
{
	return http_json_load(body, len, JSON_OBJECT, e);
}

int
az_decode_zones(const char *body, size_t len, struct cloud_items *out,
    struct err *e)
{
	json_t *j = az_load(body, len, e), *v, *x, *next;
	size_t i;
	int rc = 0;

	if (j == NULL)
		return PROVIDER_ERR_PERM;
	v = json_object_get(j, "value");
	next = json_object_get(j, "nextLink");
	if (!json_is_array(v))
		rc = err_set(e, "the answer has no \"value\" array");
	else if (next != NULL && !json_is_string(next) && !json_is_null(next))
		rc = err_set(e, "\"nextLink\" is not a URL");
	json_array_foreach(v, i, x)
	{
		json_t *n = json_object_get(x, "name");

		if (rc != 0)
			break;
		if (!json_is_string(n))
			rc = err_set(e, "a zone lacks \"name\"");
		else
			cloud_items_add(out, NULL, json_string_value(n), 0);
	}
	free(out->next);
	out->next = rc == 0 && json_is_string(next)
	                ? xstrdup(json_string_value(next))
	                : NULL;
	json_decref(j);
	return rc == 0 ? PROVIDER_OK : PROVIDER_ERR_PERM;
}

/* One TXTRecords entry: its value array of strings. */
static int
az_record(json_t *x, struct txt_set *out, struct err *e)
{
	json_t *v = json_object_get(x, "value"), *s;
	struct txt_record r = { NULL, 0 };
	size_t i;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return err_set(e, "a TXT record has no \"value\" array");
	json_array_foreach(v, i, s)
	{
		if (!json_is_string(s) || json_string_length(s) > 255) {
			txt_record_cleanup(&r);
			return err_set(e, "a TXT value is not a string of at "
			                  "most 255 octets");
		}
		txt_record_add_string(&r, json_string_value(s),
		    json_string_length(s));
	}
	txt_set_add(out, &r);
	txt_record_cleanup(&r);
	return 0;
}

int
az_decode_set(const char *body, size_t len, struct txt_set *out, char **etag,
    struct err *e)
{
	json_t *j = az_load(body, len, e), *props, *ttl, *recs, *tag, *x;
	size_t i;
	int rc = 0;

	*etag = NULL;
	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return PROVIDER_ERR_PERM;
	props = json_object_get(j, "properties");
	ttl = json_object_get(props, "TTL");
	recs = json_object_get(props, "TXTRecords");
	tag = json_object_get(j, "etag");
	if (!json_is_string(tag) || !json_is_array(recs) ||
	    !json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	    json_integer_value(ttl) > UINT32_MAX)
		rc = err_set(e,
		    "the record set lacks \"etag\", "
		    "\"properties.TTL\" or \"properties.TXTRecords\"");
	json_array_foreach(recs, i, x) if (rc == 0) rc = az_record(x, out, e);
	if (rc == 0) {
		out->ttl = out->n > 0 ? (uint32_t)json_integer_value(ttl) : 0;
		*etag = xstrdup(json_string_value(tag));
	} else
		txt_set_cleanup(out);
	json_decref(j);
	return rc == 0 ? PROVIDER_OK : PROVIDER_ERR_PERM;
}

int
az_decode_token(const char *body, size_t len, char **token,
    uint64_t *expires_in, struct err *e)
{
	json_t *j = az_load(body, len, e), *t, *x;
	int rc = 0;

	*token = NULL;
	if (j == NULL)
		return PROVIDER_ERR_PERM;
	t = json_object_get(j, "access_token");
	x = json_object_get(j, "expires_in");
	if (!json_is_string(t) || json_string_length(t) == 0 ||
	    !json_is_integer(x) || json_integer_value(x) < 0)
		rc = err_set(e, "the token answer lacks \"access_token\" or "
		                "\"expires_in\"");
	else {
		*token = xstrdup(json_string_value(t));
		*expires_in = (uint64_t)json_integer_value(x);
	}
	json_decref(j);
	return rc == 0 ? PROVIDER_OK : PROVIDER_ERR_PERM;
}

static void
az_forget_token(struct azure *a)
{
	if (a->token != NULL) {
		explicit_bzero(a->token, strlen(a->token));
		free(a->token);
		a->token = NULL;
	}
}

/* The form body of the token request; caller wipes and frees. */
static char *
az_token_form(struct provider *p)
{
	struct azure *a = p->priv;
	char *id = http_escape(&a->h, p->pc->client_id);
	char *sec = http_escape(&a->h, p->pc->client_secret);
	char *scope = http_escape(&a->h, AZ_SCOPE);
	char *form = xasprintf("grant_type=client_credentials&client_id=%s&"
	                       "client_secret=%s&scope=%s",
	    id, sec, scope);

	explicit_bzero(sec, strlen(sec));
	free(sec);
	free(id);
	free(scope);
	return form;
}

/* A token from Entra ID, unless the cached one is still good. */
static int
az_token(struct provider *p, struct err *e)
{
	struct azure *a = p->priv;
	struct curl_slist *h;
	char *tenant, *url, *form;
	struct http_reply r;
	uint64_t life = 0;
	int rc;

	if (a->token != NULL && time(NULL) < a->expires)
		return PROVIDER_OK;
	az_forget_token(a);
	h = curl_slist_append(NULL,
	    "Content-Type: application/x-www-form-urlencoded");
	tenant = http_escape(&a->h, p->pc->tenant_id);
	url = xasprintf("%s/%s/oauth2/v2.0/token", a->login, tenant);
	form = az_token_form(p);
	rc = http_request(&a->h, "POST", url, form, h, 0, &r, e);
	if (rc == PROVIDER_OK && (rc = az_decode_token(r.body.data, r.body.len,
	                              &a->token, &life, e)) != PROVIDER_OK)
		err_prefix(e, "POST %s", url);
	if (rc == PROVIDER_OK) /* renewed a little before it expires */
		a->expires = time(NULL) +
		             (time_t)(life - (life / 10 < 60 ? life / 10 : 60));
	if (rc != PROVIDER_OK)
		err_prefix(e, "getting a token from Entra ID (check tenant_id, "
		              "client_id, client_secret)");
	explicit_bzero(r.body.data, r.body.len);
	http_reply_cleanup(&r);
	explicit_bzero(form, strlen(form));
	free(form);
	free(url);
	free(tenant);
	curl_slist_free_all(h);
	return rc;
}

/* An ARM request with a fresh token; once more after a refused token. */
static int
az_arm(struct provider *p, const char *method, const char *url,
    const char *body, const char *cond, long ok_status, struct http_reply *r,
    struct err *e)
{
	struct azure *a = p->priv;
	int rc = PROVIDER_ERR_PERM;

	for (int pass = 0; pass < 2; pass++) {
		struct curl_slist *h;
		char *auth;

		memset(r, 0, sizeof(*r)); /* cleanable whatever happens */
		buf_init(&r->body, 0);
		if ((rc = az_token(p, e)) != PROVIDER_OK)
			return rc;
		auth = xasprintf("Authorization: Bearer %s", a->token);
		h = curl_slist_append(NULL, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
		if (cond != NULL)
			h = curl_slist_append(h, cond);
		rc = http_request(&a->h, method, url, body, h, ok_status, r, e);
		explicit_bzero(h->data, strlen(h->data));
		curl_slist_free_all(h);
		if (!(rc == PROVIDER_ERR_PERM && r->status == 401 && pass == 0))
			break;
		http_reply_cleanup(r);
		az_forget_token(a); /* expired or revoked: a new one */
	}
	return rc;
}

static int
az_init(struct provider *p, struct err *e)
{
	struct azure *a = xcalloc(1, sizeof(*a));

	if (http_client_init(&a->h, p->pc->timeout, az_errtext, e) == -1) {
		free(a);
		return -1;
	}
	a->h.auth_hint = "(check client_id, client_secret and the app's "
	                 "role on the zone)";
	http_client_header(&a->h, "Accept: application/json");
	a->base = cloud_base(p->pc->endpoint, AZ_ARM);
	a->login = cloud_base(p->pc->login_endpoint, AZ_LOGIN);
	p->priv = a;
	return 0;
}

static void
az_cleanup(struct provider *p)
{
	struct azure *a = p->priv;

	if (a == NULL)
		return;
	az_forget_token(a);
	http_client_cleanup(&a->h);
	free(a->base);
	free(a->login);
	free(a);
}

/* .../resourceGroups/G/providers/Microsoft.Network/dnsZones; caller frees. */
static char *
az_zones_url(struct provider *p)
{
	struct azure *a = p->priv;
	char *s = http_escape(&a->h, p->pc->subscription_id);
	char *g = http_escape(&a->h, p->pc->resource_group);
	char *u = xasprintf("%s/subscriptions/%s/resourceGroups/%s/providers/"
	                    "Microsoft.Network/dnsZones",
	    a->base, s, g);

	free(s);
	free(g);
	return u;
}

static int
az_find_zone(struct provider *p, const char *name, char **zone, struct err *e)
{
	struct azure *a = p->priv;
	struct cloud_items l = { 0 };
	char *zurl = az_zones_url(p), *url = xasprintf("%s?%s", zurl, AZ_API);
	struct http_reply r;
	int rc = PROVIDER_OK;

	for (unsigned page = 1; url != NULL && rc == PROVIDER_OK; page++) {
		rc = az_arm(p, "GET", url, NULL, NULL, 0, &r, e);
		if (rc == PROVIDER_OK &&
		    (rc = az_decode_zones(r.body.data, r.body.len, &l, e)) !=
		        PROVIDER_OK)
			err_prefix(e, "GET %s", url);
		http_reply_cleanup(&r);
		if (rc == PROVIDER_OK && l.next != NULL &&
		    (strncmp(l.next, a->base, strlen(a->base)) != 0 ||
		        page >= AZ_MAX_PAGES)) {
			err_set(e,
			    "GET %s: nextLink is not under the endpoint "
			    "%s (or past %d pages)",
			    url, a->base, AZ_MAX_PAGES);
			rc = PROVIDER_ERR_PERM;
		}
		free(url);
		url = rc == PROVIDER_OK && l.next != NULL ? xstrdup(l.next)
		                                          : NULL;
	}
	free(url);
	if (rc == PROVIDER_OK && (*zone = cloud_pick_zone(&l, name)) == NULL) {
		err_set(e,
		    "no zone holding %s in resource group %s (GET %s: %zu "
		    "zones)",
		    name, p->pc->resource_group, zurl, l.n);
		rc = PROVIDER_ERR_PERM;
	}
	free(zurl);
	cloud_items_cleanup(&l);
	return rc;
}

/* The URL of the TXT set at name; caller frees. */
static char *
az_set_url(struct provider *p, const char *zone, const char *name)
{
	struct azure *a = p->priv;
	char *zurl = az_zones_url(p), *ez = http_escape(&a->h, zone);
	char *rel = cloud_rel_name(zone, name), *er = http_escape(&a->h, rel);
	char *u = xasprintf("%s/%s/TXT/%s?%s", zurl, ez, er, AZ_API);

	free(zurl);
	free(ez);
	free(rel);
	free(er);
	return u;
}

/* The set at name and its etag (NULL: no set). */
static int
az_read(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, char **etag, struct err *e)
{
	char *url = az_set_url(p, zone, name), *code;
	struct http_reply r;
	int rc = az_arm(p, "GET", url, NULL, NULL, 404, &r, e);

	*etag = NULL;
	memset(out, 0, sizeof(*out));
	if (rc == PROVIDER_OK && r.status == 404) {
		code = az_errtext(r.body.data, r.body.len);
		if (code == NULL || strncmp(code, "NotFound:", 9) != 0) {
			err_set(e, "GET %s: HTTP 404: %s", url,
			    code != NULL ? code : "(no ARM error)");
			rc = PROVIDER_ERR_PERM;
		}
		free(code);
	} else if (rc == PROVIDER_OK &&
	           (rc = az_decode_set(r.body.data, r.body.len, out, etag,
	                e)) != PROVIDER_OK)
		err_prefix(e, "GET %s", url);
	http_reply_cleanup(&r);
	free(url);
	return rc;
}

static int
az_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	char *etag;
	int rc = az_read(p, zone, name, out, &etag, e);

	free(etag);
	return rc;
}

static char *
az_put_body(const struct txt_set *new, uint32_t ttl)
{
	json_t *recs = json_array(), *j;
	char *text;

	for (size_t i = 0; i < new->n; i++) {
		json_t *v = json_array();

		for (size_t k = 0; k < new->rec[i].n; k++)
			json_array_append_new(v,
			    json_stringn(new->rec[i].s[k].data,
			        new->rec[i].s[k].len));
		json_array_append_new(recs, json_pack("{s:o}", "value", v));
	}
	j = json_pack("{s:{s:I,s:o}}", "properties", "TTL", (json_int_t)ttl,
	    "TXTRecords", recs);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

static int
az_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	struct txt_set now;
	struct http_reply r;
	char *etag, *url, *cond, *body = NULL;
	int rc = az_read(p, zone, name, &now, &etag, e);

	if (rc == PROVIDER_OK && !txt_set_equal(&now, old)) {
		err_set(e, "the TXT set changed since it was read; nothing "
		           "changed (plan again)");
		rc = PROVIDER_ERR_CONFLICT;
	}
	txt_set_cleanup(&now);
	if (rc != PROVIDER_OK || (etag == NULL && new->n == 0)) {
		free(etag);
		return rc;
	}
	url = az_set_url(p, zone, name);
	cond = etag != NULL ? xasprintf("If-Match: %s", etag)
	                    : xstrdup("If-None-Match: *");
	if (new->n > 0)
		body = az_put_body(new,
		    new->ttl != 0 ? new->ttl : (uint32_t)p->cfg->dns.ttl);
	rc =
	    az_arm(p, new->n > 0 ? "PUT" : "DELETE", url, body, cond, 0, &r, e);
	if (rc == PROVIDER_ERR_PERM && r.status == 412) {
		err_prefix(e, "the TXT set changed since it was read; nothing "
		              "changed (plan again)");
		rc = PROVIDER_ERR_CONFLICT;
	}
	http_reply_cleanup(&r);
	free(body);
	free(cond);
	free(url);
	free(etag);
	return rc;
}

const struct provider_ops provider_azure_ops = {
	.type = "azure",
	.init = az_init,
	.find_zone = az_find_zone,
	.list_txt = az_list_txt,
	.replace_txt = az_replace_txt,
	.cleanup = az_cleanup,
};

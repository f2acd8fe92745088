#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/util.h"
#include "provision/providers/cloud.h"
#include "provision/providers/http.h"
#include "provision/providers/provider_int.h"

/*
 * DigitalOcean API v2 with a bearer token: GET /domains and GET
 * /domains/{d}/records?type=TXT&name=FQDN, both paged by links.pages.next
 * (absolute URLs, followed only under the endpoint, where the token may
 * go); one record per TXT value (names relative, "@" the apex), patched,
 * created or deleted one by one (cloud_rec_replace).
 */

#define DO_DEFAULT "https://api.digitalocean.com/v2"
#define DO_MAX_PAGES 1000

struct dgo {
	struct http_client h;
	char *base;
};

char *
do_errtext(const char *body, size_t len)
{
	json_t *j = json_loadb(body != NULL ? body : "", len, 0, NULL);
	json_t *id = json_object_get(j, "id"),
	       *m = json_object_get(j, "message");
	char *t = NULL;

	if (json_is_string(m))
		t = xasprintf("%s%s%s",
		    json_is_string(id) ? json_string_value(id) : "",
		    json_is_string(id) ? ": " : "", json_string_value(m));
	json_decref(j);
	return t;
}

/* One domain or record of the list into out. */
static int
do_item(json_t *x, bool records, struct cloud_items *out, struct err *e)
{
	json_t *id = json_object_get(x, "id"), *ttl = json_object_get(x, "ttl");
	json_t *v = json_object_get(x, records ? "data" : "name");
	char buf[32];

	if (!json_is_string(v))
		return err_set(e, "a %s lacks \"%s\"",
		    records ? "record" : "domain", records ? "data" : "name");
	if (!records) {
		cloud_items_add(out, NULL, json_string_value(v), 0);
		return 0;
	}
	if (!json_is_integer(id) || !json_is_integer(ttl) ||
	    json_integer_value(ttl) < 0 || json_integer_value(ttl) > UINT32_MAX)
		return err_set(e, "a record lacks a numeric \"id\" or \"ttl\"");
	snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(id));
	cloud_items_add(out, buf, json_string_value(v),
	    (uint32_t)json_integer_value(ttl));
	return 0;
}

int
do_decode_list(const char *body, size_t len, bool records,
    struct cloud_items *out, struct err *e)
{
	const char *key = records ? "domain_records" : "domains";
	json_t *j = http_json_load(body, len, -1, e), *arr, *x, *next;
	size_t i;
	int rc = 0;

	if (j == NULL)
		return PROVIDER_ERR_PERM;
	arr = json_object_get(j, key);
	if (!json_is_array(arr))
		rc = err_set(e, "the answer has no \"%s\" array", key);
	json_array_foreach(arr, i, x) if (rc == 0) rc =
	    do_item(x, records, out, e);
	next = json_object_get(json_object_get(json_object_get(j, "links"),
	                           "pages"),
	    "next");
	free(out->next);
	out->next = NULL;
	if (rc == 0 && next != NULL && !json_is_string(next))
		rc = err_set(e, "\"links.pages.next\" is not a URL");
	else if (rc == 0 && next != NULL)
		out->next = xstrdup(json_string_value(next));
	json_decref(j);
	return rc == 0 ? PROVIDER_OK : PROVIDER_ERR_PERM;
}

static int
do_init(struct provider *p, struct err *e)
{
	struct dgo *d = xcalloc(1, sizeof(*d));
	char *auth;

	if (http_client_init(&d->h, p->pc->timeout, do_errtext, e) == -1) {
		free(d);
		return -1;
	}
	d->h.auth_hint = "(the token was refused: check token)";
	auth = xasprintf("Authorization: Bearer %s", p->pc->token);
	http_client_header(&d->h, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	http_client_header(&d->h, "Content-Type: application/json");
	d->base = cloud_base(p->pc->endpoint, DO_DEFAULT);
	p->priv = d;
	return 0;
}

static void
do_cleanup(struct provider *p)
{
	struct dgo *d = p->priv;

	if (d == NULL)
		return;
	http_client_cleanup(&d->h);
	free(d->base);
	free(d);
}

/* GET url and every next page into out. */
static int
do_get_all(struct provider *p, char *url, bool records, struct cloud_items *out,
    struct err *e)
{
	struct dgo *d = p->priv;
	struct http_reply r;
	int rc = PROVIDER_OK;

	for (unsigned page = 1; url != NULL && rc == PROVIDER_OK; page++) {
		rc = http_request(&d->h, "GET", url, NULL, NULL, 0, &r, e);
		if (rc == PROVIDER_OK &&
		    (rc = do_decode_list(r.body.data, r.body.len, records, out,
		         e)) != PROVIDER_OK)
			err_prefix(e, "GET %s", url);
		http_reply_cleanup(&r);
		if (rc == PROVIDER_OK && out->next != NULL &&
		    (strncmp(out->next, d->base, strlen(d->base)) != 0 ||
		        page >= DO_MAX_PAGES))
			rc = err_set(e,
			    "GET %s: the next page is not under the "
			    "endpoint %s (or past %d pages)",
			    url, d->base, DO_MAX_PAGES),
			rc = PROVIDER_ERR_PERM;
		free(url);
		url = rc == PROVIDER_OK && out->next != NULL
		          ? xstrdup(out->next)
		          : NULL;
	}
	free(url);
	return rc;
}

static int
do_find_zone(struct provider *p, const char *name, char **zone, struct err *e)
{
	struct dgo *d = p->priv;
	struct cloud_items l = { 0 };
	int rc = do_get_all(p, xasprintf("%s/domains?per_page=200", d->base),
	    false, &l, e);

	if (rc == PROVIDER_OK && (*zone = cloud_pick_zone(&l, name)) == NULL)
		rc = err_set(e,
		    "no domain holding %s is visible with this token "
		    "(GET %s/domains: %zu domains)",
		    name, d->base, l.n),
		rc = PROVIDER_ERR_PERM;
	cloud_items_cleanup(&l);
	return rc;
}

static int
do_list(struct provider *p, const char *zone, const char *name,
    struct cloud_items *out, struct err *e)
{
	struct dgo *d = p->priv;
	char *ez = http_escape(&d->h, zone), *en = http_escape(&d->h, name);
	int rc = do_get_all(p,
	    xasprintf("%s/domains/%s/records?type=TXT&name=%s&per_page=200",
	        d->base, ez, en),
	    true, out, e);

	free(ez);
	free(en);
	return rc;
}

static int
do_write(struct provider *p, const char *method, char *url, json_t *body,
    struct err *e)
{
	struct dgo *d = p->priv;
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_reply r;
	int rc = http_request(&d->h, method, url, text, NULL, 0, &r, e);

	if (rc == PROVIDER_OK && body != NULL) {
		json_t *j = json_loadb(r.body.data, r.body.len, 0, NULL);

		if (!json_is_object(json_object_get(j, "domain_record")))
			rc = err_set(e,
			    "%s %s: the answer has no "
			    "\"domain_record\"",
			    method, url),
			rc = PROVIDER_ERR_PERM;
		json_decref(j);
	}
	http_reply_cleanup(&r);
	free(text);
	free(url);
	json_decref(body);
	return rc;
}

static int
do_put(struct provider *p, const char *zone, const char *name, const char *id,
    const char *content, uint32_t ttl, struct err *e)
{
	struct dgo *d = p->priv;
	char *ez = http_escape(&d->h, zone), *rel = cloud_rel_name(zone, name);
	int rc;

	if (id == NULL)
		rc = do_write(p, "POST",
		    xasprintf("%s/domains/%s/records", d->base, ez),
		    json_pack("{s:s,s:s,s:s,s:I}", "type", "TXT", "name", rel,
		        "data", content, "ttl", (json_int_t)ttl),
		    e);
	else
		rc = do_write(p, "PATCH",
		    xasprintf("%s/domains/%s/records/%s", d->base, ez, id),
		    json_pack("{s:s,s:I}", "data", content, "ttl",
		        (json_int_t)ttl),
		    e);
	free(rel);
	free(ez);
	return rc;
}

static int
do_del(struct provider *p, const char *zone, const char *id, struct err *e)
{
	struct dgo *d = p->priv;
	char *ez = http_escape(&d->h, zone);
	int rc = do_write(p, "DELETE",
	    xasprintf("%s/domains/%s/records/%s", d->base, ez, id), NULL, e);

	free(ez);
	return rc;
}

static const struct cloud_rec_ops do_rec_ops = { do_list, do_put, do_del };

static int
do_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	return cloud_rec_list_txt(p, &do_rec_ops, zone, name, out, e);
}

static int
do_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	return cloud_rec_replace(p, &do_rec_ops, zone, name, old, new, e);
}

const struct provider_ops provider_digitalocean_ops = {
	.type = "digitalocean",
	.init = do_init,
	.find_zone = do_find_zone,
	.list_txt = do_list_txt,
	.replace_txt = do_replace_txt,
	.cleanup = do_cleanup,
};

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "provision/providers/http.h"
#include "provision/providers/powerdns_json.h"
#include "provision/providers/provider_int.h"

/*
 * The PowerDNS Authoritative HTTP API (/api/v1) through the providers' HTTP
 * client (http.h). The API has no conditional PATCH, so compare-and-swap
 * reads the set right before the PATCH and refuses when it differs from
 * what the caller read: a change between those two requests is not
 * detected (a window of milliseconds).
 */

#define PDNS_ATTEMPTS 3

struct pdns {
	struct http_client h;
	char *base; /* URL/api/v1/servers/ID */
};

static int
pdns_init(struct provider *p, struct err *e)
{
	const struct provider_cfg *pc = p->pc;
	struct pdns *d = xcalloc(1, sizeof(*d));
	char *key;
	size_t n = strlen(pc->url);

	if (http_client_init(&d->h, pc->timeout, pdns_error_text, e) == -1) {
		free(d);
		return -1;
	}
	d->h.attempts = PDNS_ATTEMPTS;
	d->h.auth_hint = "(the API key was refused: check api_key)";
	while (n > 0 && pc->url[n - 1] == '/')
		n--;
	d->base =
	    xasprintf("%.*s/api/v1/servers/%s", (int)n, pc->url, pc->server_id);
	key = xasprintf("X-API-Key: %s", pc->api_key);
	http_client_header(&d->h, key);
	explicit_bzero(key, strlen(key));
	free(key);
	http_client_header(&d->h, "Accept: application/json");
	http_client_header(&d->h, "Content-Type: application/json");
	p->priv = d;
	return 0;
}

static void
pdns_cleanup(struct provider *p)
{
	struct pdns *d = p->priv;

	if (d == NULL)
		return;
	http_client_cleanup(&d->h);
	free(d->base);
	free(d);
}

/* A request with retries (http_request); r is cleaned up by the caller. */
static int
pdns_request(struct provider *p, const char *method, const char *url,
    const char *body, struct http_reply *r, struct err *e)
{
	struct pdns *d = p->priv;

	return http_request(&d->h, method, url, body, NULL, 0, r, e);
}

static int
pdns_find_zone(struct provider *p, const char *name, char **zone, struct err *e)
{
	struct pdns *d = p->priv;
	char *url = xasprintf("%s/zones", d->base), *id = NULL;
	struct http_reply r;
	int rc;

	rc = pdns_request(p, "GET", url, NULL, &r, e);
	if (rc == PROVIDER_OK)
		rc = pdns_zones_parse(r.body.data != NULL ? r.body.data : "",
		    r.body.len, name, &id, zone, e);
	if (rc != PROVIDER_OK && rc != PROVIDER_ERR_TEMP && r.status / 100 == 2)
		err_prefix(e, "GET %s", url);
	free(id);
	http_reply_cleanup(&r);
	free(url);
	return rc;
}

/* The TXT set at name, and its disabled records when disabled != NULL. */
static int
pdns_read_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct pdns_disabled *disabled, struct err *e)
{
	struct pdns *d = p->priv;
	char *fz = xasprintf("%s.", zone), *ez = http_escape(&d->h, fz);
	char *url = xasprintf("%s/zones/%s", d->base, ez);
	struct http_reply r;
	int rc;

	if (disabled != NULL)
		memset(disabled, 0, sizeof(*disabled));
	rc = pdns_request(p, "GET", url, NULL, &r, e);
	if (rc == PROVIDER_OK) {
		rc = pdns_rrset_parse(r.body.data != NULL ? r.body.data : "",
		    r.body.len, name, out, disabled, e);
		if (rc != PROVIDER_OK)
			err_prefix(e, "GET %s", url);
	}
	http_reply_cleanup(&r);
	free(url);
	free(ez);
	free(fz);
	return rc;
}

static int
pdns_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	return pdns_read_txt(p, zone, name, out, NULL, e);
}

static int
pdns_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	struct pdns *d = p->priv;
	char *fz, *ez, *url, *body;
	struct pdns_disabled disabled;
	struct txt_set now;
	struct http_reply r;
	int rc;

	rc = pdns_read_txt(p, zone, name, &now, &disabled, e);
	if (rc != PROVIDER_OK)
		return rc;
	if (!txt_set_equal(&now, old)) {
		txt_set_cleanup(&now);
		pdns_disabled_cleanup(&disabled);
		return err_set(e, "the TXT set changed since it was read; "
		                  "nothing changed (plan again)"),
		       PROVIDER_ERR_CONFLICT;
	}
	txt_set_cleanup(&now);
	fz = xasprintf("%s.", zone);
	ez = http_escape(&d->h, fz);
	url = xasprintf("%s/zones/%s", d->base, ez);
	body = pdns_patch_body(name, new, &disabled);
	pdns_disabled_cleanup(&disabled);
	rc = pdns_request(p, "PATCH", url, body, &r, e);
	http_reply_cleanup(&r);
	free(body);
	free(url);
	free(ez);
	free(fz);
	return rc;
}

const struct provider_ops provider_powerdns_ops = {
	.type = "powerdns",
	.init = pdns_init,
	.find_zone = pdns_find_zone,
	.list_txt = pdns_list_txt,
	.replace_txt = pdns_replace_txt,
	.cleanup = pdns_cleanup,
};

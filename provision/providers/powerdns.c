#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/util.h"
#include "provision/providers/powerdns_json.h"
#include "provision/providers/provider_int.h"

/*
 * The PowerDNS Authoritative HTTP API (/api/v1) through libcurl. The API
 * has no conditional PATCH, so compare-and-swap reads the set right before
 * the PATCH and refuses when it differs from what the caller read: a change
 * between those two requests is not detected (a window of milliseconds).
 */

#define PDNS_ATTEMPTS 3
#define PDNS_MAX_BODY ((size_t)16 * 1024 * 1024)

struct pdns {
	CURL *curl;
	struct curl_slist *headers;
	char *base; /* URL/api/v1/servers/ID */
	char errbuf[CURL_ERROR_SIZE];
};

struct pdns_reply {
	long status;
	struct buf body;
};

static size_t
pdns_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_append(b, data, size * n) == -1)
		return 0; /* too large: libcurl fails the transfer */
	return size * n;
}

static int
pdns_init(struct provider *p, struct err *e)
{
	const struct provider_cfg *pc = p->pc;
	struct pdns *d = xcalloc(1, sizeof(*d));
	char *key;
	size_t n = strlen(pc->url);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((d->curl = curl_easy_init()) == NULL) {
		free(d);
		return err_set(e, "cannot start libcurl");
	}
	while (n > 0 && pc->url[n - 1] == '/')
		n--;
	d->base =
	    xasprintf("%.*s/api/v1/servers/%s", (int)n, pc->url, pc->server_id);
	key = xasprintf("X-API-Key: %s", pc->api_key);
	d->headers = curl_slist_append(NULL, key);
	explicit_bzero(key, strlen(key));
	free(key);
	d->headers = curl_slist_append(d->headers, "Accept: application/json");
	d->headers =
	    curl_slist_append(d->headers, "Content-Type: application/json");
	p->priv = d;
	return 0;
}

static void
pdns_cleanup(struct provider *p)
{
	struct pdns *d = p->priv;

	if (d == NULL)
		return;
	for (struct curl_slist *h = d->headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(d->headers);
	curl_easy_cleanup(d->curl);
	free(d->base);
	free(d);
}

/* One HTTP exchange: 0 with the reply, or a temporary transport error. */
static int
pdns_exchange(struct provider *p, const char *method, const char *url,
    const char *body, struct pdns_reply *r, struct err *e)
{
	struct pdns *d = p->priv;
	CURL *c = d->curl;
	CURLcode cc;

	curl_easy_reset(c);
	buf_reset(&r->body);
	d->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, d->headers);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, pdns_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, d->errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)p->pc->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)p->pc->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		return err_set(e, "%s %s: %s", method, url,
		           d->errbuf[0] != '\0' ? d->errbuf
		                                : curl_easy_strerror(cc)),
		       PROVIDER_ERR_TEMP;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	return PROVIDER_OK;
}

/* The status an HTTP answer means; e says why when it is an error. */
static int
pdns_status(const char *method, const char *url, struct pdns_reply *r,
    struct err *e)
{
	char *text;
	int rc;

	if (r->status >= 200 && r->status < 300)
		return PROVIDER_OK;
	text = pdns_error_text(r->body.data != NULL ? r->body.data : "",
	    r->body.len);
	rc = r->status >= 500 || r->status == 429 ? PROVIDER_ERR_TEMP
	                                          : PROVIDER_ERR_PERM;
	err_set(e, "%s %s: HTTP %ld%s: %s", method, url, r->status,
	    r->status == 401 || r->status == 403
	        ? " (the API key was refused: check api_key)"
	        : "",
	    text);
	free(text);
	return rc;
}

/* A request with retries (backoff) on transport errors, 5xx and 429. */
static int
pdns_request(struct provider *p, const char *method, const char *url,
    const char *body, struct pdns_reply *r, struct err *e)
{
	int rc = PROVIDER_ERR_TEMP;

	buf_init(&r->body, PDNS_MAX_BODY);
	r->status = 0;
	for (unsigned a = 1; a <= PDNS_ATTEMPTS; a++) {
		if (a > 1)
			provider_backoff(a - 1);
		rc = pdns_exchange(p, method, url, body, r, e);
		if (rc == PROVIDER_OK)
			rc = pdns_status(method, url, r, e);
		if (rc != PROVIDER_ERR_TEMP)
			break;
	}
	if (rc == PROVIDER_ERR_TEMP)
		err_prefix(e, "after %d attempts", PDNS_ATTEMPTS);
	return rc;
}

/* A path segment escaped for a URL; caller frees. */
static char *
pdns_escape(struct provider *p, const char *s)
{
	struct pdns *d = p->priv;
	char *c = curl_easy_escape(d->curl, s, 0), *out;

	out = xstrdup(c != NULL ? c : "");
	curl_free(c);
	return out;
}

static int
pdns_find_zone(struct provider *p, const char *name, char **zone, struct err *e)
{
	struct pdns *d = p->priv;
	char *url = xasprintf("%s/zones", d->base), *id = NULL;
	struct pdns_reply r;
	int rc;

	rc = pdns_request(p, "GET", url, NULL, &r, e);
	if (rc == PROVIDER_OK)
		rc = pdns_zones_parse(r.body.data != NULL ? r.body.data : "",
		    r.body.len, name, &id, zone, e);
	if (rc != PROVIDER_OK && rc != PROVIDER_ERR_TEMP && r.status / 100 == 2)
		err_prefix(e, "GET %s", url);
	free(id);
	buf_cleanup(&r.body);
	free(url);
	return rc;
}

/* The TXT set at name, and its disabled records when disabled != NULL. */
static int
pdns_read_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct pdns_disabled *disabled, struct err *e)
{
	struct pdns *d = p->priv;
	char *fz = xasprintf("%s.", zone), *ez = pdns_escape(p, fz);
	char *url = xasprintf("%s/zones/%s", d->base, ez);
	struct pdns_reply r;
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
	buf_cleanup(&r.body);
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
	struct pdns_reply r;
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
	ez = pdns_escape(p, fz);
	url = xasprintf("%s/zones/%s", d->base, ez);
	body = pdns_patch_body(name, new, &disabled);
	pdns_disabled_cleanup(&disabled);
	rc = pdns_request(p, "PATCH", url, body, &r, e);
	buf_cleanup(&r.body);
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

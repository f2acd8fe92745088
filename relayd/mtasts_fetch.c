#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/util.h"
#include "relayd/mtasts_fetch.h"

static size_t
body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_append(b, p, size * n) == -1)
		return 0; /* over the cap: libcurl stops */
	return size * n;
}

/* GET the policy file; 0 with the text in body. */
static int
fetch(struct resolver *r, const struct config *cfg, const char *domain,
    struct buf *body, char *why, size_t whylen)
{
	const struct delivery_cfg *dc = &cfg->relay.delivery;
	char host[300], url[400], resolve[400], ip[64], err[CURL_ERROR_SIZE];
	const struct dns_result *a;
	struct curl_slist *res = NULL;
	long status = 0;
	CURL *h;
	CURLcode rc;

	snprintf(host, sizeof(host), "mta-sts.%s", domain);
	a = resolver_query(r, host, DNS_T_A);
	if (a->status != DNS_OK) {
		snprintf(why, whylen, "%s has no address: %s", host,
		    resolver_status_text(a));
		return -1;
	}
	snprintf(url, sizeof(url), "https://%s:%u/.well-known/mta-sts.txt",
	    host, dc->mta_sts_port);
	snprintf(resolve, sizeof(resolve), "%s:%u:%s", host, dc->mta_sts_port,
	    ip_format(&a->rr[0].ip, ip, sizeof(ip)));
	if ((h = curl_easy_init()) == NULL)
		return -1;
	res = curl_slist_append(NULL, resolve);
	err[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* 3.3: no redirects */
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	if (dc->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, dc->ca_file);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(res);
	if (rc != CURLE_OK || status != 200) {
		snprintf(why, whylen, "fetching %s: %s", url,
		    rc != CURLE_OK ? (err[0] ? err : curl_easy_strerror(rc))
		                   : "HTTP status is not 200");
		return -1;
	}
	return 0;
}

/* The cached policy for domain if its id is `id` and it has not expired. */
static char *
cache_get(const struct config *cfg, const char *domain, const char *id,
    int64_t now)
{
	char *path = xasprintf("%s/mta-sts/%s.json", cfg->state_dir, domain);
	json_t *j = json_load_file(path, 0, NULL);
	const char *cid = json_string_value(json_object_get(j, "id"));
	const char *text = json_string_value(json_object_get(j, "policy"));
	json_int_t until = json_integer_value(json_object_get(j, "until"));
	char *out = NULL;

	if (cid != NULL && text != NULL && strcmp(cid, id) == 0 && until > now)
		out = xstrdup(text);
	json_decref(j);
	free(path);
	return out;
}

static void
cache_put(const struct config *cfg, const char *domain, const char *id,
    const char *text, int64_t until)
{
	char *dir = xasprintf("%s/mta-sts", cfg->state_dir);
	char *path = xasprintf("%s/%s.json", dir, domain);
	json_t *j = json_pack("{s:s, s:s, s:I}", "id", id, "policy", text,
	    "until", (json_int_t)until);
	char *s = json_dumps(j, JSON_COMPACT);

	/* A cache that cannot be written only means fetching again. */
	if (s != NULL && mkdir_p(dir, 0700, NULL) == 0 &&
	    file_write_atomic(path, s, strlen(s), 0600, NULL) == -1)
		free(s = NULL);
	free(s);
	json_decref(j);
	free(path);
	free(dir);
}

/* The id of the _mta-sts record, or -1 when there is no valid one. */
static int
txt_id(struct resolver *r, const char *domain, char *id, size_t idlen,
    char *why, size_t whylen)
{
	char name[300];
	const struct dns_result *t;
	struct err e;
	int found = 0;

	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	t = resolver_query(r, name, DNS_T_TXT);
	for (size_t i = 0; t->status == DNS_OK && i < t->n; i++) {
		if (strncmp(t->rr[i].text, "v=STSv1", 7) != 0)
			continue;
		if (++found > 1 ||
		    mtasts_txt_parse(t->rr[i].text, strlen(t->rr[i].text), id,
		        idlen, &e) == -1) {
			snprintf(why, whylen, "%s: %s", name,
			    found > 1 ? "several STSv1 records" : e.msg);
			return -1;
		}
	}
	if (found == 0) {
		snprintf(why, whylen, "%s: no MTA-STS record", name);
		return -1;
	}
	return 0;
}

int
mtasts_lookup(struct resolver *r, const struct config *cfg, const char *domain,
    int64_t now, struct mtasts_policy *pol, char *why, size_t whylen)
{
	char id[40], *text;
	struct buf body;
	struct err e;
	int ok;

	memset(pol, 0, sizeof(*pol));
	if (txt_id(r, domain, id, sizeof(id), why, whylen) == -1)
		return 0;
	if ((text = cache_get(cfg, domain, id, now)) == NULL) {
		buf_init(&body, MTASTS_POLICY_MAX);
		if (fetch(r, cfg, domain, &body, why, whylen) == -1) {
			buf_cleanup(&body);
			return 0;
		}
		text = buf_steal(&body, NULL);
	}
	ok = mtasts_policy_parse(text, strlen(text), pol, &e) == 0;
	if (ok)
		cache_put(cfg, domain, id, text, now + (int64_t)pol->max_age);
	else
		snprintf(why, whylen, "the policy of %s is not valid: %s",
		    domain, e.msg);
	free(text);
	if (!ok)
		mtasts_policy_cleanup(pol);
	return ok ? 1 : 0;
}

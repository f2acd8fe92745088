#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/util.h"
#include "provision/provider.h"
#include "provision/providers/http.h"

#define HTTP_EXCERPT 120

int
http_client_init(struct http_client *h, uint64_t timeout,
    http_errtext_fn *errtext, struct err *e)
{
	memset(h, 0, sizeof(*h));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((h->curl = curl_easy_init()) == NULL)
		return err_set(e, "cannot start libcurl");
	h->timeout = timeout;
	h->errtext = errtext;
	h->attempts = HTTP_ATTEMPTS;
	return 0;
}

void
http_client_header(struct http_client *h, const char *line)
{
	h->headers = curl_slist_append(h->headers, line);
}

static void
wipe_list(struct curl_slist *l)
{
	for (; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
}

void
http_client_cleanup(struct http_client *h)
{
	wipe_list(h->headers);
	curl_slist_free_all(h->headers);
	if (h->userpwd != NULL) {
		explicit_bzero(h->userpwd, strlen(h->userpwd));
		free(h->userpwd);
	}
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	memset(h, 0, sizeof(*h));
}

void
http_reply_cleanup(struct http_reply *r)
{
	buf_cleanup(&r->body);
}

uint64_t
http_parse_retry_after(const char *v, size_t len)
{
	uint64_t n = 0;
	size_t i = 0;

	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i == len || !isdigit((unsigned char)v[i]))
		return len > i ? 1 : 0; /* an HTTP date: retry soon */
	for (; i < len && isdigit((unsigned char)v[i]); i++)
		if ((n = n * 10 + (uint64_t)(v[i] - '0')) > 86400)
			return 86400;
	return n;
}

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_append(b, data, size * n) == -1)
		return 0; /* too large: libcurl fails the transfer */
	return size * n;
}

/* "Name: value" in a header line: the value's length, or -1. */
static long
header_value(const char *line, size_t len, const char *name, const char **v)
{
	size_t nl = strlen(name), end = len;

	if (len <= nl || line[nl] != ':' || !str_ieq(line, nl, name))
		return -1;
	*v = line + nl + 1;
	while (**v == ' ' && *v < line + len)
		(*v)++;
	while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
	                      line[end - 1] == ' '))
		end--;
	return end > (size_t)(*v - line) ? (long)(end - (size_t)(*v - line))
	                                 : 0;
}

static size_t
header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_reply *r = arg;
	size_t len = size * n;
	const char *v;
	long vl;

	if ((vl = header_value(data, len, "Retry-After", &v)) >= 0)
		r->retry_after = http_parse_retry_after(v, (size_t)vl);
	else if ((vl = header_value(data, len, "ETag", &v)) >= 0 &&
	         (size_t)vl < sizeof(r->etag)) {
		memcpy(r->etag, v, (size_t)vl);
		r->etag[vl] = '\0';
	} else if ((vl = header_value(data, len, "Total-Count", &v)) >= 0)
		r->total_count = http_parse_retry_after(v, (size_t)vl);
	return len;
}

static void
setup(struct http_client *h, const char *method, const char *url,
    const char *body, struct curl_slist *hdrs, struct http_reply *r)
{
	CURL *c = h->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)h->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)h->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (h->sigv4 != NULL) {
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, h->sigv4);
		curl_easy_setopt(c, CURLOPT_USERPWD, h->userpwd);
	}
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
}

/* One exchange: PROVIDER_OK with the reply, or a transport error. */
static int
exchange(struct http_client *h, const char *method, const char *url,
    const char *body, struct curl_slist *extra, struct http_reply *r,
    struct err *e)
{
	struct curl_slist *hdrs = NULL;
	CURLcode cc;

	for (struct curl_slist *l = h->headers; l != NULL; l = l->next)
		hdrs = curl_slist_append(hdrs, l->data);
	for (struct curl_slist *l = extra; l != NULL; l = l->next)
		hdrs = curl_slist_append(hdrs, l->data);
	buf_reset(&r->body);
	r->status = 0;
	r->etag[0] = '\0';
	r->retry_after = 0;
	r->total_count = 0;
	h->errbuf[0] = '\0';
	setup(h, method, url, body, hdrs, r);
	cc = curl_easy_perform(h->curl);
	wipe_list(hdrs);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK)
		return err_set(e, "%s %s: %s", method, url,
		           h->errbuf[0] != '\0' ? h->errbuf
		                                : curl_easy_strerror(cc)),
		       PROVIDER_ERR_TEMP;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	return PROVIDER_OK;
}

char *
http_body_excerpt(const char *body, size_t len)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < len && b.len < HTTP_EXCERPT; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c < 0x20 || c >= 0x7f)
			c = '?';
		if (!(c == ' ' && b.len > 0 && b.data[b.len - 1] == ' '))
			if (buf_append(&b, &c, 1) == -1)
				break;
	}
	if (i < len)
		if (buf_append_str(&b, "...") == -1)
			return buf_steal(&b, NULL);
	if (b.len == 0)
		if (buf_append_str(&b, "(empty body)") == -1)
			return buf_steal(&b, NULL);
	return buf_steal(&b, NULL);
}

/* The status an HTTP answer means; e says why when it is an error. */
static int
reply_status(struct http_client *h, const char *method, const char *url,
    long ok_status, struct http_reply *r, struct err *e)
{
	char *text = NULL;

	if ((r->status >= 200 && r->status < 300) || r->status == ok_status)
		return PROVIDER_OK;
	if (h->errtext != NULL)
		text = h->errtext(r->body.data, r->body.len);
	if (text == NULL) {
		char *x = http_body_excerpt(r->body.data, r->body.len);

		text = xasprintf("not the API's error format: %s", x);
		free(x);
	}
	err_set(e, "%s %s: HTTP %ld%s%s: %s", method, url, r->status,
	    (r->status == 401 || r->status == 403) && h->auth_hint != NULL ? " "
	                                                                   : "",
	    (r->status == 401 || r->status == 403) && h->auth_hint != NULL
	        ? h->auth_hint
	        : "",
	    text);
	free(text);
	if (r->status >= 500 || r->status == 429 ||
	    (h->retryable != NULL &&
	        h->retryable(r->status, r->body.data, r->body.len)))
		return PROVIDER_ERR_TEMP;
	return PROVIDER_ERR_PERM;
}

static void
sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
http_request(struct http_client *h, const char *method, const char *url,
    const char *body, struct curl_slist *extra, long ok_status,
    struct http_reply *r, struct err *e)
{
	uint64_t waited = 0, wait;
	int rc = PROVIDER_ERR_TEMP;
	unsigned a;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, HTTP_MAX_BODY);
	for (a = 1; a <= h->attempts; a++) {
		rc = exchange(h, method, url, body, extra, r, e);
		if (rc == PROVIDER_OK)
			rc = reply_status(h, method, url, ok_status, r, e);
		if (rc != PROVIDER_ERR_TEMP || a == h->attempts)
			break;
		wait = r->retry_after > 0 ? r->retry_after * 1000
		                          : (uint64_t)250 << (a - 1);
		if (waited + wait > (uint64_t)HTTP_RETRY_BUDGET * 1000) {
			err_prefix(e,
			    "giving up after %u attempts (Retry-After %llu s "
			    "is past the %d s retry budget)",
			    a, (unsigned long long)r->retry_after,
			    HTTP_RETRY_BUDGET);
			return rc;
		}
		sleep_ms(wait);
		waited += wait;
	}
	if (rc == PROVIDER_ERR_TEMP && a > h->attempts - 1)
		err_prefix(e, "after %u attempts", h->attempts);
	return rc;
}

char *
http_escape(struct http_client *h, const char *s)
{
	char *c = curl_easy_escape(h->curl, s, 0), *out;

	out = xstrdup(c != NULL ? c : "");
	curl_free(c);
	return out;
}

json_t *
http_json_load(const char *body, size_t len, int want, struct err *e)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (j == NULL) {
		err_set(e, "malformed JSON from the API: %s (line %d)", je.text,
		    je.line);
		return NULL;
	}
	if (want >= 0 && json_typeof(j) != (json_type)want) {
		err_set(e, "the answer is not a JSON %s",
		    want == JSON_ARRAY ? "array" : "object");
		json_decref(j);
		return NULL;
	}
	return j;
}

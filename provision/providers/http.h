#ifndef POSTERN_PROVIDER_HTTP_H
#define POSTERN_PROVIDER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/err.h"

/*
 * The HTTP side shared by the providers with an HTTP API (PowerDNS and the
 * cloud ones): one libcurl handle, requests retried on transport errors, 429
 * and 5xx with backoff that honours Retry-After, within a bounded total
 * time. Secrets travel only in headers (wiped on cleanup) and never appear
 * in an error.
 */

#define HTTP_MAX_BODY ((size_t)16 * 1024 * 1024)
#define HTTP_ATTEMPTS 5
#define HTTP_RETRY_BUDGET                                                      \
	30 /* seconds of waiting between attempts, at most                     \
	    */

/* The provider's own message in an error body; caller frees (NULL: none). */
typedef char *http_errtext_fn(const char *body, size_t len);

/* Is an error answer with this status worth retrying (besides 429, 5xx)? */
typedef bool http_retry_fn(long status, const char *body, size_t len);

struct http_client {
	CURL *curl;
	struct curl_slist *headers; /* sent with every request */
	const char *sigv4;          /* CURLOPT_AWS_SIGV4, or NULL */
	char *userpwd;              /* for sigv4: KEY:SECRET */
	uint64_t timeout;           /* seconds per attempt */
	http_errtext_fn *errtext;
	http_retry_fn *retryable; /* NULL: 429 and 5xx only */
	const char *auth_hint;    /* appended to 401/403: what to check */
	unsigned attempts;        /* HTTP_ATTEMPTS unless set after init */
	char errbuf[CURL_ERROR_SIZE];
};

struct http_reply {
	long status;
	struct buf body;
	char etag[256];
	uint64_t total_count; /* Total-Count header (Gandi), 0 when absent */
	uint64_t retry_after; /* seconds, 0 when absent */
};

int http_client_init(struct http_client *h, uint64_t timeout,
    http_errtext_fn *errtext, struct err *e) WUR;
/* Add a header; secret headers are wiped on cleanup like all others. */
void http_client_header(struct http_client *h, const char *line);
void http_client_cleanup(struct http_client *h);

/*
 * One request with retries: PROVIDER_OK with a 2xx reply in r (caller
 * cleans up r with http_reply_cleanup), or an error status with e set to
 * "METHOD URL: HTTP N: provider's message". extra: more headers, or NULL.
 * ok_status: one more status taken as success (e.g. 404, 412), or 0.
 */
int http_request(struct http_client *h, const char *method, const char *url,
    const char *body, struct curl_slist *extra, long ok_status,
    struct http_reply *r, struct err *e) WUR;
void http_reply_cleanup(struct http_reply *r);

/* s escaped as one URL path segment or query value; caller frees. */
char *http_escape(struct http_client *h, const char *s);
/* Parse a Retry-After value (delta-seconds; an HTTP date counts as 1). */
uint64_t http_parse_retry_after(const char *v, size_t len);
/* A short, printable rendering of an error body (no JSON): caller frees. */
char *http_body_excerpt(const char *body, size_t len);
/*
 * Parse an API answer as JSON (duplicate keys refused) whose top level is
 * want (JSON_OBJECT or JSON_ARRAY; -1: any). NULL and e otherwise; caller
 * decrefs.
 */
struct json_t *http_json_load(const char *body, size_t len, int want,
    struct err *e);

#endif

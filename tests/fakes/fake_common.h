/*
 * Shared parts of the local cloud DNS API fakes (tests only): the HTTP
 * server on 127.0.0.1, the in-memory zone store loaded from a seed file,
 * the /_fake/ control endpoints (state dump, request log, injected 429,
 * 5xx and garbage answers) and small request/reply helpers.
 */
#ifndef FAKE_COMMON_H
#define FAKE_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

/* One record: one value, as the provider's API carries it. */
struct fake_rr {
	unsigned id; /* unique in the process, never reused */
	char *name;  /* fully qualified, lower case, no trailing dot */
	char *type;  /* upper case */
	unsigned ttl;
	char *value;    /* verbatim, in the provider's own representation */
	unsigned stamp; /* store change counter at its last write */
};

struct fake_zone {
	unsigned index; /* position in the seed file, from 0 */
	char *name;     /* lower case, no trailing dot */
	bool hidden;    /* exists, but the credentials cannot see it */
	struct fake_rr *rr;
	size_t nrr, cap;
};

struct fake_store {
	struct fake_zone *zones;
	size_t nzones, cap;
	unsigned next_id;
	unsigned stamp;
};

/* One command-line option of a fake: --name VALUE, or env when absent. */
struct fake_opt {
	const char *name;
	const char *env;
	char **dst;
};

#define FAKE_MAX_SEGS 16

/* A request as the provider handler sees it; replies go through fake_reply*. */
struct fake_req {
	struct evhttp_request *req;
	const char *method;
	const char *raw_path;  /* as sent, percent-encoded */
	const char *raw_query; /* as sent, NULL when absent */
	char *seg[FAKE_MAX_SEGS];
	size_t nseg; /* decoded path segments */
	struct evkeyvalq query;
	char *body; /* NUL-terminated, body_len bytes */
	size_t body_len;
	int status; /* set by the reply */
};

struct fake;

struct fake_provider {
	const char *name;
	/* The API's content type; bodies of injected answers in that type: */
	const char *ctype;
	const char *trunc_body; /* truncated (/_fake/garbage?kind=truncated) */
	const char *empty_body; /* well-formed, fields missing (kind=empty) */
	const char *ratelimit_body; /* the provider's own 429 body */
	/* Called once the options are read: defaults, required options. */
	void (*setup)(void *arg);
	void (*handle)(struct fake *f, struct fake_req *r, void *arg);
};

/*
 * Parse the common options (--port N, --seed FILE, --page-size N) and the
 * provider's opts, load the seed, listen, print PORT=N and serve until
 * SIGTERM/SIGINT. Returns the exit code.
 */
int fake_main(const struct fake_provider *p, const struct fake_opt *opts,
    void *arg, int argc, char **argv);

struct fake_store *fake_store(struct fake *f);
size_t fake_page_size(const struct fake *f);

/* Replies: the body is copied; fake_reply_json steals j. */
void fake_reply(struct fake_req *r, int status, const char *ctype,
    const char *body, size_t len);
void fake_reply_json(struct fake_req *r, int status, json_t *j);
void fake_add_header(struct fake_req *r, const char *name, const char *val);

const char *fake_header(const struct fake_req *r, const char *name);
const char *fake_query(const struct fake_req *r, const char *name);
/* Parse a query parameter as a number in [min, max]; def when absent. */
int fake_query_num(const struct fake_req *r, const char *name, size_t min,
    size_t max, size_t def, size_t *out);
/* True when the Authorization header is exactly "SCHEME TOKEN". */
bool fake_auth_is(const struct fake_req *r, const char *scheme,
    const char *token);
/* "http://HOST" from the Host header, for absolute next-page links. */
char *fake_base_url(const struct fake_req *r);
/* Lower-case s without a trailing dot; caller frees. */
char *fake_name_norm(const char *s);
/* Constant-time string equality for secrets. */
bool fake_secret_eq(const char *a, const char *b);

/* Store. Zones are found by exact name (hidden ones too). */
struct fake_zone *fake_zone_find(struct fake_store *s, const char *name);
struct fake_zone *fake_zone_at(struct fake_store *s, size_t index);
struct fake_rr *fake_rr_add(struct fake_store *s, struct fake_zone *z,
    const char *name, const char *type, unsigned ttl, const char *value);
struct fake_rr *fake_rr_by_id(struct fake_zone *z, unsigned id);
void fake_rr_remove(struct fake_zone *z, struct fake_rr *rr);
void fake_rr_set(struct fake_store *s, struct fake_rr *rr, const char *name,
    const char *type, unsigned ttl, const char *value);
/* Number of record sets (distinct name and type) in z. */
size_t fake_zone_set_count(const struct fake_zone *z);
/* Is name inside zone (equal or below)? */
bool fake_name_in_zone(const char *name, const char *zone);
/* "@" for the apex, else name relative to z; caller frees. */
char *fake_rel_name(const struct fake_zone *z, const char *fqdn);
/* The owner name of a name relative to z ("@" is the apex). */
char *fake_abs_name(const struct fake_zone *z, const char *rel);
/* DNS order: compare label by label from the right (as Route 53 lists). */
int fake_name_cmp(const char *a, const char *b);

#endif

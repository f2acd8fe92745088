/*
 * Shared parts of the cloud DNS API fakes: server, zone store, controls.
 * Tests only; secrets given to a fake are compared, never printed.
 */
#include "tests/fakes/fake_common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/util.h"

#define FAKE_BODY_MAX ((size_t)1024 * 1024)
#define FAKE_SEED_MAX ((size_t)4 * 1024 * 1024)
#define FAKE_LOG_MAX 10000

struct fake {
	const struct fake_provider *p;
	void *arg;
	struct event_base *base;
	struct evhttp *http;
	struct fake_store store;
	size_t page_size;
	unsigned port;
	/* Injected answers for the next provider calls (/_fake/ controls). */
	size_t rl_count, rl_retry;
	size_t fail_count, fail_status;
	size_t garbage_count;
	const char *garbage_kind; /* "html", "truncated" or "empty" */
	/* A concurrent writer: one record added before the next write call. */
	char *conflict_name, *conflict_type, *conflict_value;
	unsigned conflict_ttl;
	json_t *log; /* [{method, uri, status}] */
};

struct fake_store *
fake_store(struct fake *f)
{
	return &f->store;
}

size_t
fake_page_size(const struct fake *f)
{
	return f->page_size;
}

char *
fake_name_norm(const char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		n--;
	return str_lower(xstrndup(s, n));
}

bool
fake_secret_eq(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (n != strlen(b))
		return false;
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* ---- store ---- */

struct fake_zone *
fake_zone_find(struct fake_store *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nzones; i++)
		if (strcasecmp(s->zones[i].name, name) == 0)
			return &s->zones[i];
	return NULL;
}

struct fake_zone *
fake_zone_at(struct fake_store *s, size_t index)
{
	return index < s->nzones ? &s->zones[index] : NULL;
}

struct fake_rr *
fake_rr_add(struct fake_store *s, struct fake_zone *z, const char *name,
    const char *type, unsigned ttl, const char *value)
{
	struct fake_rr *rr;

	z->rr = xreallocarray(z->rr, &z->cap, z->nrr + 1, sizeof(*z->rr));
	rr = &z->rr[z->nrr++];
	memset(rr, 0, sizeof(*rr));
	rr->id = ++s->next_id;
	fake_rr_set(s, rr, name, type, ttl, value);
	return rr;
}

void
fake_rr_set(struct fake_store *s, struct fake_rr *rr, const char *name,
    const char *type, unsigned ttl, const char *value)
{
	char *n = fake_name_norm(name), *t = xstrdup(type), *v = xstrdup(value);
	size_t i;

	for (i = 0; t[i] != '\0'; i++)
		t[i] = (char)toupper((unsigned char)t[i]);
	free(rr->name);
	free(rr->type);
	free(rr->value);
	rr->name = n;
	rr->type = t;
	rr->value = v;
	rr->ttl = ttl;
	rr->stamp = ++s->stamp;
}

struct fake_rr *
fake_rr_by_id(struct fake_zone *z, unsigned id)
{
	size_t i;

	for (i = 0; i < z->nrr; i++)
		if (z->rr[i].id == id)
			return &z->rr[i];
	return NULL;
}

void
fake_rr_remove(struct fake_zone *z, struct fake_rr *rr)
{
	size_t i = (size_t)(rr - z->rr);

	free(rr->name);
	free(rr->type);
	free(rr->value);
	memmove(&z->rr[i], &z->rr[i + 1], (z->nrr - i - 1) * sizeof(*rr));
	z->nrr--;
}

/* Number of record sets (distinct name and type) in z. */
size_t
fake_zone_set_count(const struct fake_zone *z)
{
	size_t i, k, n = 0;

	for (i = 0; i < z->nrr; i++) {
		for (k = 0; k < i; k++)
			if (strcmp(z->rr[k].name, z->rr[i].name) == 0 &&
			    strcmp(z->rr[k].type, z->rr[i].type) == 0)
				break;
		n += k == i;
	}
	return n;
}

bool
fake_name_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), zn = strlen(zone);

	if (n == zn)
		return strcasecmp(name, zone) == 0;
	return n > zn && name[n - zn - 1] == '.' &&
	       strcasecmp(name + n - zn, zone) == 0;
}

char *
fake_rel_name(const struct fake_zone *z, const char *fqdn)
{
	size_t n = strlen(fqdn), zn = strlen(z->name);

	if (n <= zn)
		return xstrdup("@");
	return xstrndup(fqdn, n - zn - 1);
}

char *
fake_abs_name(const struct fake_zone *z, const char *rel)
{
	if (strcmp(rel, "@") == 0 || *rel == '\0')
		return xstrdup(z->name);
	return str_lower(xasprintf("%s.%s", rel, z->name));
}

/* Where the label ending at s[end) begins. */
static size_t
label_start(const char *s, size_t end)
{
	while (end > 0 && s[end - 1] != '.')
		end--;
	return end;
}

int
fake_name_cmp(const char *a, const char *b)
{
	size_t ae = strlen(a), be = strlen(b), as, bs, la, lb;
	int c;

	for (;;) {
		if (ae == 0 || be == 0)
			return (ae > 0) - (be > 0);
		as = label_start(a, ae);
		bs = label_start(b, be);
		la = ae - as;
		lb = be - bs;
		c = strncasecmp(a + as, b + bs, la < lb ? la : lb);
		if (c != 0)
			return c;
		if (la != lb)
			return la < lb ? -1 : 1;
		ae = as > 0 ? as - 1 : 0;
		be = bs > 0 ? bs - 1 : 0;
	}
}

/* Longest zone holding name, or NULL. */
static struct fake_zone *
zone_for_name(struct fake_store *s, const char *name)
{
	struct fake_zone *best = NULL;
	size_t i;

	for (i = 0; i < s->nzones; i++)
		if (fake_name_in_zone(name, s->zones[i].name) &&
		    (best == NULL ||
		        strlen(s->zones[i].name) > strlen(best->name)))
			best = &s->zones[i];
	return best;
}

/* One seed line: "zone NAME [hidden]" or "NAME TYPE TTL VALUE...". */
static int
seed_line(struct fake_store *s, char *line, struct err *e)
{
	char *f[4] = { 0 }, *p = line;
	struct fake_zone *z;
	uint64_t ttl;
	size_t i;

	for (i = 0; i < 4 && *p != '\0'; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		f[i] = p;
		if (i == 3)
			break;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
	if (f[0] != NULL && strcmp(f[0], "zone") == 0 && f[1] != NULL) {
		s->zones = xreallocarray(s->zones, &s->cap, s->nzones + 1,
		    sizeof(*s->zones));
		z = &s->zones[s->nzones];
		memset(z, 0, sizeof(*z));
		z->index = (unsigned)s->nzones++;
		z->name = fake_name_norm(f[1]);
		z->hidden = f[2] != NULL && strcmp(f[2], "hidden") == 0;
		return 0;
	}
	if (f[3] == NULL || parse_u64(f[2], 0, 2147483647, &ttl) == -1)
		return err_set(e, "expected NAME TYPE TTL VALUE");
	if ((z = zone_for_name(s, f[0])) == NULL)
		return err_set(e, "no zone holds \"%s\"", f[0]);
	(void)fake_rr_add(s, z, f[0], f[1], (unsigned)ttl, f[3]);
	return 0;
}

static void
seed_load(struct fake_store *s, const char *path)
{
	struct err e = { 0 };
	char *text, *line, *next;
	size_t len, lineno = 0;

	if (file_read(path, FAKE_SEED_MAX, &text, &len, &e) == -1)
		die(2, "%s", e.msg);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (*line == '#' || *line == '\0')
			continue;
		if (seed_line(s, line, &e) == -1)
			die(2, "%s:%zu: %s", path, lineno, e.msg);
	}
	free(text);
}

/* ---- request helpers ---- */

void
fake_add_header(struct fake_req *r, const char *name, const char *val)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name, val);
}

void
fake_reply(struct fake_req *r, int status, const char *ctype, const char *body,
    size_t len)
{
	struct evbuffer *out = evbuffer_new();

	if (out == NULL)
		die(3, "out of memory");
	if (ctype != NULL)
		fake_add_header(r, "Content-Type", ctype);
	if (len > 0)
		evbuffer_add(out, body, len);
	r->status = status;
	evhttp_send_reply(r->req, status, NULL, out);
	evbuffer_free(out);
}

void
fake_reply_json(struct fake_req *r, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s == NULL)
		die(3, "json_dumps failed");
	fake_reply(r, status, "application/json", s, strlen(s));
	free(s);
	json_decref(j);
}

const char *
fake_header(const struct fake_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    name);
}

const char *
fake_query(const struct fake_req *r, const char *name)
{
	return evhttp_find_header(&r->query, name);
}

int
fake_query_num(const struct fake_req *r, const char *name, size_t min,
    size_t max, size_t def, size_t *out)
{
	const char *v = fake_query(r, name);
	uint64_t n;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (parse_u64(v, min, max, &n) == -1)
		return -1;
	*out = (size_t)n;
	return 0;
}

bool
fake_auth_is(const struct fake_req *r, const char *scheme, const char *token)
{
	const char *h = fake_header(r, "Authorization");
	size_t n = strlen(scheme);

	if (h == NULL || token == NULL || strncasecmp(h, scheme, n) != 0 ||
	    h[n] != ' ')
		return false;
	return fake_secret_eq(h + n + 1, token);
}

char *
fake_base_url(const struct fake_req *r)
{
	const char *host = fake_header(r, "Host");

	return xasprintf("http://%s", host != NULL ? host : "127.0.0.1");
}

/* ---- controls under /_fake/ ---- */

static void
conflict_clear(struct fake *f)
{
	free(f->conflict_name);
	free(f->conflict_type);
	free(f->conflict_value);
	f->conflict_name = f->conflict_type = f->conflict_value = NULL;
}

/* /_fake/conflict?name=N&type=T&value=V[&ttl=S]; -1 when incomplete. */
static int
conflict_arm(struct fake *f, struct fake_req *r)
{
	const char *name = fake_query(r, "name"), *type = fake_query(r, "type");
	const char *value = fake_query(r, "value");
	size_t ttl;

	if (name == NULL || type == NULL || value == NULL ||
	    zone_for_name(&f->store, name) == NULL ||
	    fake_query_num(r, "ttl", 0, 2147483647, 0, &ttl) == -1)
		return -1;
	conflict_clear(f);
	f->conflict_name = fake_name_norm(name);
	f->conflict_type = xstrdup(type);
	f->conflict_value = xstrdup(value);
	f->conflict_ttl = (unsigned)ttl;
	return 0;
}

/*
 * Play the armed concurrent writer: add its record (with the TTL of the
 * set it joins, unless one was given) just before a DNS API write is
 * handled.
 */
static void
conflict_play(struct fake *f, const struct fake_req *r)
{
	struct fake_zone *z;
	unsigned ttl;
	size_t i;

	/* Not on reads, nor on an OAuth token request (Azure's login). */
	if (f->conflict_name == NULL || strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "HEAD") == 0 ||
	    (r->nseg > 1 && strcmp(r->seg[1], "oauth2") == 0))
		return;
	z = zone_for_name(&f->store, f->conflict_name);
	ttl = f->conflict_ttl != 0 ? f->conflict_ttl : 300;
	for (i = 0; f->conflict_ttl == 0 && i < z->nrr; i++)
		if (strcmp(z->rr[i].name, f->conflict_name) == 0 &&
		    strcasecmp(z->rr[i].type, f->conflict_type) == 0)
			ttl = z->rr[i].ttl;
	(void)fake_rr_add(&f->store, z, f->conflict_name, f->conflict_type, ttl,
	    f->conflict_value);
	conflict_clear(f);
}

static json_t *
state_json(struct fake *f)
{
	json_t *zones = json_array(), *z, *rrs;
	struct fake_store *s = &f->store;
	struct fake_rr *rr;
	size_t i, k;

	for (i = 0; i < s->nzones; i++) {
		rrs = json_array();
		for (k = 0; k < s->zones[i].nrr; k++) {
			rr = &s->zones[i].rr[k];
			json_array_append_new(rrs,
			    json_pack("{s:i,s:s,s:s,s:i,s:s}", "id", rr->id,
			        "name", rr->name, "type", rr->type, "ttl",
			        rr->ttl, "value", rr->value));
		}
		z = json_pack("{s:s,s:b,s:o}", "name", s->zones[i].name,
		    "hidden", s->zones[i].hidden, "records", rrs);
		json_array_append_new(zones, z);
	}
	return json_pack("{s:s,s:o,s:i}", "provider", f->p->name, "zones",
	    zones, "requests", (int)json_array_size(f->log));
}

static void
control(struct fake *f, struct fake_req *r)
{
	const char *what = r->nseg > 1 ? r->seg[1] : "";
	const char *kind;
	size_t count, n;

	if (strcmp(what, "state") == 0) {
		fake_reply_json(r, 200, state_json(f));
		return;
	}
	if (strcmp(what, "log") == 0) {
		fake_reply_json(r, 200, json_deep_copy(f->log));
		return;
	}
	if (strcmp(what, "conflict") == 0) {
		if (conflict_arm(f, r) == -1)
			goto bad;
		fake_reply(r, 200, "text/plain", "ok\n", 3);
		return;
	}
	if (fake_query_num(r, "count", 0, 1000000, 1, &count) == -1)
		goto bad;
	if (strcmp(what, "ratelimit") == 0) {
		if (fake_query_num(r, "retry_after", 0, 86400, 1, &n) == -1)
			goto bad;
		f->rl_count = count;
		f->rl_retry = n;
	} else if (strcmp(what, "fail") == 0) {
		if (fake_query_num(r, "status", 400, 599, 500, &n) == -1)
			goto bad;
		f->fail_count = count;
		f->fail_status = n;
	} else if (strcmp(what, "garbage") == 0) {
		kind = fake_query(r, "kind");
		if (kind == NULL)
			kind = "html";
		if (strcmp(kind, "html") != 0 && strcmp(kind, "empty") != 0 &&
		    strcmp(kind, "truncated") != 0)
			goto bad;
		f->garbage_count = count;
		f->garbage_kind = strcmp(kind, "html") == 0    ? "html"
		                  : strcmp(kind, "empty") == 0 ? "empty"
		                                               : "truncated";
	} else {
		fake_reply(r, 404, "text/plain", "no such control\n", 16);
		return;
	}
	fake_reply(r, 200, "text/plain", "ok\n", 3);
	return;
bad:
	fake_reply(r, 400, "text/plain", "bad control parameter\n", 22);
}

static const char html_page[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

/* Answer with an injected failure, if one is pending; true if answered. */
static bool
injected(struct fake *f, struct fake_req *r)
{
	char buf[32];

	if (f->rl_count > 0) {
		f->rl_count--;
		(void)snprintf(buf, sizeof(buf), "%zu", f->rl_retry);
		fake_add_header(r, "Retry-After", buf);
		fake_reply(r, 429, f->p->ctype, f->p->ratelimit_body,
		    strlen(f->p->ratelimit_body));
		return true;
	}
	if (f->fail_count > 0) {
		f->fail_count--;
		fake_reply(r, (int)f->fail_status, "text/plain",
		    "injected failure\n", 17);
		return true;
	}
	if (f->garbage_count == 0)
		return false;
	f->garbage_count--;
	if (strcmp(f->garbage_kind, "truncated") == 0)
		fake_reply(r, 200, f->p->ctype, f->p->trunc_body,
		    strlen(f->p->trunc_body));
	else if (strcmp(f->garbage_kind, "empty") == 0)
		fake_reply(r, 200, f->p->ctype, f->p->empty_body,
		    strlen(f->p->empty_body));
	else
		fake_reply(r, 502, "text/html", html_page,
		    sizeof(html_page) - 1);
	return true;
}

/* ---- dispatch ---- */

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	default:
		return "OTHER";
	}
}

/* Fill r from the libevent request; -1 (and a reply) when unusable. */
static int
req_init(struct fake_req *r, struct evhttp_request *req)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *p;
	char *tmp;
	size_t n;

	memset(r, 0, sizeof(*r));
	TAILQ_INIT(&r->query);
	r->req = req;
	r->method = method_name(evhttp_request_get_command(req));
	r->raw_path = evhttp_uri_get_path(u);
	r->raw_query = evhttp_uri_get_query(u);
	if (r->raw_path == NULL || r->raw_path[0] != '/')
		r->raw_path = "/";
	if (r->raw_query != NULL &&
	    evhttp_parse_query_str(r->raw_query, &r->query) == -1)
		goto bad;
	for (p = r->raw_path + 1; *p != '\0'; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (r->nseg == FAKE_MAX_SEGS)
			goto bad;
		tmp = xstrndup(p, n);
		r->seg[r->nseg] = evhttp_uridecode(tmp, 0, NULL);
		free(tmp);
		if (r->seg[r->nseg++] == NULL)
			goto bad;
	}
	n = evbuffer_get_length(in);
	if (n > FAKE_BODY_MAX)
		goto bad;
	r->body = xmalloc(n + 1);
	r->body_len = n;
	if (evbuffer_remove(in, r->body, n) != (int)n)
		goto bad;
	r->body[n] = '\0';
	return 0;
bad:
	fake_reply(r, 400, "text/plain", "bad request\n", 12);
	return -1;
}

static void
req_cleanup(struct fake_req *r)
{
	size_t i;

	for (i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	free(r->body);
	evhttp_clear_headers(&r->query);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct fake *f = arg;
	struct fake_req r;

	if (req_init(&r, req) == 0) {
		if (r.nseg > 0 && strcmp(r.seg[0], "_fake") == 0)
			control(f, &r);
		else if (!injected(f, &r)) {
			conflict_play(f, &r);
			f->p->handle(f, &r, f->arg);
		}
		if (r.status == 0)
			fake_reply(&r, 500, "text/plain", "no reply\n", 9);
	}
	if (json_array_size(f->log) < FAKE_LOG_MAX)
		json_array_append_new(f->log,
		    json_pack("{s:s,s:s,s:i}", "method", r.method, "uri",
		        evhttp_request_get_uri(req), "status", r.status));
	/* The URI carries no secret in any of the emulated APIs. */
	(void)fprintf(stderr, "%s %s %s %d\n", f->p->name, r.method,
	    evhttp_request_get_uri(req), r.status);
	req_cleanup(&r);
}

/* ---- start-up ---- */

static void
opt_set(struct fake *f, const struct fake_opt *opts, const char *name,
    const char *val, const char **seed)
{
	uint64_t n;

	if (strcmp(name, "--port") == 0) {
		if (parse_u64(val, 0, 65535, &n) == -1)
			die(2, "--port: expected a port, got \"%s\"", val);
		f->port = (unsigned)n;
	} else if (strcmp(name, "--page-size") == 0) {
		if (parse_u64(val, 1, 1000, &n) == -1)
			die(2, "--page-size: expected 1..1000, got \"%s\"",
			    val);
		f->page_size = (size_t)n;
	} else if (strcmp(name, "--seed") == 0) {
		*seed = val;
	} else {
		for (; opts != NULL && opts->name != NULL; opts++)
			if (strcmp(name + 2, opts->name) == 0) {
				*opts->dst = xstrdup(val);
				return;
			}
		die(2, "unknown option %s", name);
	}
}

static void
parse_args(struct fake *f, const struct fake_opt *opts, int argc, char **argv,
    const char **seed)
{
	const char *v;
	int i;

	for (i = 1; i < argc; i += 2) {
		if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc)
			die(2,
			    "usage: %s [--port N] [--page-size N] "
			    "[--seed FILE] [--OPTION VALUE]...",
			    argv[0]);
		opt_set(f, opts, argv[i], argv[i + 1], seed);
	}
	for (; opts != NULL && opts->name != NULL; opts++)
		if (*opts->dst == NULL && opts->env != NULL &&
		    (v = getenv(opts->env)) != NULL)
			*opts->dst = xstrdup(v);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static unsigned
bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_in sin = { 0 };
	socklen_t len = sizeof(sin);

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
	        &len) == -1)
		die(2, "getsockname failed");
	return ntohs(sin.sin_port);
}

static void
store_free(struct fake_store *s)
{
	size_t i;

	for (i = 0; i < s->nzones; i++) {
		while (s->zones[i].nrr > 0)
			fake_rr_remove(&s->zones[i], &s->zones[i].rr[0]);
		free(s->zones[i].rr);
		free(s->zones[i].name);
	}
	free(s->zones);
}

int
fake_main(const struct fake_provider *p, const struct fake_opt *opts, void *arg,
    int argc, char **argv)
{
	struct fake f = { .p = p, .arg = arg, .page_size = 100 };
	struct evhttp_bound_socket *bs;
	struct event *sigterm, *sigint;
	const char *seed = NULL;

	util_set_progname(p->name);
	parse_args(&f, opts, argc, argv, &seed);
	p->setup(arg);
	if (seed != NULL)
		seed_load(&f.store, seed);
	f.log = json_array();
	if ((f.base = event_base_new()) == NULL ||
	    (f.http = evhttp_new(f.base)) == NULL)
		die(2, "libevent set-up failed");
	evhttp_set_allowed_methods(f.http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	        EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	evhttp_set_max_body_size(f.http, (ev_ssize_t)FAKE_BODY_MAX);
	evhttp_set_gencb(f.http, request_cb, &f);
	bs = evhttp_bind_socket_with_handle(f.http, "127.0.0.1",
	    (ev_uint16_t)f.port);
	if (bs == NULL)
		die(2, "cannot listen on 127.0.0.1:%u", f.port);
	sigterm = evsignal_new(f.base, SIGTERM, signal_cb, f.base);
	sigint = evsignal_new(f.base, SIGINT, signal_cb, f.base);
	if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) ||
	    event_add(sigint, NULL))
		die(2, "cannot catch signals");
	(void)printf("PORT=%u\n", bound_port(bs));
	(void)fflush(stdout);
	event_base_dispatch(f.base);
	event_free(sigterm);
	event_free(sigint);
	evhttp_free(f.http);
	event_base_free(f.base);
	json_decref(f.log);
	store_free(&f.store);
	conflict_clear(&f);
	for (; opts != NULL && opts->name != NULL; opts++)
		if (*opts->dst != NULL) {
			explicit_bzero(*opts->dst, strlen(*opts->dst));
			free(*opts->dst);
		}
	return 0;
}

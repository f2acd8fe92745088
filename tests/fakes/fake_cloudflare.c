/*
 * Local fake of the Cloudflare API v4 (zones and dns_records), after
 * Cloudflare's API reference: envelope {success, errors[{code, message}],
 * messages, result, result_info{page, per_page, count, total_count,
 * total_pages}}, API tokens as "Authorization: Bearer". Paths are served
 * with or without the /client/v4 prefix.
 *
 * fake_cloudflare --token TOKEN (or $FAKE_CLOUDFLARE_TOKEN) [--seed F]
 *     [--page-size N]: per_page is capped at N so paging always happens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "tests/fakes/fake_common.h"

struct cf {
	char *token;
};

/* Cloudflare's error envelope with one error. */
static void
cf_error(struct fake_req *r, int status, int code, const char *msg)
{
	fake_reply_json(r, status,
	    json_pack("{s:b,s:[{s:i,s:s}],s:[],s:n}", "success", 0, "errors",
	        "code", code, "message", msg, "messages", "result"));
}

static void
cf_ok(struct fake_req *r, int status, json_t *result, json_t *info)
{
	json_t *j = json_pack("{s:b,s:[],s:[],s:o}", "success", 1, "errors",
	    "messages", "result", result);

	if (info != NULL)
		json_object_set_new(j, "result_info", info);
	fake_reply_json(r, status, j);
}

static char *
zone_id(const struct fake_zone *z)
{
	return xasprintf("%032x", z->index + 0x1000u);
}

static char *
rr_id(const struct fake_rr *rr)
{
	return xasprintf("%032x", rr->id + 0x2000u);
}

static json_t *
zone_json(const struct fake_zone *z)
{
	char *id = zone_id(z);
	json_t *j = json_pack("{s:s,s:s,s:s,s:b,s:[s,s]}", "id", id, "name",
	    z->name, "status", "active", "paused", 0, "name_servers",
	    "ns1.fake.invalid", "ns2.fake.invalid");

	free(id);
	return j;
}

static json_t *
rr_json(const struct fake_zone *z, const struct fake_rr *rr)
{
	char *id = rr_id(rr), *zid = zone_id(z);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:i,s:b,"
	                      "s:{},s:n,s:[],s:s,s:s}",
	    "id", id, "zone_id", zid, "zone_name", z->name, "name", rr->name,
	    "type", rr->type, "content", rr->value, "proxiable", 0, "proxied",
	    0, "ttl", rr->ttl, "locked", 0, "meta", "comment", "tags",
	    "created_on", "2026-01-01T00:00:00.000000Z", "modified_on",
	    "2026-01-01T00:00:00.000000Z");

	free(id);
	free(zid);
	return j;
}

/* Pick page `page` of n items; fills result_info. Returns first index. */
static json_t *
page_info(size_t page, size_t per_page, size_t n, size_t *first, size_t *count)
{
	size_t pages = (n + per_page - 1) / per_page;

	*first = (page - 1) * per_page;
	*count =
	    *first >= n ? 0 : (n - *first < per_page ? n - *first : per_page);
	return json_pack("{s:i,s:i,s:i,s:i,s:i}", "page", (int)page, "per_page",
	    (int)per_page, "count", (int)*count, "total_count", (int)n,
	    "total_pages", (int)pages);
}

/* Read page and per_page (capped at the fake's page size); -1 replied. */
static int
paging(struct fake *f, struct fake_req *r, size_t def, size_t *page,
    size_t *per_page)
{
	if (fake_query_num(r, "page", 1, 1000000, 1, page) == -1 ||
	    fake_query_num(r, "per_page", 5, 5000000, def, per_page) == -1) {
		cf_error(r, 400, 1004, "Invalid page or per_page");
		return -1;
	}
	if (*per_page > fake_page_size(f))
		*per_page = fake_page_size(f);
	return 0;
}

static void
zones_list(struct fake *f, struct fake_req *r)
{
	struct fake_store *s = fake_store(f);
	const char *name = fake_query(r, "name");
	size_t page, per_page, first, count, n = 0, i;
	struct fake_zone *hits[256];
	json_t *arr = json_array(), *info;

	if (paging(f, r, 20, &page, &per_page) == -1) {
		json_decref(arr);
		return;
	}
	for (i = 0; i < s->nzones && n < NELEM(hits); i++)
		if (!s->zones[i].hidden &&
		    (name == NULL || strcasecmp(name, s->zones[i].name) == 0))
			hits[n++] = &s->zones[i];
	info = page_info(page, per_page, n, &first, &count);
	for (i = first; i < first + count; i++)
		json_array_append_new(arr, zone_json(hits[i]));
	cf_ok(r, 200, arr, info);
}

/* The visible zone with this id, or NULL after replying. */
static struct fake_zone *
zone_by_id(struct fake *f, struct fake_req *r, const char *id)
{
	struct fake_store *s = fake_store(f);
	char *zid;
	size_t i;
	bool eq;

	for (i = 0; i < s->nzones; i++) {
		zid = zone_id(&s->zones[i]);
		eq = strcmp(zid, id) == 0;
		free(zid);
		if (!eq)
			continue;
		if (!s->zones[i].hidden)
			return &s->zones[i];
		cf_error(r, 403, 10000, "Authentication error");
		return NULL;
	}
	cf_error(r, 400, 7003,
	    "Could not route to /zones, perhaps your object identifier is "
	    "invalid?");
	return NULL;
}

static bool
rr_matches(const struct fake_req *r, const struct fake_rr *rr)
{
	const char *type = fake_query(r, "type"), *name = fake_query(r, "name");
	const char *content = fake_query(r, "content");

	return (type == NULL || strcasecmp(type, rr->type) == 0) &&
	       (name == NULL || strcasecmp(name, rr->name) == 0) &&
	       (content == NULL || strcmp(content, rr->value) == 0);
}

static void
records_list(struct fake *f, struct fake_req *r, struct fake_zone *z)
{
	size_t page, per_page, first, count, n = 0, i;
	json_t *arr = json_array(), *info;
	size_t *hits;

	if (paging(f, r, 100, &page, &per_page) == -1) {
		json_decref(arr);
		return;
	}
	hits = xcalloc(z->nrr + 1, sizeof(*hits));
	for (i = 0; i < z->nrr; i++)
		if (rr_matches(r, &z->rr[i]))
			hits[n++] = i;
	info = page_info(page, per_page, n, &first, &count);
	for (i = first; i < first + count; i++)
		json_array_append_new(arr, rr_json(z, &z->rr[hits[i]]));
	free(hits);
	cf_ok(r, 200, arr, info);
}

/* The record fields of a POST/PUT/PATCH body, merged over the old ones. */
struct cf_fields {
	const char *type, *name, *content;
	json_int_t ttl;
};

/* Fill v from the body j (borrowed strings); false when invalid. */
static bool
parse_fields(const json_t *j, bool partial, struct cf_fields *v)
{
	json_t *t = json_object_get(j, "type"), *n = json_object_get(j, "name");
	json_t *c = json_object_get(j, "content");
	json_t *ttl = json_object_get(j, "ttl");

	if ((!partial && (t == NULL || n == NULL || c == NULL)) ||
	    (t != NULL && !json_is_string(t)) ||
	    (n != NULL && !json_is_string(n)) ||
	    (c != NULL && !json_is_string(c)) ||
	    (ttl != NULL && !json_is_integer(ttl)))
		return false;
	if (t != NULL)
		v->type = json_string_value(t);
	if (n != NULL)
		v->name = json_string_value(n);
	if (c != NULL)
		v->content = json_string_value(c);
	if (ttl != NULL)
		v->ttl = json_integer_value(ttl);
	return *v->type != '\0' && *v->name != '\0';
}

/* Relative names and "@" are expanded as Cloudflare does; caller frees. */
static char *
expand_name(const struct fake_zone *z, const char *name)
{
	if (strcmp(name, "@") == 0)
		return xstrdup(z->name);
	if (fake_name_in_zone(name, z->name))
		return fake_name_norm(name);
	return xasprintf("%s.%s", name, z->name);
}

/* Check the values; false after replying. */
static bool
check_fields(struct fake_req *r, const struct cf_fields *v)
{
	if (v->ttl != 1 && (v->ttl < 30 || v->ttl > 86400)) {
		cf_error(r, 400, 9021,
		    "Invalid TTL. Must be between 60 and 86400 seconds, or 1 "
		    "for Automatic.");
		return false;
	}
	if (strlen(v->content) > 2048) {
		cf_error(r, 400, 9100, "Content is too long.");
		return false;
	}
	return true;
}

static bool
is_duplicate(const struct fake_zone *z, const char *fqdn,
    const struct cf_fields *v, const struct fake_rr *self)
{
	size_t i;

	for (i = 0; i < z->nrr; i++)
		if (&z->rr[i] != self && strcasecmp(z->rr[i].name, fqdn) == 0 &&
		    strcasecmp(z->rr[i].type, v->type) == 0 &&
		    strcmp(z->rr[i].value, v->content) == 0)
			return true;
	return false;
}

/* POST (rr NULL), PUT or PATCH of one record. */
static void
record_write(struct fake *f, struct fake_req *r, struct fake_zone *z,
    struct fake_rr *rr)
{
	struct cf_fields v = { "", "", "", 1 };
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
	char *fqdn;

	if (rr != NULL)
		v = (struct cf_fields){ rr->type, rr->name, rr->value,
			rr->ttl };
	if (j == NULL || !json_is_object(j)) {
		cf_error(r, 400, 9207, "Request body is invalid.");
		goto out;
	}
	if (!parse_fields(j, strcmp(r->method, "PATCH") == 0, &v)) {
		cf_error(r, 400, 1004, "DNS Validation Error");
		goto out;
	}
	if (!check_fields(r, &v))
		goto out;
	fqdn = expand_name(z, v.name);
	if (is_duplicate(z, fqdn, &v, rr)) {
		cf_error(r, 400, 81058, "An identical record already exists.");
	} else if (rr == NULL) {
		rr = fake_rr_add(fake_store(f), z, fqdn, v.type,
		    (unsigned)v.ttl, v.content);
		cf_ok(r, 200, rr_json(z, rr), NULL);
	} else {
		/* fake_rr_set frees the old strings v may point into. */
		char *t = xstrdup(v.type), *c = xstrdup(v.content);

		fake_rr_set(fake_store(f), rr, fqdn, t, (unsigned)v.ttl, c);
		free(t);
		free(c);
		cf_ok(r, 200, rr_json(z, rr), NULL);
	}
	free(fqdn);
out:
	json_decref(j);
}

/* The record with this id in z, or NULL after replying 404. */
static struct fake_rr *
record_by_id(struct fake_req *r, struct fake_zone *z, const char *id)
{
	struct fake_rr *rr = NULL;
	char *rid;
	size_t i;

	for (i = 0; i < z->nrr && rr == NULL; i++) {
		rid = rr_id(&z->rr[i]);
		if (strcmp(rid, id) == 0)
			rr = &z->rr[i];
		free(rid);
	}
	if (rr == NULL)
		cf_error(r, 404, 81044, "Record does not exist.");
	return rr;
}

static void
record_one(struct fake *f, struct fake_req *r, struct fake_zone *z,
    const char *id)
{
	struct fake_rr *rr = record_by_id(r, z, id);
	char *rid;

	if (rr == NULL)
		return;
	if (strcmp(r->method, "GET") == 0) {
		cf_ok(r, 200, rr_json(z, rr), NULL);
	} else if (strcmp(r->method, "DELETE") == 0) {
		rid = rr_id(rr);
		fake_rr_remove(z, rr);
		cf_ok(r, 200, json_pack("{s:s}", "id", rid), NULL);
		free(rid);
	} else if (strcmp(r->method, "PUT") == 0 ||
	           strcmp(r->method, "PATCH") == 0) {
		record_write(f, r, z, rr);
	} else {
		cf_error(r, 405, 10405, "Method not allowed");
	}
}

/* Route zones[/{id}[/dns_records[/{id}]]]; seg points past /client/v4. */
static void
route(struct fake *f, struct fake_req *r, char **seg, size_t n)
{
	bool get = strcmp(r->method, "GET") == 0;
	struct fake_zone *z;

	if (n == 1 && get) {
		zones_list(f, r);
		return;
	}
	if (n < 2 || n > 4 || (n >= 3 && strcmp(seg[2], "dns_records") != 0))
		goto none;
	if ((z = zone_by_id(f, r, seg[1])) == NULL)
		return;
	if (n == 2 && get)
		cf_ok(r, 200, zone_json(z), NULL);
	else if (n == 3 && get)
		records_list(f, r, z);
	else if (n == 3 && strcmp(r->method, "POST") == 0)
		record_write(f, r, z, NULL);
	else if (n == 4)
		record_one(f, r, z, seg[3]);
	else
		goto none;
	return;
none:
	cf_error(r, 400, 7000, "No route for that URI");
}

static void
handle(struct fake *f, struct fake_req *r, void *arg)
{
	struct cf *cf = arg;
	char **seg = r->seg;
	size_t n = r->nseg;

	if (fake_header(r, "Authorization") == NULL) {
		cf_error(r, 400, 9106,
		    "Missing X-Auth-Email header or Authorization header");
		return;
	}
	if (strncasecmp(fake_header(r, "Authorization"), "Bearer ", 7) != 0) {
		cf_error(r, 400, 6003, "Invalid request headers");
		return;
	}
	if (!fake_auth_is(r, "Bearer", cf->token)) {
		cf_error(r, 403, 9109, "Invalid access token");
		return;
	}
	if (n >= 2 && strcmp(seg[0], "client") == 0 &&
	    strcmp(seg[1], "v4") == 0) {
		seg += 2;
		n -= 2;
	}
	if (n == 0 || strcmp(seg[0], "zones") != 0) {
		cf_error(r, 400, 7000, "No route for that URI");
		return;
	}
	route(f, r, seg, n);
}

static void
setup(void *arg)
{
	struct cf *cf = arg;

	if (cf->token == NULL)
		die(2, "--token or FAKE_CLOUDFLARE_TOKEN is required");
}

int
main(int argc, char **argv)
{
	struct cf cf = { 0 };
	const struct fake_opt opts[] = {
		{ "token", "FAKE_CLOUDFLARE_TOKEN", &cf.token },
		{ NULL, NULL, NULL },
	};
	const struct fake_provider p = {
		.name = "fake_cloudflare",
		.ctype = "application/json",
		.trunc_body =
		    "{\"success\":true,\"errors\":[],\"result\":[{\"id\":\"",
		.empty_body =
		    "{\"success\":true,\"errors\":[],\"messages\":[]}",
		.ratelimit_body =
		    "{\"success\":false,\"errors\":[{\"code\":10429,"
		    "\"message\":"
		    "\"Rate limited. Please wait and consider throttling your "
		    "request speed\"}],\"messages\":[],\"result\":null}",
		.setup = setup,
		.handle = handle,
	};

	return fake_main(&p, opts, &cf, argc, argv);
}

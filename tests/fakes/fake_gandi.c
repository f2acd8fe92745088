/*
 * Local fake of Gandi's LiveDNS API v5 (domains and record sets), after
 * Gandi's public API reference: personal access tokens as "Authorization:
 * Bearer", record sets addressed by relative name and type with
 * rrset_values (TXT values quoted) and rrset_ttl, replaced whole by PUT,
 * page/per_page paging with a Total-Count header, error bodies
 * {"code", "message", "object", "cause"} (plus "errors" on validation).
 *
 * fake_gandi --token PAT (or $FAKE_GANDI_TOKEN) [--seed F] [--page-size N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "tests/fakes/fake_common.h"

#define GANDI_BASE "/v5/livedns/domains"

struct gandi {
	char *token;
};

static void
g_error(struct fake_req *r, int status, const char *msg, const char *object,
    const char *cause)
{
	fake_reply_json(r, status,
	    json_pack("{s:i,s:s,s:s,s:s}", "code", status, "message", msg,
	        "object", object, "cause", cause));
}

static void
g_not_found(struct fake_req *r)
{
	g_error(r, 404, "The resource could not be found.", "HTTPNotFound",
	    "Not Found");
}

/* 400 with one field error, as LiveDNS reports validation failures. */
static void
g_invalid(struct fake_req *r, const char *field, const char *desc)
{
	fake_reply_json(r, 400,
	    json_pack("{s:i,s:s,s:s,s:s,s:[{s:s,s:s,s:s}]}", "code", 400,
	        "message", "Validation error", "object", "HTTPBadRequest",
	        "cause", "Bad Request", "errors", "location", "body", "name",
	        field, "description", desc));
}

static json_t *
domain_json(const struct fake_req *r, const struct fake_zone *z)
{
	char *base = fake_base_url(r);
	char *href = xasprintf("%s" GANDI_BASE "/%s", base, z->name);
	char *rec = xasprintf("%s/records", href);
	json_t *j =
	    json_pack("{s:s,s:s,s:s,s:b}", "fqdn", z->name, "domain_href", href,
	        "domain_records_href", rec, "automatic_snapshots", 0);

	free(base);
	free(href);
	free(rec);
	return j;
}

/* One record set: the records of z at fqdn with type. */
static json_t *
rrset_json(const struct fake_req *r, const struct fake_zone *z,
    const char *fqdn, const char *type)
{
	char *rel = fake_rel_name(z, fqdn), *base = fake_base_url(r), *href;
	json_t *vals = json_array(), *j;
	unsigned ttl = 10800;
	size_t i;

	for (i = 0; i < z->nrr; i++)
		if (strcmp(z->rr[i].name, fqdn) == 0 &&
		    strcmp(z->rr[i].type, type) == 0) {
			json_array_append_new(vals,
			    json_string(z->rr[i].value));
			ttl = z->rr[i].ttl;
		}
	href = xasprintf("%s" GANDI_BASE "/%s/records/%s/%s", base, z->name,
	    rel, type);
	j = json_pack("{s:s,s:s,s:i,s:o,s:s}", "rrset_name", rel, "rrset_type",
	    type, "rrset_ttl", (int)ttl, "rrset_values", vals, "rrset_href",
	    href);
	free(rel);
	free(base);
	free(href);
	return j;
}

/* Page an array with page/per_page and a Total-Count header; steals all. */
static void
reply_paged(struct fake *f, struct fake_req *r, json_t *all)
{
	size_t page, per_page, i;
	json_t *out;
	char total[32];

	if (fake_query_num(r, "page", 1, 1000000, 1, &page) == -1 ||
	    fake_query_num(r, "per_page", 1, 1000, 100, &per_page) == -1) {
		json_decref(all);
		g_invalid(r, "per_page", "page and per_page must be positive");
		return;
	}
	if (per_page > fake_page_size(f))
		per_page = fake_page_size(f);
	out = json_array();
	for (i = (page - 1) * per_page;
	     i < json_array_size(all) && i < page * per_page; i++)
		json_array_append(out, json_array_get(all, i));
	(void)snprintf(total, sizeof(total), "%zu", json_array_size(all));
	fake_add_header(r, "Total-Count", total);
	json_decref(all);
	fake_reply_json(r, 200, out);
}

static void
domains_list(struct fake *f, struct fake_req *r)
{
	struct fake_store *s = fake_store(f);
	json_t *all = json_array();
	size_t i;

	for (i = 0; i < s->nzones; i++)
		if (!s->zones[i].hidden)
			json_array_append_new(all,
			    domain_json(r, &s->zones[i]));
	reply_paged(f, r, all);
}

/* Every set of z (at fqdn only, when given), once each, in store order. */
static void
rrsets_list(struct fake *f, struct fake_req *r, struct fake_zone *z,
    const char *fqdn)
{
	json_t *all = json_array();
	size_t i, k;

	for (i = 0; i < z->nrr; i++) {
		if (fqdn != NULL && strcmp(z->rr[i].name, fqdn) != 0)
			continue;
		for (k = 0; k < i; k++)
			if (strcmp(z->rr[k].name, z->rr[i].name) == 0 &&
			    strcmp(z->rr[k].type, z->rr[i].type) == 0)
				break;
		if (k == i)
			json_array_append_new(all,
			    rrset_json(r, z, z->rr[i].name, z->rr[i].type));
	}
	reply_paged(f, r, all);
}

static bool
set_exists(const struct fake_zone *z, const char *fqdn, const char *type)
{
	size_t i;

	for (i = 0; i < z->nrr; i++)
		if (strcmp(z->rr[i].name, fqdn) == 0 &&
		    strcmp(z->rr[i].type, type) == 0)
			return true;
	return false;
}

static void
set_remove(struct fake_zone *z, const char *fqdn, const char *type)
{
	size_t i = z->nrr;

	while (i-- > 0)
		if (strcmp(z->rr[i].name, fqdn) == 0 &&
		    strcmp(z->rr[i].type, type) == 0)
			fake_rr_remove(z, &z->rr[i]);
}

/* Check a PUT/POST body; false after replying 400. */
static bool
body_ok(struct fake_req *r, const json_t *j, json_t **vals, json_int_t *ttl)
{
	json_t *t = json_object_get(j, "rrset_ttl");
	size_t i;

	*vals = json_object_get(j, "rrset_values");
	if (!json_is_array(*vals) || json_array_size(*vals) == 0) {
		g_invalid(r, "rrset_values",
		    "rrset_values must be a non-empty list of strings");
		return false;
	}
	for (i = 0; i < json_array_size(*vals); i++)
		if (!json_is_string(json_array_get(*vals, i))) {
			g_invalid(r, "rrset_values",
			    "rrset_values must be a non-empty list of strings");
			return false;
		}
	if (t != NULL && (!json_is_integer(t) || json_integer_value(t) < 300 ||
	                     json_integer_value(t) > 2592000)) {
		g_invalid(r, "rrset_ttl",
		    "rrset_ttl must be between 300 and 2592000");
		return false;
	}
	*ttl = t != NULL ? json_integer_value(t) : 10800;
	return true;
}

/* PUT replaces the set whole; POST creates it (409 when it exists). */
static void
set_write(struct fake *f, struct fake_req *r, struct fake_zone *z,
    const char *fqdn, const char *type)
{
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL), *vals;
	bool existed = set_exists(z, fqdn, type);
	json_int_t ttl;
	size_t i;

	if (!json_is_object(j)) {
		g_error(r, 400, "The request body is not valid JSON.",
		    "HTTPBadRequest", "Bad Request");
	} else if (body_ok(r, j, &vals, &ttl)) {
		if (existed && strcmp(r->method, "POST") == 0) {
			g_error(r, 409,
			    "A DNS Record already exists with same value",
			    "HTTPConflict", "Conflict");
			json_decref(j);
			return;
		}
		set_remove(z, fqdn, type);
		for (i = 0; i < json_array_size(vals); i++)
			(void)fake_rr_add(fake_store(f), z, fqdn, type,
			    (unsigned)ttl,
			    json_string_value(json_array_get(vals, i)));
		fake_reply_json(r, 201,
		    json_pack("{s:s}", "message", "DNS Record Created"));
	}
	json_decref(j);
}

static void
set_one(struct fake *f, struct fake_req *r, struct fake_zone *z,
    const char *rel, const char *type_in)
{
	char *fqdn = fake_abs_name(z, rel), *type = xstrdup(type_in);
	size_t i;

	for (i = 0; type[i] != '\0'; i++)
		type[i] = (char)(type[i] >= 'a' && type[i] <= 'z'
		                     ? type[i] - 'a' + 'A'
		                     : type[i]);
	if (strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0)
		set_write(f, r, z, fqdn, type);
	else if (!set_exists(z, fqdn, type))
		g_error(r, 404, "Can't find the DNS record", "dns-record",
		    "Not Found");
	else if (strcmp(r->method, "GET") == 0)
		fake_reply_json(r, 200, rrset_json(r, z, fqdn, type));
	else if (strcmp(r->method, "DELETE") == 0) {
		set_remove(z, fqdn, type);
		fake_reply(r, 204, NULL, NULL, 0);
	} else
		g_error(r, 405,
		    "The method is not allowed for the requested "
		    "URL.",
		    "HTTPMethodNotAllowed", "Method Not Allowed");
	free(fqdn);
	free(type);
}

static void
handle(struct fake *f, struct fake_req *r, void *arg)
{
	struct gandi *g = arg;
	bool get = strcmp(r->method, "GET") == 0;
	struct fake_zone *z;
	size_t n = r->nseg;

	if (!fake_auth_is(r, "Bearer", g->token)) {
		g_error(r, 401,
		    "The server could not verify that you are authorized to "
		    "access the URL requested.",
		    "HTTPUnauthorized", "Unauthorized");
		return;
	}
	if (n < 3 || strcmp(r->seg[0], "v5") != 0 ||
	    strcmp(r->seg[1], "livedns") != 0 ||
	    strcmp(r->seg[2], "domains") != 0 || n > 7 ||
	    (n >= 5 && strcmp(r->seg[4], "records") != 0)) {
		g_not_found(r);
		return;
	}
	if (n == 3) {
		if (get)
			domains_list(f, r);
		else
			g_not_found(r);
		return;
	}
	if ((z = fake_zone_find(fake_store(f), r->seg[3])) == NULL) {
		g_not_found(r);
		return;
	}
	if (z->hidden)
		g_error(r, 403, "Access was denied to this resource.",
		    "HTTPForbidden", "Forbidden");
	else if (n == 4 && get)
		fake_reply_json(r, 200, domain_json(r, z));
	else if (n == 5 && get)
		rrsets_list(f, r, z, NULL);
	else if (n == 6 && get) {
		char *fqdn = fake_abs_name(z, r->seg[5]);

		rrsets_list(f, r, z, fqdn);
		free(fqdn);
	} else if (n == 7)
		set_one(f, r, z, r->seg[5], r->seg[6]);
	else
		g_not_found(r);
}

static void
setup(void *arg)
{
	struct gandi *g = arg;

	if (g->token == NULL)
		die(2, "--token or FAKE_GANDI_TOKEN is required");
}

int
main(int argc, char **argv)
{
	struct gandi g = { 0 };
	const struct fake_opt opts[] = {
		{ "token", "FAKE_GANDI_TOKEN", &g.token },
		{ NULL, NULL, NULL },
	};
	const struct fake_provider p = {
		.name = "fake_gandi",
		.ctype = "application/json",
		.trunc_body =
		    "[{\"rrset_name\":\"@\",\"rrset_type\":\"TXT\",\"rrset_val",
		.empty_body = "{}",
		.ratelimit_body = "{\"code\":429,\"message\":\"Too many "
		                  "requests\",\"object\":"
		                  "\"HTTPTooManyRequests\",\"cause\":\"Too "
		                  "Many Requests\"}",
		.setup = setup,
		.handle = handle,
	};

	return fake_main(&p, opts, &g, argc, argv);
}

/*
 * Local fake of the DigitalOcean API v2 domains and domain records, after
 * DigitalOcean's API reference: bearer tokens, page/per_page paging with
 * links.pages {first, prev, next, last} and meta.total, one record per
 * value (a TXT record set is several records, each patched on its own),
 * names relative to the domain ("@" at the apex), error bodies
 * {"id": "...", "message": "...", "request_id": "..."}.
 *
 * fake_digitalocean --token T (or $FAKE_DIGITALOCEAN_TOKEN) [--seed F]
 *     [--page-size N]: per_page is capped at N so paging always happens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "tests/fakes/fake_common.h"

struct dgo {
	char *token;
};

static void
do_error(struct fake_req *r, int status, const char *id, const char *msg)
{
	fake_reply_json(r, status,
	    json_pack("{s:s,s:s,s:s}", "id", id, "message", msg, "request_id",
	        "00000000-fake-4000-8000-000000000000"));
}

static void
not_found(struct fake_req *r)
{
	do_error(r, 404, "not_found",
	    "The resource you were accessing could not be found.");
}

static json_t *
rr_json(const struct fake_zone *z, const struct fake_rr *rr)
{
	char *rel = fake_rel_name(z, rr->name);
	json_t *j = json_pack("{s:i,s:s,s:s,s:s,s:n,s:n,s:i,s:n,s:n,s:n}", "id",
	    (int)rr->id, "type", rr->type, "name", rel, "data", rr->value,
	    "priority", "port", "ttl", (int)rr->ttl, "weight", "flags", "tag");

	free(rel);
	return j;
}

/* links.pages for page of pages, with absolute URLs. */
static json_t *
links(const struct fake_req *r, size_t page, size_t per_page, size_t pages)
{
	json_t *p = json_object();
	char *base = fake_base_url(r), *u;
	const char *type = fake_query(r, "type"), *name = fake_query(r, "name");
	size_t i, which[4] = { 1, page - 1, page + 1, pages };
	static const char *const key[4] = { "first", "prev", "next", "last" };

	for (i = 0; i < 4; i++) {
		if ((i < 2 && page <= 1) || (i >= 2 && page >= pages))
			continue;
		u = xasprintf("%s%s?page=%zu&per_page=%zu%s%s%s%s", base,
		    r->raw_path, which[i], per_page, type ? "&type=" : "",
		    type ? type : "", name ? "&name=" : "", name ? name : "");
		json_object_set_new(p, key[i], json_string(u));
		free(u);
	}
	free(base);
	if (json_object_size(p) == 0) {
		json_decref(p);
		return json_object();
	}
	return json_pack("{s:o}", "pages", p);
}

/* Reply {key: items[page], links, meta} for n items made by mk(i). */
static void
reply_page(struct fake *f, struct fake_req *r, const char *key, size_t n,
    json_t *(*mk)(void *ctx, size_t i), void *ctx)
{
	size_t page, per_page, pages, i;
	json_t *arr;

	if (fake_query_num(r, "page", 1, 1000000, 1, &page) == -1 ||
	    fake_query_num(r, "per_page", 1, 200, 20, &per_page) == -1) {
		do_error(r, 400, "bad_request",
		    "page and per_page must be positive numbers (per_page at "
		    "most 200).");
		return;
	}
	if (per_page > fake_page_size(f))
		per_page = fake_page_size(f);
	pages = n == 0 ? 1 : (n + per_page - 1) / per_page;
	arr = json_array();
	for (i = (page - 1) * per_page; i < n && i < page * per_page; i++)
		json_array_append_new(arr, mk(ctx, i));
	fake_reply_json(r, 200,
	    json_pack("{s:o,s:o,s:{s:i}}", key, arr, "links",
	        links(r, page, per_page, pages), "meta", "total", (int)n));
}

static json_t *
domain_json(const struct fake_zone *z)
{
	return json_pack("{s:s,s:i,s:s}", "name", z->name, "ttl", 1800,
	    "zone_file", "");
}

struct list_ctx {
	struct fake_zone *z;
	struct fake_zone **zones;
	struct fake_rr **rrs;
};

static json_t *
mk_domain(void *ctx, size_t i)
{
	return domain_json(((struct list_ctx *)ctx)->zones[i]);
}

static json_t *
mk_record(void *ctx, size_t i)
{
	struct list_ctx *c = ctx;

	return rr_json(c->z, c->rrs[i]);
}

static void
domains_list(struct fake *f, struct fake_req *r)
{
	struct fake_store *s = fake_store(f);
	struct list_ctx c = { NULL, NULL, NULL };
	size_t i, n = 0;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	c.zones = xcalloc(s->nzones + 1, sizeof(*c.zones));
	for (i = 0; i < s->nzones; i++)
		if (!s->zones[i].hidden)
			c.zones[n++] = &s->zones[i];
	reply_page(f, r, "domains", n, mk_domain, &c);
	free(c.zones);
}

static void
records_list(struct fake *f, struct fake_req *r, struct fake_zone *z)
{
	const char *type = fake_query(r, "type"), *name = fake_query(r, "name");
	struct list_ctx c = { z, NULL, NULL };
	size_t i, n = 0;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	c.rrs = xcalloc(z->nrr + 1, sizeof(*c.rrs));
	for (i = 0; i < z->nrr; i++)
		if ((type == NULL || strcasecmp(type, z->rr[i].type) == 0) &&
		    (name == NULL || strcasecmp(name, z->rr[i].name) == 0))
			c.rrs[n++] = &z->rr[i];
	reply_page(f, r, "domain_records", n, mk_record, &c);
	free(c.rrs);
}

/* Fields of a record body; NULL or the 422 message. */
static const char *
fields(const json_t *j, bool create, const char **type, const char **name,
    const char **data, json_int_t *ttl)
{
	json_t *t = json_object_get(j, "type"), *n = json_object_get(j, "name");
	json_t *d = json_object_get(j, "data"), *l = json_object_get(j, "ttl");

	if ((t != NULL && !json_is_string(t)) ||
	    (n != NULL && !json_is_string(n)) ||
	    (d != NULL && !json_is_string(d)) ||
	    (l != NULL && !json_is_integer(l)))
		return "type, name and data must be strings and ttl a number";
	if (create && t == NULL)
		return "Type can't be blank";
	if ((create && n == NULL) || (n != NULL && !*json_string_value(n)))
		return "Name can't be blank";
	if ((create && d == NULL) || (d != NULL && !*json_string_value(d)))
		return "Data can't be blank";
	if (l != NULL &&
	    (json_integer_value(l) < 30 || json_integer_value(l) > 2147483647))
		return "Ttl must be greater than or equal to 30";
	if (t != NULL)
		*type = json_string_value(t);
	if (n != NULL)
		*name = json_string_value(n);
	if (d != NULL)
		*data = json_string_value(d);
	if (l != NULL)
		*ttl = json_integer_value(l);
	return NULL;
}

/* POST (rr NULL) or PUT/PATCH of one record. */
static void
record_write(struct fake *f, struct fake_req *r, struct fake_zone *z,
    struct fake_rr *rr)
{
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
	const char *type = "", *name = "@", *data = "", *why;
	char *rel = rr != NULL ? fake_rel_name(z, rr->name) : NULL, *fqdn;
	char *t, *d;
	json_int_t ttl = rr != NULL ? rr->ttl : 1800;

	if (rr != NULL) {
		type = rr->type;
		name = rel;
		data = rr->value;
	}
	if (!json_is_object(j))
		do_error(r, 400, "bad_request", "unparseable JSON body");
	else if ((why = fields(j, rr == NULL, &type, &name, &data, &ttl)) !=
	         NULL)
		do_error(r, 422, "unprocessable_entity", why);
	else {
		fqdn = fake_abs_name(z, name);
		t = xstrdup(rr != NULL ? rr->type : type);
		d = xstrdup(data);
		if (rr == NULL)
			rr = fake_rr_add(fake_store(f), z, fqdn, t,
			    (unsigned)ttl, d);
		else
			fake_rr_set(fake_store(f), rr, fqdn, t, (unsigned)ttl,
			    d);
		fake_reply_json(r, strcmp(r->method, "POST") == 0 ? 201 : 200,
		    json_pack("{s:o}", "domain_record", rr_json(z, rr)));
		free(fqdn);
		free(t);
		free(d);
	}
	free(rel);
	json_decref(j);
}

static void
record_one(struct fake *f, struct fake_req *r, struct fake_zone *z,
    const char *id)
{
	struct fake_rr *rr = NULL;
	uint64_t n;

	if (parse_u64(id, 1, 4294967295u, &n) == 0)
		rr = fake_rr_by_id(z, (unsigned)n);
	if (rr == NULL)
		not_found(r);
	else if (strcmp(r->method, "GET") == 0)
		fake_reply_json(r, 200,
		    json_pack("{s:o}", "domain_record", rr_json(z, rr)));
	else if (strcmp(r->method, "DELETE") == 0) {
		fake_rr_remove(z, rr);
		fake_reply(r, 204, NULL, NULL, 0);
	} else if (strcmp(r->method, "PUT") == 0 ||
	           strcmp(r->method, "PATCH") == 0)
		record_write(f, r, z, rr);
	else
		do_error(r, 405, "method_not_allowed", "Method not allowed");
}

static void
handle(struct fake *f, struct fake_req *r, void *arg)
{
	struct dgo *d = arg;
	bool get = strcmp(r->method, "GET") == 0;
	struct fake_zone *z = NULL;
	size_t n = r->nseg;

	if (!fake_auth_is(r, "Bearer", d->token)) {
		do_error(r, 401, "unauthorized", "Unable to authenticate you");
		return;
	}
	if (n < 2 || strcmp(r->seg[0], "v2") != 0 ||
	    strcmp(r->seg[1], "domains") != 0 || n > 5 ||
	    (n >= 4 && strcmp(r->seg[3], "records") != 0)) {
		not_found(r);
		return;
	}
	if (n == 2) {
		if (get)
			domains_list(f, r);
		else
			not_found(r);
		return;
	}
	z = fake_zone_find(fake_store(f), r->seg[2]);
	if (z != NULL && z->hidden)
		z = NULL; /* DigitalOcean does not tell the two apart */
	if (z != NULL && n == 3 && get)
		fake_reply_json(r, 200,
		    json_pack("{s:o}", "domain", domain_json(z)));
	else if (z != NULL && n == 4 && get)
		records_list(f, r, z);
	else if (z != NULL && n == 4 && strcmp(r->method, "POST") == 0)
		record_write(f, r, z, NULL);
	else if (z != NULL && n == 5)
		record_one(f, r, z, r->seg[4]);
	else
		not_found(r);
}

static void
setup(void *arg)
{
	struct dgo *d = arg;

	if (d->token == NULL)
		die(2, "--token or FAKE_DIGITALOCEAN_TOKEN is required");
}

int
main(int argc, char **argv)
{
	struct dgo d = { 0 };
	const struct fake_opt opts[] = {
		{ "token", "FAKE_DIGITALOCEAN_TOKEN", &d.token },
		{ NULL, NULL, NULL },
	};
	const struct fake_provider p = {
		.name = "fake_digitalocean",
		.ctype = "application/json",
		.trunc_body = "{\"domain_records\":[{\"id\":12,\"type\":\"TX",
		.empty_body = "{}",
		.ratelimit_body = "{\"id\":\"too_many_requests\",\"message\":"
		                  "\"API Rate limit "
		                  "exceeded.\"}",
		.setup = setup,
		.handle = handle,
	};

	return fake_main(&p, opts, &d, argc, argv);
}

/*
 * Local fake of Microsoft Entra ID's token endpoint (OAuth 2.0 client
 * credentials, v2.0) and of the Azure Resource Manager DNS API (zones and
 * TXT record sets, api-version 2018-05-01), after Microsoft's REST API
 * reference: ARM error bodies {"error":{"code","message"}}, nextLink paging,
 * etags with If-Match / If-None-Match (412 PreconditionFailed), record sets
 * as properties.TXTRecords[].value (arrays of strings).
 *
 * Each stored record is one TXTRecords entry; its value is the JSON text of
 * the entry's "value" array, e.g. ["v=spf1 -all"].
 *
 * fake_azure --tenant T --client-id C --client-secret S (or
 *     $FAKE_AZURE_CLIENT_SECRET) --subscription SUB --resource-group RG
 *     [--token-lifetime SECONDS] [--seed F] [--page-size N]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/util.h"
#include "tests/fakes/fake_common.h"

#define AZ_SCOPE "https://management.azure.com/.default"
#define AZ_MAX_TOKENS 4096

struct az_token {
	char value[80];
	time_t expires;
};

struct az {
	char *tenant, *client_id, *client_secret, *subscription, *group;
	char *lifetime_s;
	unsigned lifetime;
	struct az_token *tokens;
	size_t ntokens, cap;
};

static const char *const api_versions[] = { "2018-05-01", "2017-10-01",
	"2017-09-01", "2016-04-01", "2023-07-01-preview" };

/* ARM's error body. */
static void arm_error(struct fake_req *r, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
arm_error(struct fake_req *r, int status, const char *code, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fake_reply_json(r, status,
	    json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

/* ---- Entra ID token endpoint ---- */

/* Entra ID's OAuth error body. */
static void
oauth_error(struct fake_req *r, int status, const char *error, int aadsts,
    const char *desc)
{
	char *d = xasprintf("AADSTS%d: %s Trace ID: 00000000-0000-0000-0000-"
	                    "000000000000 Timestamp: 2026-01-01 00:00:00Z",
	    aadsts, desc);

	fake_reply_json(r, status,
	    json_pack("{s:s,s:s,s:[i],s:s,s:s,s:s}", "error", error,
	        "error_description", d, "error_codes", aadsts, "timestamp",
	        "2026-01-01 00:00:00Z", "trace_id",
	        "00000000-0000-0000-0000-000000000000", "correlation_id",
	        "00000000-0000-0000-0000-000000000000"));
	free(d);
}

static void
token_issue(struct az *az, struct fake_req *r)
{
	unsigned char rnd[24];
	struct az_token *t;
	size_t i;

	if (az->ntokens == AZ_MAX_TOKENS || RAND_bytes(rnd, sizeof(rnd)) != 1) {
		oauth_error(r, 503, "temporarily_unavailable", 90033,
		    "A transient error has occurred.");
		return;
	}
	az->tokens = xreallocarray(az->tokens, &az->cap, az->ntokens + 1,
	    sizeof(*az->tokens));
	t = &az->tokens[az->ntokens++];
	memcpy(t->value, "fake.", 5);
	for (i = 0; i < sizeof(rnd); i++)
		(void)snprintf(t->value + 5 + 2 * i, 3, "%02x", rnd[i]);
	t->expires = time(NULL) + az->lifetime;
	fake_reply_json(r, 200,
	    json_pack("{s:s,s:i,s:i,s:s}", "token_type", "Bearer", "expires_in",
	        (int)az->lifetime, "ext_expires_in", (int)az->lifetime,
	        "access_token", t->value));
}

/* POST /{tenant}/oauth2/v2.0/token with a form body. */
static void
token(struct az *az, struct fake_req *r)
{
	struct evkeyvalq form;
	const char *grant, *id, *secret, *scope;

	TAILQ_INIT(&form);
	if (strcmp(r->method, "POST") != 0 ||
	    evhttp_parse_query_str(r->body, &form) == -1) {
		oauth_error(r, 400, "invalid_request", 900144,
		    "The request body must contain the following parameter: "
		    "'grant_type'.");
		goto out;
	}
	grant = evhttp_find_header(&form, "grant_type");
	id = evhttp_find_header(&form, "client_id");
	secret = evhttp_find_header(&form, "client_secret");
	scope = evhttp_find_header(&form, "scope");
	if (strcmp(r->seg[0], az->tenant) != 0)
		oauth_error(r, 400, "invalid_request", 90002,
		    "Tenant not found. Check to make sure you have the "
		    "correct tenant ID and are signing into the correct "
		    "cloud.");
	else if (grant == NULL || strcmp(grant, "client_credentials") != 0)
		oauth_error(r, 400, "unsupported_grant_type", 70003,
		    "The app requested an unsupported grant type.");
	else if (id == NULL || strcmp(id, az->client_id) != 0)
		oauth_error(r, 400, "unauthorized_client", 700016,
		    "Application was not found in the directory.");
	else if (secret == NULL || !fake_secret_eq(secret, az->client_secret))
		oauth_error(r, 401, "invalid_client", 7000215,
		    "Invalid client secret provided. Ensure the secret being "
		    "sent in the request is the client secret value, not the "
		    "client secret ID.");
	else if (scope == NULL || strcmp(scope, AZ_SCOPE) != 0)
		oauth_error(r, 400, "invalid_scope", 70011,
		    "The provided value for the input parameter 'scope' is "
		    "not valid.");
	else
		token_issue(az, r);
out:
	evhttp_clear_headers(&form);
}

/* Check the ARM bearer token; false after replying 401. */
static bool
arm_auth(struct az *az, struct fake_req *r)
{
	const char *h = fake_header(r, "Authorization");
	char now[32], exp[32];
	struct tm tm;
	time_t t = time(NULL);
	size_t i;

	if (h != NULL) {
		for (i = 0; i < az->ntokens; i++)
			if (fake_auth_is(r, "Bearer", az->tokens[i].value))
				break;
		if (i < az->ntokens && t < az->tokens[i].expires)
			return true;
	}
	fake_add_header(r, "WWW-Authenticate",
	    "Bearer authorization_uri=\"https://login.microsoftonline.com/"
	    "common\", error=\"invalid_token\"");
	if (h == NULL) {
		arm_error(r, 401, "AuthenticationFailed",
		    "Authentication failed. The 'Authorization' header is "
		    "missing.");
		return false;
	}
	if (i == az->ntokens) {
		arm_error(r, 401, "InvalidAuthenticationToken",
		    "The access token is invalid.");
		return false;
	}
	(void)strftime(now, sizeof(now), "%m/%d/%Y %H:%M:%S",
	    gmtime_r(&t, &tm));
	(void)strftime(exp, sizeof(exp), "%m/%d/%Y %H:%M:%S",
	    gmtime_r(&az->tokens[i].expires, &tm));
	arm_error(r, 401, "ExpiredAuthenticationToken",
	    "The access token expiry UTC time '%s' is earlier than current UTC "
	    "time '%s'.",
	    exp, now);
	return false;
}

/* ---- ARM DNS ---- */

/* What a request under /subscriptions/ addresses. */
struct arm_path {
	const char *zone, *type, *name; /* NULL when absent */
	bool all_groups;                /* /subscriptions/S/providers/... */
};

static char *
zone_arm_id(const struct az *az, const struct fake_zone *z)
{
	return xasprintf("/subscriptions/%s/resourceGroups/%s/providers/"
	                 "Microsoft.Network/dnszones/%s",
	    az->subscription, az->group, z->name);
}

static json_t *
zone_json(const struct az *az, const struct fake_zone *z)
{
	char *id = zone_arm_id(az, z), etag[48];
	json_t *j;

	(void)snprintf(etag, sizeof(etag), "00000000-0000-0000-0000-%012x",
	    z->index + 1);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:{s:i,s:i,s:[s,s],s:s}}",
	    "id", id, "name", z->name, "type", "Microsoft.Network/dnszones",
	    "etag", etag, "location", "global", "tags", "properties",
	    "maxNumberOfRecordSets", 10000, "numberOfRecordSets",
	    (int)fake_zone_set_count(z), "nameServers",
	    "ns1-01.azure-dns.fake.invalid.", "ns2-01.azure-dns.fake.invalid.",
	    "zoneType", "Public");
	free(id);
	return j;
}

/* Absolute next-page link for the same path, or NULL at the end. */
static json_t *
next_link(const struct fake_req *r, size_t skip, size_t n)
{
	const char *top = fake_query(r, "$top");
	char *base, *link;
	json_t *j;

	if (skip >= n)
		return NULL;
	base = fake_base_url(r);
	link = xasprintf("%s%s?api-version=%s%s%s&$skipToken=%zu", base,
	    r->raw_path, fake_query(r, "api-version"), top ? "&$top=" : "",
	    top ? top : "", skip);
	j = json_string(link);
	free(base);
	free(link);
	return j;
}

/* Read $top and $skipToken; false after replying 400. */
static bool
paging(struct fake *f, struct fake_req *r, size_t *skip, size_t *top)
{
	if (fake_query_num(r, "$skipToken", 0, 1000000, 0, skip) == -1 ||
	    fake_query_num(r, "$top", 1, 1000, 100, top) == -1) {
		arm_error(r, 400, "InvalidParameter",
		    "The value of $top or $skipToken is invalid.");
		return false;
	}
	if (*top > fake_page_size(f))
		*top = fake_page_size(f);
	return true;
}

static void
zones_list(struct fake *f, struct az *az, struct fake_req *r)
{
	struct fake_store *s = fake_store(f);
	json_t *arr = json_array(), *j, *next;
	size_t skip, top, i, n = 0;

	if (!paging(f, r, &skip, &top)) {
		json_decref(arr);
		return;
	}
	for (i = 0; i < s->nzones; i++) {
		if (s->zones[i].hidden)
			continue;
		if (n >= skip && n < skip + top)
			json_array_append_new(arr, zone_json(az, &s->zones[i]));
		n++;
	}
	j = json_pack("{s:o}", "value", arr);
	if ((next = next_link(r, skip + top, n)) != NULL)
		json_object_set_new(j, "nextLink", next);
	fake_reply_json(r, 200, j);
}

static char *
fqdn_of(const struct fake_zone *z, const char *rel)
{
	if (strcmp(rel, "@") == 0)
		return xstrdup(z->name);
	return str_lower(xasprintf("%s.%s", rel, z->name));
}

/* Relative name of fqdn in z ("@" at the apex); caller frees. */
static char *
rel_of(const struct fake_zone *z, const char *fqdn)
{
	size_t n = strlen(fqdn), zn = strlen(z->name);

	if (n == zn)
		return xstrdup("@");
	return xstrndup(fqdn, n - zn - 1);
}

/* The etag of the TXT set at fqdn: its newest record's stamp; 0 = none. */
static unsigned
set_stamp(const struct fake_zone *z, const char *fqdn)
{
	unsigned st = 0;
	size_t i;

	for (i = 0; i < z->nrr; i++)
		if (strcmp(z->rr[i].type, "TXT") == 0 &&
		    strcmp(z->rr[i].name, fqdn) == 0 && z->rr[i].stamp > st)
			st = z->rr[i].stamp;
	return st;
}

static void
etag_format(unsigned stamp, char out[48])
{
	(void)snprintf(out, 48, "7a0e0000-0000-4000-8000-%012x", stamp);
}

static json_t *
set_json(const struct az *az, const struct fake_zone *z, const char *fqdn)
{
	json_t *recs = json_array(), *v;
	char *zid = zone_arm_id(az, z), *rel = rel_of(z, fqdn), *id, etag[48];
	unsigned ttl = 3600;
	json_t *j;
	size_t i;

	for (i = 0; i < z->nrr; i++) {
		if (strcmp(z->rr[i].type, "TXT") != 0 ||
		    strcmp(z->rr[i].name, fqdn) != 0)
			continue;
		ttl = z->rr[i].ttl;
		v = json_loads(z->rr[i].value, JSON_DECODE_ANY, NULL);
		json_array_append_new(recs,
		    json_pack("{s:o}", "value", v ? v : json_array()));
	}
	etag_format(set_stamp(z, fqdn), etag);
	id = xasprintf("%s/TXT/%s", zid, rel);
	j = json_pack("{s:s,s:s,s:s,s:s,s:{s:{},s:i,s:s+,s:s,s:{},s:o}}", "id",
	    id, "name", rel, "type", "Microsoft.Network/dnszones/TXT", "etag",
	    etag, "properties", "metadata", "TTL", (int)ttl, "fqdn", fqdn, ".",
	    "provisioningState", "Succeeded", "targetResource", "TXTRecords",
	    recs);
	free(zid);
	free(rel);
	free(id);
	return j;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* GET .../dnsZones/Z/TXT: the TXT sets, sorted by name, paged. */
static void
sets_list(struct fake *f, struct az *az, struct fake_req *r,
    struct fake_zone *z)
{
	const char **names = xcalloc(z->nrr + 1, sizeof(*names));
	json_t *arr = json_array(), *j, *next;
	size_t skip, top, i, n = 0;

	for (i = 0; i < z->nrr; i++)
		if (strcmp(z->rr[i].type, "TXT") == 0)
			names[n++] = z->rr[i].name;
	qsort(names, n, sizeof(*names), str_cmp);
	for (i = 0; i + 1 < n;)
		if (strcmp(names[i], names[i + 1]) == 0)
			memmove(&names[i + 1], &names[i + 2],
			    (--n - i - 1) * sizeof(*names));
		else
			i++;
	if (paging(f, r, &skip, &top)) {
		for (i = skip; i < n && i < skip + top; i++)
			json_array_append_new(arr, set_json(az, z, names[i]));
		j = json_pack("{s:O}", "value", arr);
		if ((next = next_link(r, skip + top, n)) != NULL)
			json_object_set_new(j, "nextLink", next);
		fake_reply_json(r, 200, j);
	}
	json_decref(arr);
	free(names);
}

/* If-Match / If-None-Match against the set's etag; false after 412. */
static bool
preconditions(struct fake_req *r, unsigned stamp)
{
	const char *im = fake_header(r, "If-Match");
	const char *inm = fake_header(r, "If-None-Match");
	char etag[48], want[80];
	size_t n;

	etag_format(stamp, etag);
	if (im != NULL) {
		n = strlen(im);
		if (n >= 2 && im[0] == '"' && im[n - 1] == '"')
			(void)snprintf(want, sizeof(want), "%.*s", (int)n - 2,
			    im + 1);
		else
			(void)snprintf(want, sizeof(want), "%s", im);
		if (stamp == 0 ||
		    (strcmp(want, "*") != 0 && strcmp(want, etag) != 0)) {
			arm_error(r, 412, "PreconditionFailed",
			    "The condition '%s' in the If-Match header was not "
			    "satisfied. The current was '%s'.",
			    im, stamp != 0 ? etag : "n/a");
			return false;
		}
	}
	if (inm != NULL && strcmp(inm, "*") == 0 && stamp != 0) {
		arm_error(r, 412, "PreconditionFailed",
		    "The condition '*' in the If-None-Match header was not "
		    "satisfied. The current was '%s'.",
		    etag);
		return false;
	}
	return true;
}

/* Check a PUT body; NULL or why it is refused. */
static const char *
body_problem(const json_t *j, json_int_t *ttl, json_t **recs)
{
	json_t *props = json_object_get(j, "properties"), *t, *e, *v;
	size_t i, k;

	if (!json_is_object(props))
		return "The request body must hold a 'properties' object.";
	t = json_object_get(props, "TTL");
	*recs = json_object_get(props, "TXTRecords");
	if (!json_is_integer(t) || json_integer_value(t) < 0 ||
	    json_integer_value(t) > 2147483647)
		return "The TTL must be an integer between 0 and 2147483647.";
	*ttl = json_integer_value(t);
	if (!json_is_array(*recs) || json_array_size(*recs) == 0)
		return "properties.TXTRecords must be a non-empty array.";
	json_array_foreach(*recs, i, e)
	{
		v = json_object_get(e, "value");
		if (!json_is_array(v) || json_array_size(v) == 0)
			return "Each TXT record needs a non-empty 'value' "
			       "array of strings.";
		for (k = 0; k < json_array_size(v); k++)
			if (!json_is_string(json_array_get(v, k)))
				return "Each TXT record needs a non-empty "
				       "'value' array of strings.";
	}
	return NULL;
}

static void
set_remove(struct fake_zone *z, const char *fqdn)
{
	size_t i = z->nrr;

	while (i-- > 0)
		if (strcmp(z->rr[i].type, "TXT") == 0 &&
		    strcmp(z->rr[i].name, fqdn) == 0)
			fake_rr_remove(z, &z->rr[i]);
}

static void
set_put(struct fake *f, struct az *az, struct fake_req *r, struct fake_zone *z,
    const char *fqdn)
{
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL), *recs, *e;
	unsigned stamp = set_stamp(z, fqdn);
	const char *why;
	json_int_t ttl = 0;
	char *v;
	size_t i;

	if (!json_is_object(j)) {
		arm_error(r, 400, "InvalidRequestContent",
		    "The request content was invalid and could not be "
		    "deserialized.");
	} else if ((why = body_problem(j, &ttl, &recs)) != NULL) {
		arm_error(r, 400, "BadRequest", "%s", why);
	} else if (preconditions(r, stamp)) {
		set_remove(z, fqdn);
		json_array_foreach(recs, i, e)
		{
			v = json_dumps(json_object_get(e, "value"),
			    JSON_COMPACT);
			(void)fake_rr_add(fake_store(f), z, fqdn, "TXT",
			    (unsigned)ttl, v);
			free(v);
		}
		fake_reply_json(r, stamp != 0 ? 200 : 201,
		    set_json(az, z, fqdn));
	}
	json_decref(j);
}

static void
set_one(struct fake *f, struct az *az, struct fake_req *r, struct fake_zone *z,
    const char *rel)
{
	char *fqdn = fqdn_of(z, rel);
	unsigned stamp = set_stamp(z, fqdn);

	if (strcmp(r->method, "PUT") == 0) {
		set_put(f, az, r, z, fqdn);
	} else if (strcmp(r->method, "DELETE") == 0) {
		if (preconditions(r, stamp)) {
			set_remove(z, fqdn);
			fake_reply(r, stamp != 0 ? 200 : 204, NULL, NULL, 0);
		}
	} else if (strcmp(r->method, "GET") != 0) {
		arm_error(r, 405, "MethodNotAllowed",
		    "The method is not allowed.");
	} else if (stamp == 0) {
		arm_error(r, 404, "NotFound",
		    "The resource record '%s' does not exist in resource "
		    "group '%s' of subscription '%s'.",
		    rel, az->group, az->subscription);
	} else {
		fake_reply_json(r, 200, set_json(az, z, fqdn));
	}
	free(fqdn);
}

/* The visible zone by name, or NULL after replying 404/403. */
static struct fake_zone *
zone_get(struct fake *f, struct az *az, struct fake_req *r, const char *name)
{
	struct fake_zone *z = fake_zone_find(fake_store(f), name);

	if (z == NULL) {
		arm_error(r, 404, "ResourceNotFound",
		    "The Resource 'Microsoft.Network/dnszones/%s' under "
		    "resource group '%s' was not found.",
		    name, az->group);
		return NULL;
	}
	if (z->hidden) {
		arm_error(r, 403, "AuthorizationFailed",
		    "The client '%s' does not have authorization to perform "
		    "action 'Microsoft.Network/dnszones/read' over scope "
		    "'/subscriptions/%s/resourceGroups/%s/providers/"
		    "Microsoft.Network/dnszones/%s' or the scope is invalid.",
		    az->client_id, az->subscription, az->group, name);
		return NULL;
	}
	return z;
}

static bool
seg_is(const struct fake_req *r, size_t i, const char *want)
{
	return i < r->nseg && strcasecmp(r->seg[i], want) == 0;
}

/* Split the ARM path; false after replying (bad path, sub, group). */
static bool
arm_path(struct az *az, struct fake_req *r, struct arm_path *p)
{
	size_t i = 2;

	memset(p, 0, sizeof(*p));
	if (r->nseg < 2 || strcasecmp(r->seg[1], az->subscription) != 0) {
		arm_error(r, 404, "SubscriptionNotFound",
		    "The subscription '%s' could not be found.",
		    r->nseg > 1 ? r->seg[1] : "");
		return false;
	}
	if (seg_is(r, 2, "resourceGroups")) {
		if (r->nseg < 4 || strcasecmp(r->seg[3], az->group) != 0) {
			arm_error(r, 404, "ResourceGroupNotFound",
			    "Resource group '%s' could not be found.",
			    r->nseg > 3 ? r->seg[3] : "");
			return false;
		}
		i = 4;
	} else {
		p->all_groups = true;
	}
	if (!seg_is(r, i, "providers") ||
	    !seg_is(r, i + 1, "Microsoft.Network") ||
	    !seg_is(r, i + 2, "dnszones") || r->nseg > i + 6 ||
	    (p->all_groups && r->nseg != i + 3)) {
		arm_error(r, 404, "InvalidResourceType",
		    "The resource type could not be found in the namespace "
		    "'Microsoft.Network'.");
		return false;
	}
	p->zone = r->nseg > i + 3 ? r->seg[i + 3] : NULL;
	p->type = r->nseg > i + 4 ? r->seg[i + 4] : NULL;
	p->name = r->nseg > i + 5 ? r->seg[i + 5] : NULL;
	return true;
}

/* api-version is required and must be one ARM DNS knows. */
static bool
api_version_ok(struct fake_req *r)
{
	const char *v = fake_query(r, "api-version");
	size_t i;

	if (v == NULL) {
		arm_error(r, 400, "MissingApiVersionParameter",
		    "The api-version query parameter (?api-version=) is "
		    "required for all requests.");
		return false;
	}
	for (i = 0; i < NELEM(api_versions); i++)
		if (strcmp(v, api_versions[i]) == 0)
			return true;
	arm_error(r, 400, "InvalidApiVersionParameter",
	    "The api-version '%s' is invalid. The supported versions are "
	    "'2018-05-01,2017-10-01,2017-09-01,2016-04-01,2023-07-01-preview'.",
	    v);
	return false;
}

static void
arm(struct fake *f, struct az *az, struct fake_req *r)
{
	bool get = strcmp(r->method, "GET") == 0;
	struct fake_zone *z;
	struct arm_path p;

	if (!arm_auth(az, r) || !api_version_ok(r) || !arm_path(az, r, &p))
		return;
	if (p.zone == NULL && get) {
		zones_list(f, az, r);
		return;
	}
	if (p.zone == NULL || (z = zone_get(f, az, r, p.zone)) == NULL) {
		if (p.zone == NULL)
			arm_error(r, 405, "MethodNotAllowed",
			    "The method is not allowed.");
		return;
	}
	if (p.type != NULL && strcasecmp(p.type, "TXT") != 0)
		arm_error(r, 400, "BadRequest",
		    "Record type '%s' is not emulated by this fake.", p.type);
	else if (p.type == NULL && get)
		fake_reply_json(r, 200, zone_json(az, z));
	else if (p.name == NULL && p.type != NULL && get)
		sets_list(f, az, r, z);
	else if (p.name != NULL)
		set_one(f, az, r, z, p.name);
	else
		arm_error(r, 405, "MethodNotAllowed",
		    "The method is not allowed.");
}

static void
handle(struct fake *f, struct fake_req *r, void *arg)
{
	struct az *az = arg;

	if (r->nseg == 4 && strcmp(r->seg[1], "oauth2") == 0 &&
	    strcmp(r->seg[2], "v2.0") == 0 && strcmp(r->seg[3], "token") == 0)
		token(az, r);
	else if (r->nseg > 0 && strcasecmp(r->seg[0], "subscriptions") == 0)
		arm(f, az, r);
	else
		arm_error(r, 404, "NotFound", "No route for '%s'.",
		    r->raw_path);
}

static void
setup(void *arg)
{
	struct az *az = arg;
	uint64_t n = 3599;

	if (az->tenant == NULL || az->client_id == NULL ||
	    az->client_secret == NULL || az->subscription == NULL ||
	    az->group == NULL)
		die(2, "--tenant, --client-id, --client-secret, "
		       "--subscription and --resource-group are required");
	if (az->lifetime_s != NULL &&
	    parse_u64(az->lifetime_s, 1, 86400, &n) == -1)
		die(2, "--token-lifetime: expected 1..86400 seconds");
	az->lifetime = (unsigned)n;
}

int
main(int argc, char **argv)
{
	struct az az = { 0 };
	const struct fake_opt opts[] = {
		{ "tenant", NULL, &az.tenant },
		{ "client-id", NULL, &az.client_id },
		{ "client-secret", "FAKE_AZURE_CLIENT_SECRET",
		    &az.client_secret },
		{ "subscription", NULL, &az.subscription },
		{ "resource-group", NULL, &az.group },
		{ "token-lifetime", NULL, &az.lifetime_s },
		{ NULL, NULL, NULL },
	};
	const struct fake_provider p = {
		.name = "fake_azure",
		.ctype = "application/json",
		.trunc_body = "{\"value\":[{\"id\":\"/subscriptions/",
		.empty_body = "{}",
		.ratelimit_body = "{\"error\":{\"code\":\"TooManyRequests\","
		                  "\"message\":\"The "
		                  "request is being throttled.\"}}",
		.setup = setup,
		.handle = handle,
	};
	int rc = fake_main(&p, opts, &az, argc, argv);

	free(az.tokens);
	return rc;
}

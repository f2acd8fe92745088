/*
 * Local fake of the Amazon Route 53 REST/XML API, version 2013-04-01, after
 * the Route 53 API Reference: ListHostedZonesByName, GetHostedZone,
 * ListResourceRecordSets (IsTruncated, NextRecordName, NextRecordType,
 * MaxItems), ChangeResourceRecordSets (CREATE, DELETE, UPSERT; atomic; a
 * DELETE must match the current set exactly, else InvalidChangeBatch) and
 * GetChange (PENDING, then INSYNC). Every request's AWS Signature Version 4
 * is recomputed as AWS documents it ("Create a canonical request for
 * Signature Version 4") and compared with the one sent.
 *
 * fake_route53 --access-key ID --secret-key SECRET (or
 *     $FAKE_AWS_ACCESS_KEY_ID, $FAKE_AWS_SECRET_ACCESS_KEY)
 *     [--session-token T] [--region us-east-1] [--insync-after N]
 *     [--seed F] [--page-size N]
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "common/util.h"
#include "tests/fakes/fake_common.h"

#define R53_NS "https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_MAX_CHANGES 100

struct r53 {
	char *access_key, *secret_key, *session_token, *region;
	char *insync_after;
	size_t polls_needed;
	size_t *polls; /* per change: GetChange calls so far */
	time_t *submitted;
	size_t nchanges, cap, nreq;
};

/* ---- XML output ---- */

static void
xml_text(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			evbuffer_add(b, "&amp;", 5);
		else if (*s == '<')
			evbuffer_add(b, "&lt;", 4);
		else if (*s == '>')
			evbuffer_add(b, "&gt;", 4);
		else
			evbuffer_add(b, s, 1);
	}
}

/* <tag>escaped text</tag> */
static void
xml_elem(struct evbuffer *b, const char *tag, const char *text)
{
	evbuffer_add_printf(b, "<%s>", tag);
	xml_text(b, text);
	evbuffer_add_printf(b, "</%s>", tag);
}

static void
xml_reply(struct fake_req *r, int status, struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = xmalloc(n + 1);

	(void)evbuffer_remove(b, s, n);
	fake_reply(r, status, "text/xml", s, n);
	free(s);
	evbuffer_free(b);
}

static struct evbuffer *
xml_start(const char *root)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL)
		die(3, "out of memory");
	evbuffer_add_printf(b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"" R53_NS
	    "\">",
	    root);
	return b;
}

/* AWS's REST/XML error body: ErrorResponse/Error{Type, Code, Message}. */
static void
r53_error(struct fake_req *r, struct r53 *st, int status, const char *code,
    const char *msg)
{
	struct evbuffer *b = xml_start("ErrorResponse");
	char id[64];

	(void)snprintf(id, sizeof(id), "fa4e0000-0000-4000-8000-%012zx",
	    ++st->nreq);
	evbuffer_add_printf(b, "<Error><Type>Sender</Type>");
	xml_elem(b, "Code", code);
	xml_elem(b, "Message", msg);
	evbuffer_add_printf(b, "</Error>");
	xml_elem(b, "RequestId", id);
	evbuffer_add_printf(b, "</ErrorResponse>");
	xml_reply(r, status, b);
}

/* ---- SigV4 ---- */

static void
hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
sha256_hex(const void *d, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(d, n, md);
	hex(md, sizeof(md), out);
}

static void
hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned len = 32;

	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	        strlen(msg), out, &len) == NULL)
		die(3, "HMAC failed");
}

/* The parts of an "AWS4-HMAC-SHA256 Credential=..., ..." header. */
struct sigv4 {
	char akid[128], date[16], region[64], service[64];
	char signed_headers[1024], signature[80];
};

/* Copy the value of "name=" in the header up to ',' into out. */
static int
auth_param(const char *h, const char *name, char *out, size_t outlen)
{
	const char *p = strstr(h, name);
	size_t n;

	if (p == NULL)
		return -1;
	p += strlen(name);
	n = strcspn(p, ", ");
	if (n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static int
sigv4_parse(const char *h, struct sigv4 *s)
{
	char cred[512], *f[5], *p;
	size_t i;

	if (strncmp(h, "AWS4-HMAC-SHA256 ", 17) != 0 ||
	    auth_param(h, "Credential=", cred, sizeof(cred)) == -1 ||
	    auth_param(h, "SignedHeaders=", s->signed_headers,
	        sizeof(s->signed_headers)) == -1 ||
	    auth_param(h, "Signature=", s->signature, sizeof(s->signature)) ==
	        -1)
		return -1;
	for (i = 0, p = cred; i < 5; i++) {
		f[i] = p;
		if ((p = strchr(p, '/')) == NULL && i < 4)
			return -1;
		if (p != NULL)
			*p++ = '\0';
	}
	if (p != NULL || strcmp(f[4], "aws4_request") != 0 ||
	    str_copy(s->akid, sizeof(s->akid), f[0]) == -1 ||
	    str_copy(s->date, sizeof(s->date), f[1]) == -1 ||
	    str_copy(s->region, sizeof(s->region), f[2]) == -1 ||
	    str_copy(s->service, sizeof(s->service), f[3]) == -1)
		return -1;
	return 0;
}

/* RFC 3986 percent-encoding of everything but unreserved characters. */
static void
uri_encode(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr("-_.~", *s) != NULL)
			evbuffer_add(b, s, 1);
		else
			evbuffer_add_printf(b, "%%%02X", (unsigned char)*s);
	}
}

static int
param_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The canonical query string: each name and value decoded and encoded
 * again, sorted by name (then value), as AWS computes it. A client that
 * signs its parameters in another order fails here as it fails at AWS.
 */
static void
canonical_query(struct evbuffer *b, const char *q)
{
	char *copy = xstrdup(q != NULL ? q : ""), *p, *next, *eq, *k, *v;
	char *items[64];
	size_t n = 0, i;

	for (p = copy; p != NULL && *p != '\0' && n < NELEM(items); p = next) {
		next = strchr(p, '&');
		if (next != NULL)
			*next++ = '\0';
		if (*p != '\0')
			items[n++] = p;
	}
	qsort(items, n, sizeof(*items), param_cmp);
	for (i = 0; i < n; i++) {
		eq = strchr(items[i], '=');
		if (eq != NULL)
			*eq = '\0';
		k = evhttp_uridecode(items[i], 0, NULL);
		v = evhttp_uridecode(eq != NULL ? eq + 1 : "", 0, NULL);
		if (i > 0)
			evbuffer_add(b, "&", 1);
		uri_encode(b, k != NULL ? k : "");
		evbuffer_add(b, "=", 1);
		uri_encode(b, v != NULL ? v : "");
		free(k);
		free(v);
	}
	free(copy);
}

/* All values of one header, trimmed, spaces folded, joined by ','. */
static int
canonical_header(struct evbuffer *b, struct fake_req *r, const char *name)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(r->req);
	struct evkeyval *kv;
	const char *v;
	bool found = false, space;

	TAILQ_FOREACH (kv, h, next) {
		if (strcasecmp(kv->key, name) != 0)
			continue;
		evbuffer_add_printf(b, found ? "," : "%s:", name);
		for (v = kv->value; *v == ' ' || *v == '\t'; v++)
			;
		for (space = false; *v != '\0'; v++) {
			if (*v == ' ' || *v == '\t') {
				space = true;
				continue;
			}
			if (space)
				evbuffer_add(b, " ", 1);
			space = false;
			evbuffer_add(b, v, 1);
		}
		found = true;
	}
	evbuffer_add(b, "\n", 1);
	return found ? 0 : -1;
}

/*
 * Canonical request text (caller frees); NULL if a signed header is gone
 * or "host" is not signed (AWS requires it).
 */
static char *
canonical_request(struct fake_req *r, const char *signed_headers)
{
	struct evbuffer *b = evbuffer_new();
	char *names = xstrdup(signed_headers), *p, *next, hash[65], *out;
	bool host = false;
	int bad = 0;
	size_t n;

	evbuffer_add_printf(b, "%s\n%s\n", r->method, r->raw_path);
	canonical_query(b, r->raw_query);
	evbuffer_add(b, "\n", 1);
	for (p = names; p != NULL && bad == 0; p = next) {
		if ((next = strchr(p, ';')) != NULL)
			*next++ = '\0';
		host = host || strcmp(p, "host") == 0;
		bad = canonical_header(b, r, p);
	}
	sha256_hex(r->body, r->body_len, hash);
	evbuffer_add_printf(b, "\n%s\n%s", signed_headers, hash);
	n = evbuffer_get_length(b);
	out = xmalloc(n + 1);
	(void)evbuffer_remove(b, out, n);
	out[n] = '\0';
	evbuffer_free(b);
	free(names);
	if (bad == 0 && host)
		return out;
	free(out);
	return NULL;
}

/* The signature over the request with the fake's secret, hex. */
static void
expected_signature(const struct r53 *st, const struct sigv4 *s,
    const char *amz_date, const char *creq, char out[65])
{
	unsigned char k[32];
	char *key = xasprintf("AWS4%s", st->secret_key), *sts, h[65];

	sha256_hex(creq, strlen(creq), h);
	sts = xasprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
	    amz_date, s->date, s->region, s->service, h);
	hmac(key, strlen(key), s->date, k);
	hmac(k, 32, s->region, k);
	hmac(k, 32, s->service, k);
	hmac(k, 32, "aws4_request", k);
	hmac(k, 32, sts, k);
	hex(k, 32, out);
	explicit_bzero(key, strlen(key));
	free(key);
	free(sts);
}

/* Parse "YYYYMMDDTHHMMSSZ" (SigV4's basic ISO 8601); -1 if malformed. */
static int
amz_date_parse(const char *s, time_t *out)
{
	static const struct {
		size_t off, len;
		uint64_t min, max;
	} f[] = { { 0, 4, 1970, 9999 }, { 4, 2, 1, 12 }, { 6, 2, 1, 31 },
		{ 9, 2, 0, 23 }, { 11, 2, 0, 59 }, { 13, 2, 0, 60 } };
	uint64_t v[NELEM(f)];
	struct tm tm = { 0 };
	char part[8];
	size_t i;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return -1;
	for (i = 0; i < NELEM(f); i++) {
		memcpy(part, s + f[i].off, f[i].len);
		part[f[i].len] = '\0';
		if (parse_u64(part, f[i].min, f[i].max, &v[i]) == -1)
			return -1;
	}
	tm.tm_year = (int)v[0] - 1900;
	tm.tm_mon = (int)v[1] - 1;
	tm.tm_mday = (int)v[2];
	tm.tm_hour = (int)v[3];
	tm.tm_min = (int)v[4];
	tm.tm_sec = (int)v[5];
	*out = timegm(&tm);
	return 0;
}

/*
 * AWS refuses a request whose X-Amz-Date is more than 5 minutes from its
 * clock; NULL or the message (static).
 */
static const char *
date_problem(const char *amz_date)
{
	time_t t, now = time(NULL);

	if (amz_date_parse(amz_date, &t) == -1)
		return "Date must be in ISO-8601 'basic format'.";
	if (t < now - 300)
		return "Signature expired: the request date is more than 5 "
		       "minutes old.";
	if (t > now + 300)
		return "Signature not yet current: the request date is more "
		       "than 5 minutes ahead.";
	return NULL;
}

/* Check the credentials and signature; false after replying 403. */
static bool
sigv4_check(struct r53 *st, struct fake_req *r)
{
	const char *h = fake_header(r, "Authorization");
	const char *date = fake_header(r, "X-Amz-Date");
	const char *tok = fake_header(r, "X-Amz-Security-Token");
	const char *code = "SignatureDoesNotMatch", *msg;
	struct sigv4 s = { 0 };
	char want[65], *creq = NULL;
	bool ok = false;

	if (h == NULL) {
		code = "MissingAuthenticationToken";
		msg = "Missing Authentication Token";
	} else if (sigv4_parse(h, &s) == -1) {
		code = "IncompleteSignature";
		msg = "Authorization header requires 'Credential', "
		      "'SignedHeaders' and 'Signature' parameters.";
	} else if (st->access_key == NULL ||
	           !fake_secret_eq(s.akid, st->access_key) ||
	           (st->session_token != NULL &&
	               (tok == NULL ||
	                   !fake_secret_eq(tok, st->session_token)))) {
		code = "InvalidClientTokenId";
		msg = "The security token included in the request is invalid.";
	} else if (date == NULL || strlen(date) != 16 ||
	           strncmp(date, s.date, 8) != 0) {
		msg = "Date in Credential scope does not match YYYYMMDD from "
		      "ISO-8601 version of date from HTTP.";
	} else if ((msg = date_problem(date)) != NULL) {
		code = "SignatureDoesNotMatch";
	} else if (strcmp(s.service, "route53") != 0) {
		msg = "Credential should be scoped to correct service: "
		      "'route53'.";
	} else if (strcmp(s.region, st->region) != 0) {
		msg = "Credential should be scoped to a valid region.";
	} else if ((creq = canonical_request(r, s.signed_headers)) == NULL) {
		msg = "'Host' or a signed header is missing.";
	} else {
		expected_signature(st, &s, date, creq, want);
		ok = fake_secret_eq(want, s.signature);
		msg = "The request signature we calculated does not match the "
		      "signature you provided. Check your AWS Secret Access "
		      "Key and signing method. Consult the service "
		      "documentation for details.";
	}
	free(creq);
	if (!ok)
		r53_error(r, st, 403, code, msg);
	return ok;
}

/* ---- hosted zones ---- */

static char *
zone_id(const struct fake_zone *z)
{
	return xasprintf("Z%08uFAKE", z->index + 1);
}

static int
zone_cmp(const void *a, const void *b)
{
	const struct fake_zone *za = *(struct fake_zone *const *)a;
	const struct fake_zone *zb = *(struct fake_zone *const *)b;
	int c = fake_name_cmp(za->name, zb->name);

	return c != 0 ? c : (za->index > zb->index) - (za->index < zb->index);
}

/* The visible zones in ListHostedZonesByName order; caller frees. */
static struct fake_zone **
zones_sorted(struct fake_store *s, size_t *n)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	struct fake_zone **v = xcalloc(s->nzones + 1, sizeof(*v));
	size_t i;

	for (*n = i = 0; i < s->nzones; i++)
		if (!s->zones[i].hidden)
			v[(*n)++] = &s->zones[i];
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	qsort(v, *n, sizeof(*v), zone_cmp);
	return v;
}

static void
zone_xml(struct evbuffer *b, const struct fake_zone *z)
{
	char *id = zone_id(z);

	evbuffer_add_printf(b,
	    "<HostedZone><Id>/hostedzone/%s</Id><Name>%s.</Name>"
	    "<CallerReference>fake-%u</CallerReference><Config>"
	    "<PrivateZone>false</PrivateZone></Config>"
	    "<ResourceRecordSetCount>%zu</ResourceRecordSetCount>"
	    "</HostedZone>",
	    id, z->name, z->index, fake_zone_set_count(z));
	free(id);
}

static void
zones_by_name(struct fake *f, struct r53 *st, struct fake_req *r)
{
	const char *dns = fake_query(r, "dnsname");
	char *want = dns != NULL ? fake_name_norm(dns) : NULL, *id;
	struct evbuffer *b;
	struct fake_zone **v;
	size_t n, i = 0, max, k;

	if (fake_query_num(r, "maxitems", 1, 100, 100, &max) == -1) {
		free(want);
		r53_error(r, st, 400, "InvalidInput", "Invalid maxitems");
		return;
	}
	max = max < fake_page_size(f) ? max : fake_page_size(f);
	v = zones_sorted(fake_store(f), &n);
	while (want != NULL && i < n && fake_name_cmp(v[i]->name, want) < 0)
		i++;
	b = xml_start("ListHostedZonesByNameResponse");
	evbuffer_add_printf(b, "<HostedZones>");
	for (k = 0; k < max && i + k < n; k++)
		zone_xml(b, v[i + k]);
	evbuffer_add_printf(b, "</HostedZones>");
	if (dns != NULL)
		xml_elem(b, "DNSName", dns);
	evbuffer_add_printf(b, "<IsTruncated>%s</IsTruncated>",
	    i + k < n ? "true" : "false");
	if (i + k < n) {
		id = zone_id(v[i + k]);
		evbuffer_add_printf(b,
		    "<NextDNSName>%s.</NextDNSName>"
		    "<NextHostedZoneId>%s</NextHostedZoneId>",
		    v[i + k]->name, id);
		free(id);
	}
	evbuffer_add_printf(b,
	    "<MaxItems>%zu</MaxItems></ListHostedZonesByNameResponse>", max);
	free(v);
	free(want);
	xml_reply(r, 200, b);
}

/* The zone with this Id ("Z..." or "/hostedzone/Z..."), NULL replied. */
static struct fake_zone *
zone_by_id(struct fake *f, struct r53 *st, struct fake_req *r, const char *id)
{
	struct fake_store *s = fake_store(f);
	char *zid, *msg;
	size_t i;
	bool eq;

	if (strncmp(id, "/hostedzone/", 12) == 0)
		id += 12;
	for (i = 0; i < s->nzones; i++) {
		zid = zone_id(&s->zones[i]);
		eq = strcmp(zid, id) == 0;
		free(zid);
		if (eq && !s->zones[i].hidden)
			return &s->zones[i];
		if (eq) {
			msg = xasprintf("User: arn:aws:iam::111122223333:user/"
			                "fake is not authorized to access "
			                "this resource: hostedzone/%s",
			    id);
			r53_error(r, st, 403, "AccessDenied", msg);
			free(msg);
			return NULL;
		}
	}
	msg = xasprintf("No hosted zone found with ID: %s", id);
	r53_error(r, st, 404, "NoSuchHostedZone", msg);
	free(msg);
	return NULL;
}

static void
zone_get(struct fake_req *r, struct fake_zone *z)
{
	struct evbuffer *b = xml_start("GetHostedZoneResponse");

	zone_xml(b, z);
	evbuffer_add_printf(b,
	    "<DelegationSet><NameServers><NameServer>ns-1.fake.invalid"
	    "</NameServer></NameServers></DelegationSet>"
	    "</GetHostedZoneResponse>");
	xml_reply(r, 200, b);
}

/* ---- record sets ---- */

/* Route 53 order: name (labels reversed), then type. */
static int
set_cmp(const char *an, const char *at, const char *bn, const char *bt)
{
	int c = fake_name_cmp(an, bn);

	return c != 0 ? c : strcmp(at, bt);
}

static int
rr_cmp(const void *a, const void *b)
{
	const struct fake_rr *x = *(struct fake_rr *const *)a;
	const struct fake_rr *y = *(struct fake_rr *const *)b;
	int c = set_cmp(x->name, x->type, y->name, y->type);

	return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

/* Records of z sorted so that a set's records are adjacent; caller frees. */
static struct fake_rr **
records_sorted(struct fake_zone *z)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	struct fake_rr **v = xcalloc(z->nrr + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < z->nrr; i++)
		v[i] = &z->rr[i];
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	qsort(v, z->nrr, sizeof(*v), rr_cmp);
	return v;
}

/* Append the set starting at v[i]; returns the index after it. */
static size_t
rrset_xml(struct evbuffer *b, struct fake_rr **v, size_t n, size_t i)
{
	size_t k = i;

	evbuffer_add_printf(b, "<ResourceRecordSet>");
	evbuffer_add_printf(b, "<Name>%s.</Name><Type>%s</Type><TTL>%u</TTL>",
	    v[i]->name, v[i]->type, v[i]->ttl);
	evbuffer_add_printf(b, "<ResourceRecords>");
	for (; k < n && strcmp(v[k]->name, v[i]->name) == 0 &&
	       strcmp(v[k]->type, v[i]->type) == 0;
	     k++) {
		evbuffer_add_printf(b, "<ResourceRecord>");
		xml_elem(b, "Value", v[k]->value);
		evbuffer_add_printf(b, "</ResourceRecord>");
	}
	evbuffer_add_printf(b, "</ResourceRecords></ResourceRecordSet>");
	return k;
}

static void
rrsets_list(struct fake *f, struct r53 *st, struct fake_req *r,
    struct fake_zone *z)
{
	const char *name = fake_query(r, "name"), *type = fake_query(r, "type");
	char *want = name != NULL ? fake_name_norm(name) : xstrdup("");
	struct fake_rr **v = records_sorted(z);
	size_t i = 0, sets = 0, max;
	struct evbuffer *b;

	if ((type != NULL && name == NULL) ||
	    fake_query_num(r, "maxitems", 1, 300, 300, &max) == -1) {
		r53_error(r, st, 400, "InvalidInput",
		    "Invalid maxitems, or type given without name");
		goto out;
	}
	max = max < fake_page_size(f) ? max : fake_page_size(f);
	while (name != NULL && i < z->nrr &&
	       set_cmp(v[i]->name, v[i]->type, want, type ? type : "") < 0)
		i++;
	b = xml_start("ListResourceRecordSetsResponse");
	evbuffer_add_printf(b, "<ResourceRecordSets>");
	for (; i < z->nrr && sets < max; sets++)
		i = rrset_xml(b, v, z->nrr, i);
	evbuffer_add_printf(b,
	    "</ResourceRecordSets><IsTruncated>%s"
	    "</IsTruncated>",
	    i < z->nrr ? "true" : "false");
	if (i < z->nrr)
		evbuffer_add_printf(b,
		    "<NextRecordName>%s.</NextRecordName>"
		    "<NextRecordType>%s</NextRecordType>",
		    v[i]->name, v[i]->type);
	evbuffer_add_printf(b,
	    "<MaxItems>%zu</MaxItems></ListResourceRecordSetsResponse>", max);
	xml_reply(r, 200, b);
out:
	free(v);
	free(want);
}

/* ---- ChangeResourceRecordSets ---- */

/*
 * The next element <tag ...>content</tag> in [p, end): content in [*cs,
 * *ce). Returns the end of the element, NULL when there is none. Enough for
 * the request schema, where no element nests one of its own name.
 */
static const char *
xml_find(const char *p, const char *end, const char *tag, const char **cs,
    const char **ce)
{
	size_t n = strlen(tag);
	const char *q;
	char close[64];

	(void)snprintf(close, sizeof(close), "</%s>", tag);
	for (; (q = memchr(p, '<', (size_t)(end - p))) != NULL; p = q + 1) {
		if ((size_t)(end - q) < n + 2 || strncmp(q + 1, tag, n) != 0 ||
		    strchr("> \t\r\n", q[n + 1]) == NULL)
			continue;
		if ((*cs = memchr(q, '>', (size_t)(end - q))) == NULL)
			return NULL;
		(*cs)++;
		for (q = *cs; q + strlen(close) <= end; q++)
			if (strncmp(q, close, strlen(close)) == 0) {
				*ce = q;
				return q + strlen(close);
			}
		return NULL;
	}
	return NULL;
}

/* Text of [s, e) with the five XML entities decoded; NULL if malformed. */
static char *
xml_decode(const char *s, const char *e)
{
	static const char *const ent[][2] = { { "&amp;", "&" }, { "&lt;", "<" },
		{ "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" } };
	char *out = xmalloc((size_t)(e - s) + 1), *o = out;
	size_t i;

	while (s < e) {
		if (*s == '<')
			goto bad;
		if (*s != '&') {
			*o++ = *s++;
			continue;
		}
		for (i = 0; i < NELEM(ent); i++)
			if ((size_t)(e - s) >= strlen(ent[i][0]) &&
			    strncmp(s, ent[i][0], strlen(ent[i][0])) == 0)
				break;
		if (i == NELEM(ent))
			goto bad;
		*o++ = ent[i][1][0];
		s += strlen(ent[i][0]);
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* Decoded text of the first <tag> in [p, end), or NULL. Caller frees. */
static char *
xml_get(const char *p, const char *end, const char *tag)
{
	const char *cs, *ce;

	if (xml_find(p, end, tag, &cs, &ce) == NULL)
		return NULL;
	return xml_decode(cs, ce);
}

struct change {
	char *action, *name, *type, *ttl;
	char *values[64];
	size_t nvalues;
	unsigned ttl_num;
};

static void
change_free(struct change *c)
{
	size_t i;

	free(c->action);
	free(c->name);
	free(c->type);
	free(c->ttl);
	for (i = 0; i < c->nvalues; i++)
		free(c->values[i]);
}

/* Parse one <Change> body; -1 when an element is missing or malformed. */
static int
change_parse(const char *p, const char *end, struct change *c)
{
	const char *rs, *re, *vs, *ve, *q;
	uint64_t ttl;
	char *n;

	memset(c, 0, sizeof(*c));
	c->action = xml_get(p, end, "Action");
	if (xml_find(p, end, "ResourceRecordSet", &rs, &re) == NULL)
		return -1;
	n = xml_get(rs, re, "Name");
	c->type = xml_get(rs, re, "Type");
	c->ttl = xml_get(rs, re, "TTL");
	if (c->action == NULL || n == NULL || c->type == NULL ||
	    c->ttl == NULL || parse_u64(c->ttl, 0, 2147483647, &ttl) == -1) {
		free(n);
		return -1;
	}
	c->name = fake_name_norm(n);
	free(n);
	c->ttl_num = (unsigned)ttl;
	for (q = rs; (q = xml_find(q, re, "Value", &vs, &ve)) != NULL;) {
		if (c->nvalues == NELEM(c->values))
			return -1;
		if ((c->values[c->nvalues] = xml_decode(vs, ve)) == NULL)
			return -1;
		c->nvalues++;
	}
	return c->nvalues > 0 ? 0 : -1;
}

/*
 * Route 53 TXT values are one or more character-strings, each quoted
 * ("...", with \" and \\ escapes) and at most 255 bytes. Returns NULL or
 * the name of the problem as Route 53 reports it.
 */
static const char *
txt_problem(const char *v)
{
	size_t len;

	while (*v != '\0') {
		if (*v == ' ') {
			v++;
			continue;
		}
		if (*v != '"')
			return "InvalidCharacterString (Value should be "
			       "enclosed in quotation marks)";
		for (v++, len = 0; *v != '\0' && *v != '"'; len++)
			v += v[0] == '\\' && v[1] != '\0' ? 2 : 1;
		if (*v++ != '"')
			return "InvalidCharacterString (Value should be "
			       "enclosed in quotation marks)";
		if (len > 255)
			return "CharacterStringTooLong (Value is too long)";
	}
	return NULL;
}

/* Indices of the set name/type in z (up to max); returns the count. */
static size_t
set_find(const struct fake_zone *z, const struct change *c, size_t *idx,
    size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < z->nrr && n < max; i++)
		if (strcmp(z->rr[i].name, c->name) == 0 &&
		    strcmp(z->rr[i].type, c->type) == 0)
			idx[n++] = i;
	return n;
}

/* Does the existing set (idx, n) equal the change's TTL and values? */
static bool
set_equal(const struct fake_zone *z, const size_t *idx, size_t n,
    const struct change *c)
{
	bool used[64] = { false };
	size_t i, k;

	if (n != c->nvalues)
		return false;
	for (i = 0; i < n; i++) {
		if (z->rr[idx[i]].ttl != c->ttl_num)
			return false;
		for (k = 0; k < n; k++)
			if (!used[k] &&
			    strcmp(z->rr[idx[i]].value, c->values[k]) == 0)
				break;
		if (k == n)
			return false;
		used[k] = true;
	}
	return true;
}

/* Apply one change to the working zone w; NULL or a message to free. */
static char *
change_apply(struct fake_store *s, struct fake_zone *w, const struct change *c)
{
	size_t idx[64], n = set_find(w, c, idx, NELEM(idx)), i;
	bool del = strcmp(c->action, "DELETE") == 0;
	const char *p;

	if (!fake_name_in_zone(c->name, w->name))
		return xasprintf("RRSet with DNS name %s. is not permitted in "
		                 "zone %s.",
		    c->name, w->name);
	if (del && n == 0)
		return xasprintf("Tried to delete resource record set "
		                 "[name='%s.', type='%s'] but it was not found",
		    c->name, c->type);
	if (del && !set_equal(w, idx, n, c))
		return xasprintf("Tried to delete resource record set "
		                 "[name='%s.', type='%s'] but the values "
		                 "provided do not match the current values",
		    c->name, c->type);
	if (strcmp(c->action, "CREATE") == 0 && n > 0)
		return xasprintf("Tried to create resource record set "
		                 "[name='%s.', type='%s'] but it already "
		                 "exists",
		    c->name, c->type);
	for (i = 0; !del && strcmp(c->type, "TXT") == 0 && i < c->nvalues; i++)
		if ((p = txt_problem(c->values[i])) != NULL)
			return xasprintf("Invalid Resource Record: 'FATAL "
			                 "problem: %s encountered with '%s''",
			    p, c->values[i]);
	while (n > 0)
		fake_rr_remove(w, &w->rr[idx[--n]]);
	for (i = 0; !del && i < c->nvalues; i++)
		(void)fake_rr_add(s, w, c->name, c->type, c->ttl_num,
		    c->values[i]);
	return NULL;
}

static void
zone_clear(struct fake_zone *z)
{
	while (z->nrr > 0)
		fake_rr_remove(z, &z->rr[z->nrr - 1]);
	free(z->rr);
	z->rr = NULL;
	z->cap = 0;
}

/* A working copy of z's records (ids kept); name borrowed. */
static void
zone_copy(struct fake_store *s, const struct fake_zone *z, struct fake_zone *w)
{
	struct fake_rr *n;
	size_t i;

	memset(w, 0, sizeof(*w));
	w->name = z->name;
	for (i = 0; i < z->nrr; i++) {
		n = fake_rr_add(s, w, z->rr[i].name, z->rr[i].type,
		    z->rr[i].ttl, z->rr[i].value);
		n->id = z->rr[i].id;
		n->stamp = z->rr[i].stamp;
	}
}

/* Parse and apply every change to w; NULL or (code, message to free). */
static char *
batch_apply(struct fake_store *s, struct fake_zone *w, const char *body,
    const char *end, const char **code)
{
	const char *p, *cs, *ce, *xs, *xe;
	struct change c;
	size_t n = 0;
	char *msg = NULL;

	*code = "InvalidInput";
	if (strstr(body, "<ChangeResourceRecordSetsRequest") == NULL ||
	    xml_find(body, end, "Changes", &cs, &ce) == NULL)
		return xstrdup("Invalid XML ; the request must hold a "
		               "ChangeBatch with Changes");
	for (p = cs;
	     msg == NULL && (p = xml_find(p, ce, "Change", &xs, &xe)) != NULL;
	     n++) {
		if (n == R53_MAX_CHANGES || change_parse(xs, xe, &c) == -1 ||
		    strstr(",CREATE,DELETE,UPSERT,", c.action) == NULL) {
			msg = xstrdup("Invalid XML ; a Change needs Action "
			              "(CREATE, DELETE or UPSERT), Name, "
			              "Type, TTL and Values");
		} else if ((msg = change_apply(s, w, &c)) != NULL) {
			*code = "InvalidChangeBatch";
		}
		if (n < R53_MAX_CHANGES)
			change_free(&c);
	}
	if (msg == NULL && n == 0)
		msg = xstrdup("Invalid XML ; Changes must not be empty");
	return msg;
}

static void
change_info(struct evbuffer *b, struct r53 *st, size_t i)
{
	char when[32];
	struct tm tm;

	(void)gmtime_r(&st->submitted[i], &tm);
	(void)strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	evbuffer_add_printf(b,
	    "<ChangeInfo><Id>/change/C%08zuFAKE</Id><Status>%s</Status>"
	    "<SubmittedAt>%s</SubmittedAt></ChangeInfo>",
	    i + 1, st->polls[i] < st->polls_needed ? "PENDING" : "INSYNC",
	    when);
}

static void
rrsets_change(struct fake *f, struct r53 *st, struct fake_req *r,
    struct fake_zone *z)
{
	struct fake_store *s = fake_store(f);
	struct fake_zone w;
	const char *code;
	struct evbuffer *b;
	char *msg;

	zone_copy(s, z, &w);
	msg = batch_apply(s, &w, r->body, r->body + r->body_len, &code);
	if (msg != NULL) {
		zone_clear(&w);
		r53_error(r, st, 400, code, msg);
		free(msg);
		return;
	}
	zone_clear(z);
	z->rr = w.rr;
	z->nrr = w.nrr;
	z->cap = w.cap;
	st->polls = xreallocarray(st->polls, &st->cap, st->nchanges + 1,
	    sizeof(*st->polls));
	st->submitted =
	    xrealloc(st->submitted, st->cap * sizeof(*st->submitted));
	st->polls[st->nchanges] = 0;
	st->submitted[st->nchanges] = time(NULL);
	b = xml_start("ChangeResourceRecordSetsResponse");
	change_info(b, st, st->nchanges++);
	evbuffer_add_printf(b, "</ChangeResourceRecordSetsResponse>");
	xml_reply(r, 200, b);
}

static void
change_get(struct r53 *st, struct fake_req *r, const char *id)
{
	struct evbuffer *b;
	uint64_t n = 0;
	char num[16], *msg;

	if (strncmp(id, "/change/", 8) == 0)
		id += 8;
	if (strlen(id) == 13 && id[0] == 'C' && strcmp(id + 9, "FAKE") == 0) {
		memcpy(num, id + 1, 8);
		num[8] = '\0';
		if (parse_u64(num, 1, st->nchanges, &n) == -1)
			n = 0;
	}
	if (n == 0) {
		msg = xasprintf("Could not find resource with ID: %s", id);
		r53_error(r, st, 404, "NoSuchChange", msg);
		free(msg);
		return;
	}
	b = xml_start("GetChangeResponse");
	change_info(b, st, (size_t)n - 1);
	st->polls[n - 1]++;
	evbuffer_add_printf(b, "</GetChangeResponse>");
	xml_reply(r, 200, b);
}

static void
handle(struct fake *f, struct fake_req *r, void *arg)
{
	struct r53 *st = arg;
	bool get = strcmp(r->method, "GET") == 0;
	struct fake_zone *z;
	char **seg = r->seg;
	size_t n = r->nseg;

	if (!sigv4_check(st, r))
		return;
	if (n > 0 && strcmp(seg[0], "2013-04-01") == 0) {
		seg++;
		n--;
	}
	if (n == 1 && get && strcmp(seg[0], "hostedzonesbyname") == 0) {
		zones_by_name(f, st, r);
	} else if (n == 2 && get && strcmp(seg[0], "change") == 0) {
		change_get(st, r, seg[1]);
	} else if ((n == 2 || n == 3) && strcmp(seg[0], "hostedzone") == 0) {
		if ((z = zone_by_id(f, st, r, seg[1])) == NULL)
			return;
		if (n == 2 && get)
			zone_get(r, z);
		else if (n == 3 && get && strcmp(seg[2], "rrset") == 0)
			rrsets_list(f, st, r, z);
		else if (n == 3 && strcmp(r->method, "POST") == 0 &&
		         strcmp(seg[2], "rrset") == 0)
			rrsets_change(f, st, r, z);
		else
			r53_error(r, st, 404, "UnknownOperation",
			    "Unknown operation");
	} else {
		r53_error(r, st, 404, "UnknownOperation", "Unknown operation");
	}
}

/* Defaults and required options, once the command line is read. */
static void
setup(void *arg)
{
	struct r53 *st = arg;
	uint64_t n = 1;

	if (st->access_key == NULL || st->secret_key == NULL)
		die(2, "--access-key and --secret-key are required");
	if (st->region == NULL)
		st->region = xstrdup("us-east-1");
	if (st->insync_after != NULL &&
	    parse_u64(st->insync_after, 0, 1000, &n) == -1)
		die(2, "--insync-after: expected 0..1000");
	st->polls_needed = (size_t)n;
}

int
main(int argc, char **argv)
{
	struct r53 st = { 0 };
	const struct fake_opt opts[] = {
		{ "access-key", "FAKE_AWS_ACCESS_KEY_ID", &st.access_key },
		{ "secret-key", "FAKE_AWS_SECRET_ACCESS_KEY", &st.secret_key },
		{ "session-token", "FAKE_AWS_SESSION_TOKEN",
		    &st.session_token },
		{ "region", NULL, &st.region },
		{ "insync-after", NULL, &st.insync_after },
		{ NULL, NULL, NULL },
	};
	const struct fake_provider p = {
		.name = "fake_route53",
		.ctype = "text/xml",
		.trunc_body =
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<ListResourceRecordSetsResponse xmlns=\"" R53_NS "\">"
		    "<ResourceRecordSets><ResourceRecordSet><Name>ex",
		.empty_body =
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<ListResourceRecordSetsResponse xmlns=\"" R53_NS "\"/>",
		.ratelimit_body =
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<ErrorResponse xmlns=\"" R53_NS
		    "\"><Error><Type>Sender</Type>"
		    "<Code>Throttling</Code><Message>Rate exceeded</Message>"
		    "</Error><RequestId>fa4e0000-0000-4000-8000-000000000000"
		    "</RequestId></ErrorResponse>",
		.setup = setup,
		.handle = handle,
	};
	int rc;

	rc = fake_main(&p, opts, &st, argc, argv);
	free(st.polls);
	free(st.submitted);
	return rc;
}

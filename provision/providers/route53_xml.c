#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/util.h"
#include "provision/providers/route53.h"

#define R53_MAX_TAG 64

/* The first n bytes of needle in [p, end), or NULL (memmem is a GNU one). */
static const char *
span_find(const char *p, const char *end, const char *needle, size_t n)
{
	for (; p != NULL && (size_t)(end - p) >= n; p++) {
		p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, n) == 0)
			return p;
	}
	return NULL;
}

const char *
r53_xml_find(const char *p, const char *end, const char *tag, const char **cs,
    const char **ce)
{
	char open[R53_MAX_TAG + 3], close[R53_MAX_TAG + 4];
	size_t ol, cl;
	const char *s, *c;

	if (strlen(tag) > R53_MAX_TAG || p == NULL || p >= end)
		return NULL;
	ol = (size_t)snprintf(open, sizeof(open), "<%s>", tag);
	cl = (size_t)snprintf(close, sizeof(close), "</%s>", tag);
	if ((s = span_find(p, end, open, ol)) == NULL)
		return NULL;
	s += ol;
	if ((c = span_find(s, end, close, cl)) == NULL)
		return NULL;
	*cs = s;
	*ce = c;
	return c + cl;
}

/* A character reference's code point as UTF-8 into b; -1 when invalid. */
static int
xml_charref(const char *s, size_t n, struct buf *b)
{
	unsigned long v = 0;
	bool hex = n > 1 && s[0] == 'x';
	unsigned char u[4];
	size_t i = hex ? 1 : 0, k = 0;

	if (i == n || n - i > 8)
		return -1;
	for (; i < n; i++) {
		if (!(hex ? isxdigit((unsigned char)s[i])
		          : isdigit((unsigned char)s[i])))
			return -1;
		v = v * (hex ? 16 : 10) +
		    (unsigned long)(isdigit((unsigned char)s[i])
		                        ? s[i] - '0'
		                        : (tolower((unsigned char)s[i]) - 'a' +
		                              10));
	}
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	if (v < 0x80)
		u[k++] = (unsigned char)v;
	else if (v < 0x800) {
		u[k++] = (unsigned char)(0xc0 | (v >> 6));
		u[k++] = (unsigned char)(0x80 | (v & 0x3f));
	} else if (v < 0x10000) {
		u[k++] = (unsigned char)(0xe0 | (v >> 12));
		u[k++] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
		u[k++] = (unsigned char)(0x80 | (v & 0x3f));
	} else {
		u[k++] = (unsigned char)(0xf0 | (v >> 18));
		u[k++] = (unsigned char)(0x80 | ((v >> 12) & 0x3f));
		u[k++] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
		u[k++] = (unsigned char)(0x80 | (v & 0x3f));
	}
	return buf_append(b, u, k);
}

/* One entity (the text after '&' up to ';') into b; -1 when unknown. */
static int
xml_entity(const char *s, size_t n, struct buf *b)
{
	static const char *const ent[][2] = { { "amp", "&" }, { "lt", "<" },
		{ "gt", ">" }, { "quot", "\"" }, { "apos", "'" } };

	if (n > 0 && s[0] == '#')
		return xml_charref(s + 1, n - 1, b);
	for (size_t i = 0; i < NELEM(ent); i++)
		if (strlen(ent[i][0]) == n && memcmp(s, ent[i][0], n) == 0)
			return buf_append_str(b, ent[i][1]);
	return -1;
}

char *
r53_xml_text(const char *s, const char *e)
{
	struct buf b;

	buf_init(&b, (size_t)(e - s) + 1);
	while (s < e) {
		const char *semi;

		if (*s == '<' || *s == '\0')
			goto bad;
		if (*s != '&') {
			if (buf_append(&b, s++, 1) == -1)
				goto bad;
			continue;
		}
		semi = memchr(s, ';', (size_t)(e - s));
		if (semi == NULL || semi - s > 12 ||
		    xml_entity(s + 1, (size_t)(semi - s - 1), &b) == -1)
			goto bad;
		s = semi + 1;
	}
	return buf_steal(&b, NULL);
bad:
	buf_cleanup(&b);
	return NULL;
}

char *
r53_xml_escape(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	for (; *s != '\0'; s++) {
		const char *r = *s == '&'   ? "&amp;"
		                : *s == '<' ? "&lt;"
		                : *s == '>' ? "&gt;"
		                            : NULL;

		if (r != NULL ? buf_append_str(&b, r) == -1
		              : buf_append(&b, s, 1) == -1)
			break;
	}
	return buf_steal(&b, NULL);
}

void
r53_page_cleanup(struct r53_page *pg)
{
	free(pg->next_name);
	free(pg->next_id);
	memset(pg, 0, sizeof(*pg));
}

/* The text of the first <tag> in [p, end), or NULL. */
static char *
xml_get(const char *p, const char *end, const char *tag)
{
	const char *cs, *ce;

	if (r53_xml_find(p, end, tag, &cs, &ce) == NULL)
		return NULL;
	return r53_xml_text(cs, ce);
}

/* IsTruncated and the two next markers; -1 when inconsistent. */
static int
xml_page(const char *p, const char *end, const char *nname, const char *nid,
    struct r53_page *pg, struct err *e)
{
	char *t = xml_get(p, end, "IsTruncated");

	r53_page_cleanup(pg);
	if (t == NULL || (strcmp(t, "true") != 0 && strcmp(t, "false") != 0)) {
		free(t);
		return err_set(e, "the answer has no IsTruncated");
	}
	pg->truncated = strcmp(t, "true") == 0;
	free(t);
	if (!pg->truncated)
		return 0;
	pg->next_name = xml_get(p, end, nname);
	pg->next_id = xml_get(p, end, nid);
	if (pg->next_name == NULL || pg->next_id == NULL)
		return err_set(e, "a truncated answer lacks %s or %s", nname,
		    nid);
	return 0;
}

/* The answer's root element must be root; -1 otherwise. */
static int
xml_root(const char *body, size_t len, const char *root, struct err *e)
{
	char want[R53_MAX_TAG + 2];
	int n = snprintf(want, sizeof(want), "<%s", root);

	if (body == NULL ||
	    span_find(body, body + len, want, (size_t)n) == NULL)
		return err_set(e, "the answer is not a %s (XML)", root);
	return 0;
}

/* One <HostedZone> into out. */
static int
r53_zone(const char *p, const char *end, struct cloud_items *out, struct err *e)
{
	char *id = xml_get(p, end, "Id"), *name = xml_get(p, end, "Name");
	const char *i = id;
	int rc = 0;

	if (id == NULL || name == NULL)
		rc = err_set(e, "a HostedZone lacks Id or Name");
	else {
		if (strncmp(i, "/hostedzone/", 12) == 0)
			i += 12;
		cloud_items_add(out, i, name, 0);
	}
	free(id);
	free(name);
	return rc;
}

int
r53_decode_zones(const char *body, size_t len, struct cloud_items *out,
    struct r53_page *pg, struct err *e)
{
	const char *end = body + len, *zs, *ze, *p, *cs, *ce;
	int rc;

	if (body == NULL)
		return err_set(e, "empty answer"), PROVIDER_ERR_PERM;
	if (xml_root(body, len, "ListHostedZonesByNameResponse", e) == -1)
		return PROVIDER_ERR_PERM;
	if (r53_xml_find(body, end, "HostedZones", &zs, &ze) == NULL)
		return err_set(e, "the answer has no HostedZones"),
		       PROVIDER_ERR_PERM;
	for (p = zs; (p = r53_xml_find(p, ze, "HostedZone", &cs, &ce)) != NULL;)
		if (r53_zone(cs, ce, out, e) == -1)
			return PROVIDER_ERR_PERM;
	rc = xml_page(ze, end, "NextDNSName", "NextHostedZoneId", pg, e);
	return rc == 0 ? PROVIDER_OK : PROVIDER_ERR_PERM;
}

static bool
name_eq(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	if (al > 0 && a[al - 1] == '.')
		al--;
	if (bl > 0 && b[bl - 1] == '.')
		bl--;
	return al == bl && strncasecmp(a, b, al) == 0;
}

/* One <ResourceRecordSet>: its values into out when it is name's TXT. */
static int
r53_rrset(const char *p, const char *end, const char *name,
    struct cloud_items *out, bool *past, struct err *e)
{
	char *n = xml_get(p, end, "Name"), *t = xml_get(p, end, "Type");
	char *ttl = xml_get(p, end, "TTL"), *v;
	const char *q = p, *cs, *ce;
	uint64_t tv = 0;
	int rc = 0;

	if (n == NULL || t == NULL)
		rc = err_set(e, "a ResourceRecordSet lacks Name or Type");
	else if (!name_eq(n, name) || strcmp(t, "TXT") != 0)
		*past = true;
	else if (ttl == NULL || parse_u64(ttl, 0, UINT32_MAX, &tv) == -1)
		rc = err_set(e, "the TXT set lacks a valid TTL");
	else
		while (rc == 0 &&
		       (q = r53_xml_find(q, end, "Value", &cs, &ce)) != NULL) {
			if ((v = r53_xml_text(cs, ce)) == NULL)
				rc = err_set(e, "a Value is not text");
			else
				cloud_items_add(out, NULL, v, (uint32_t)tv);
			free(v);
		}
	free(n);
	free(t);
	free(ttl);
	return rc;
}

int
r53_decode_rrsets(const char *body, size_t len, const char *name,
    struct cloud_items *out, bool *past, struct r53_page *pg, struct err *e)
{
	const char *end = body + len, *ss, *se, *p, *cs, *ce;

	if (body == NULL)
		return err_set(e, "empty answer"), PROVIDER_ERR_PERM;
	*past = false;
	if (xml_root(body, len, "ListResourceRecordSetsResponse", e) == -1)
		return PROVIDER_ERR_PERM;
	if (r53_xml_find(body, end, "ResourceRecordSets", &ss, &se) == NULL)
		return err_set(e, "the answer has no ResourceRecordSets"),
		       PROVIDER_ERR_PERM;
	for (p = ss; !*past && (p = r53_xml_find(p, se, "ResourceRecordSet",
	                            &cs, &ce)) != NULL;)
		if (r53_rrset(cs, ce, name, out, past, e) == -1)
			return PROVIDER_ERR_PERM;
	return xml_page(se, end, "NextRecordName", "NextRecordType", pg, e) == 0
	           ? PROVIDER_OK
	           : PROVIDER_ERR_PERM;
}

int
r53_decode_change(const char *body, size_t len, char **id, char **status,
    struct err *e)
{
	const char *cs, *ce;

	*id = *status = NULL;
	if (body == NULL ||
	    r53_xml_find(body, body + len, "ChangeInfo", &cs, &ce) == NULL)
		return err_set(e, "the answer has no ChangeInfo"),
		       PROVIDER_ERR_PERM;
	*id = xml_get(cs, ce, "Id");
	*status = xml_get(cs, ce, "Status");
	if (*id == NULL || *status == NULL) {
		free(*id);
		free(*status);
		*id = *status = NULL;
		return err_set(e, "the ChangeInfo lacks Id or Status"),
		       PROVIDER_ERR_PERM;
	}
	return PROVIDER_OK;
}

char *
r53_errcode(const char *body, size_t len)
{
	const char *cs, *ce;

	if (body == NULL ||
	    r53_xml_find(body, body + len, "Error", &cs, &ce) == NULL)
		return NULL;
	return xml_get(cs, ce, "Code");
}

bool
r53_retryable(long status, const char *body, size_t len)
{
	char *code = status == 400 ? r53_errcode(body, len) : NULL;
	bool again =
	    code != NULL && (strcmp(code, "Throttling") == 0 ||
	                        strcmp(code, "PriorRequestNotComplete") == 0);

	free(code);
	return again;
}

char *
r53_errtext(const char *body, size_t len)
{
	const char *cs, *ce;
	char *c, *m, *t;

	if (body == NULL ||
	    r53_xml_find(body, body + len, "Error", &cs, &ce) == NULL)
		return NULL;
	c = xml_get(cs, ce, "Code");
	m = xml_get(cs, ce, "Message");
	t = c != NULL ? xasprintf("%s: %s", c, m != NULL ? m : "") : NULL;
	free(c);
	free(m);
	return t;
}

/* RFC 3986 unreserved characters stay; everything else is %XX. */
static int
uri_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char pct[3] = { '%', hex[c >> 4], hex[c & 15] };

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
		        ? buf_append(b, s, 1) == -1
		        : buf_append(b, pct, 3) == -1)
			return -1;
	}
	return 0;
}

char *
r53_query(const char *const *keys, const char *const *values, size_t n)
{
	bool *done = xcalloc(n + 1, sizeof(*done));
	struct buf b;

	buf_init(&b, 0);
	for (size_t k = 0; k < n; k++) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (!done[i] &&
			    (best == n || strcmp(keys[i], keys[best]) < 0))
				best = i;
		done[best] = true;
		if (values[best] == NULL)
			continue;
		if (buf_append_str(&b, b.len > 0 ? "&" : "") == -1 ||
		    uri_escape(&b, keys[best]) == -1 ||
		    buf_append_str(&b, "=") == -1 ||
		    uri_escape(&b, values[best]) == -1)
			break;
	}
	free(done);
	return buf_steal(&b, NULL);
}

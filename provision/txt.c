#include <stdbool.h> /* before ldns: see provider_int.h */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/buf.h"
#include "common/util.h"
#include "keys/keys.h"
#include "provision/provider.h"

void
txt_record_cleanup(struct txt_record *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->s[i].data);
	free(r->s);
	r->s = NULL;
	r->n = 0;
}

void
txt_set_cleanup(struct txt_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		txt_record_cleanup(&s->rec[i]);
	free(s->rec);
	memset(s, 0, sizeof(*s));
}

void
txt_record_add_string(struct txt_record *r, const char *data, size_t len)
{
	r->s = xrealloc(r->s, (r->n + 1) * sizeof(*r->s));
	r->s[r->n].data = xmalloc(len + 1);
	memcpy(r->s[r->n].data, data, len);
	r->s[r->n].data[len] = '\0';
	r->s[r->n].len = len;
	r->n++;
}

void
txt_record_set_value(struct txt_record *r, const char *value, size_t len)
{
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	do {
		size_t chunk = len - off < KEYS_TXT_STRING_MAX
		                   ? len - off
		                   : KEYS_TXT_STRING_MAX;

		txt_record_add_string(r, value + off, chunk);
		off += chunk;
	} while (off < len);
}

char *
txt_record_value(const struct txt_record *r, size_t *len)
{
	size_t total = 0, off = 0;
	char *v;

	for (size_t i = 0; i < r->n; i++)
		total += r->s[i].len;
	v = xmalloc(total + 1);
	for (size_t i = 0; i < r->n; i++) {
		memcpy(v + off, r->s[i].data, r->s[i].len);
		off += r->s[i].len;
	}
	v[total] = '\0';
	if (len != NULL)
		*len = total;
	return v;
}

char *
txt_record_format(const struct txt_record *r)
{
	struct buf b;
	size_t len;

	buf_init(&b, 0);
	for (size_t i = 0; i < r->n; i++) {
		uint8_t wire[256];
		ldns_rdf *rdf;
		char *s;

		wire[0] = (uint8_t)r->s[i].len;
		memcpy(wire + 1, r->s[i].data, r->s[i].len);
		rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, r->s[i].len + 1,
		    wire);
		s = rdf != NULL ? ldns_rdf2str(rdf) : NULL;
		if (s == NULL ||
		    buf_printf(&b, "%s%s", i > 0 ? " " : "", s) == -1)
			die(1, "BUG: cannot format a TXT string");
		free(s);
		ldns_rdf_deep_free(rdf);
	}
	return buf_steal(&b, &len);
}

int
txt_record_parse(const char *text, struct txt_record *out, struct err *e)
{
	char *line = xasprintf("x. 0 IN TXT %s", text);
	ldns_rr *rr = NULL;
	ldns_status st;

	memset(out, 0, sizeof(*out));
	st = ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL);
	free(line);
	if (st != LDNS_STATUS_OK || ldns_rr_rd_count(rr) == 0) {
		ldns_rr_free(rr);
		return err_set(e, "not a TXT record in zone-file form: %s",
		    st != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(st)
		                         : "no string");
	}
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(rdf);

		txt_record_add_string(out, (const char *)d + 1, d[0]);
	}
	ldns_rr_free(rr);
	return 0;
}

bool
txt_record_equal(const struct txt_record *a, const struct txt_record *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->s[i].len != b->s[i].len ||
		    memcmp(a->s[i].data, b->s[i].data, a->s[i].len) != 0)
			return false;
	return true;
}

void
txt_set_add(struct txt_set *s, const struct txt_record *r)
{
	struct txt_record *c;

	s->rec = xrealloc(s->rec, (s->n + 1) * sizeof(*s->rec));
	c = &s->rec[s->n++];
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < r->n; i++)
		txt_record_add_string(c, r->s[i].data, r->s[i].len);
}

void
txt_set_copy(struct txt_set *dst, const struct txt_set *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++)
		txt_set_add(dst, &src->rec[i]);
	dst->ttl = src->ttl;
}

/* Whether every record of a is in b. */
static bool
txt_set_within(const struct txt_set *a, const struct txt_set *b)
{
	for (size_t i = 0; i < a->n; i++) {
		size_t j;

		for (j = 0; j < b->n; j++)
			if (txt_record_equal(&a->rec[i], &b->rec[j]))
				break;
		if (j == b->n)
			return false;
	}
	return true;
}

bool
txt_set_equal(const struct txt_set *a, const struct txt_set *b)
{
	if (a->n != b->n)
		return false;
	return txt_set_within(a, b) && txt_set_within(b, a);
}

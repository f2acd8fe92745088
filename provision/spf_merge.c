#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "dnscheck/spf.h"
#include "provision/merge.h"

static void add_warning(struct merge_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_warning(struct merge_result *r, const char *fmt, ...)
{
	size_t n = strlen(r->warnings);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(r->warnings)) {
		memcpy(r->warnings + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->warnings + n, sizeof(r->warnings) - n, fmt, ap);
	va_end(ap);
}

static void refuse(struct merge_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
refuse(struct merge_result *r, const char *fmt, ...)
{
	va_list ap;

	r->status = MERGE_REFUSED;
	free(r->record);
	r->record = NULL;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/* "ip4:A.B.C.D" or "ip6:ADDR": a single address needs no prefix length. */
static void
ip_term(const struct ipaddr *ip, char *dst, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(dst, len, "%s:%s", ip->family == AF_INET ? "ip4" : "ip6",
	    ip_format(ip, a, sizeof(a)));
}

/* The ip4/ip6 term of rec that contains ip, or NULL. */
static const struct spf_term *
covering_term(const struct spf_record *rec, const struct ipaddr *ip)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->terms[i];
		struct cidr c;

		if (t->kind != SPF_IP4 && t->kind != SPF_IP6)
			continue;
		c.net = t->ip;
		c.prefix = t->kind == SPF_IP4
		               ? (t->cidr4 < 0 ? 32u : (unsigned)t->cidr4)
		               : (t->cidr6 < 0 ? 128u : (unsigned)t->cidr6);
		if (cidr_contains(&c, ip))
			return t;
	}
	return NULL;
}

static bool
has_include(const struct spf_record *rec, const char *domain)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->terms[i];

		if (t->kind == SPF_INCLUDE &&
		    str_ieq(t->spec, t->spec_len, domain))
			return true;
	}
	return false;
}

/* Lint the operator should hear of, whatever we change. */
static void
warn_terms(const struct spf_record *rec, struct merge_result *r)
{
	for (size_t i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->terms[i];

		if (t->kind == SPF_ALL &&
		    (t->qualifier == '+' || t->qualifier == '?'))
			add_warning(r,
			    "the record ends in %.*s, which does not protect "
			    "the domain",
			    (int)t->text_len, t->text);
		if (t->kind == SPF_PTR)
			add_warning(r,
			    "\"%.*s\" is deprecated (RFC 7208 5.5) and slow",
			    (int)t->text_len, t->text);
	}
}

/* The terms to add: missing includes, then uncovered relay addresses. */
static int
collect_additions(const struct spf_merge_in *in, const struct spf_record *rec,
    struct buf *add, struct merge_result *r)
{
	char term[80];

	for (size_t i = 0; i < in->spf->include.n; i++)
		if (rec == NULL || !has_include(rec, in->spf->include.v[i]))
			if (buf_printf(add, " include:%s",
			        in->spf->include.v[i]) == -1)
				return -1;
	for (size_t i = 0; i < in->nips; i++) {
		const struct spf_term *t =
		    rec != NULL ? covering_term(rec, &in->ips[i]) : NULL;

		ip_term(&in->ips[i], term, sizeof(term));
		if (t != NULL && t->qualifier != '+') {
			refuse(r,
			    "the existing term \"%.*s\" does not pass the "
			    "relay "
			    "address %s; remove it first",
			    (int)t->text_len, t->text, term + 4);
			return -1;
		}
		if (t != NULL || (in->ip_passes != NULL && in->ip_passes[i]))
			continue;
		if (buf_printf(add, " %s", term) == -1)
			return -1;
	}
	return 0;
}

/* Build "v=spf1 <before all> <additions> <all and after>". */
static char *
splice(const struct spf_record *rec, const char *add)
{
	struct buf b;
	size_t at = rec->n;

	for (size_t i = 0; i < rec->n; i++)
		if (rec->terms[i].kind == SPF_ALL) {
			at = i;
			break;
		}
	buf_init(&b, 0);
	if (buf_append_str(&b, "v=spf1") == -1)
		die(1, "BUG: uncapped buffer");
	for (size_t i = 0; i <= rec->n; i++) {
		if (i == at && buf_append_str(&b, add) == -1)
			die(1, "BUG: uncapped buffer");
		if (i < rec->n && (buf_append(&b, " ", 1) == -1 ||
		                      buf_append(&b, rec->terms[i].text,
		                          rec->terms[i].text_len) == -1))
			die(1, "BUG: uncapped buffer");
	}
	return buf_steal(&b, NULL);
}

static void
merge_one(const struct spf_merge_in *in, const char *value,
    struct merge_result *r)
{
	struct spf_record rec;
	struct buf add;
	struct err e;

	if (spf_record_parse(value, strlen(value), &rec, &e) == -1) {
		refuse(r,
		    "the existing SPF record is broken (%s); fix it by "
		    "hand first",
		    e.msg);
		return;
	}
	warn_terms(&rec, r);
	buf_init(&add, 0);
	if (collect_additions(in, &rec, &add, r) == 0) {
		if (add.len == 0) {
			r->status = MERGE_UNCHANGED;
			r->record = xstrdup(value);
		} else {
			r->status = MERGE_UPDATE;
			r->record = splice(&rec, add.data);
		}
	}
	buf_cleanup(&add);
	spf_record_cleanup(&rec);
}

void
spf_merge(const struct spf_merge_in *in, struct merge_result *out)
{
	size_t nspf = 0;
	struct buf add;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->nvalues; i++) {
		if (!spf_record_is_spf(in->values[i], strlen(in->values[i])))
			continue;
		out->existing = i;
		nspf++;
	}
	if (nspf > 1) {
		refuse(out,
		    "the apex has %zu SPF records; RFC 7208 4.5 makes that a "
		    "permerror: merge them into one by hand first",
		    nspf);
		return;
	}
	if (nspf == 1) {
		merge_one(in, in->values[out->existing], out);
	} else {
		buf_init(&add, 0);
		if (collect_additions(in, NULL, &add, out) == 0) {
			out->status = MERGE_CREATE;
			out->record =
			    xasprintf("v=spf1%s %s", add.data, in->spf->all);
		}
		buf_cleanup(&add);
	}
	if (out->record != NULL && strlen(out->record) > SPF_MAX_RECORD)
		refuse(out,
		    "the SPF record would be %zu octets, over the %d that fit "
		    "a 512-byte answer (RFC 7208 3.4)",
		    strlen(out->record), SPF_MAX_RECORD);
}

void
merge_result_cleanup(struct merge_result *r)
{
	free(r->record);
	r->record = NULL;
}

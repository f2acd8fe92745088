#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "dnscheck/spf.h"
#include "dnscheck/text.h"

/*
 * Static walk of a domain's SPF record through include and redirect: the
 * count of DNS-querying terms (4.6.4) for the planner, and lint for the
 * operator. Terms with macros count once and are not followed.
 */

#define WALK_MAX_DEPTH 12
#define WALK_MAX_LOOKUPS 50 /* stop following past this: a loop */
#define WALK_MAX_TEXT ((size_t)64 * 1024)

struct walk {
	struct resolver *r;
	struct spf_lint *lint; /* NULL: only count */
	size_t lookups;
	size_t voids;
	struct err *e;
};

static void ERR_PRINTF(2, 3) warn(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->lint == NULL)
		return;
	va_start(ap, fmt);
	/* A full buffer (64 KiB of warnings) drops the rest. */
	if (buf_vprintf(&w->lint->warnings, fmt, ap) == 0 &&
	    buf_append(&w->lint->warnings, "\n", 1) == -1)
		w->lint->warnings.data[w->lint->warnings.len - 1] = '\n';
	va_end(ap);
}

static void
tree_line(struct walk *w, size_t depth, const char *text, size_t len)
{
	char safe[300];

	if (w->lint == NULL)
		return;
	text_escape(text, len, safe, sizeof(safe));
	if (buf_printf(&w->lint->tree, "%*s%s (%zu)\n", (int)(2 * depth), "",
	        safe, w->lookups) == -1)
		return; /* the tree is capped at 64 KiB */
}

static int walk_domain(struct walk *w, const char *domain, size_t depth,
    bool top);

/* Follow an include or redirect target written without macros. */
static int
walk_target(struct walk *w, const struct spf_term *t, size_t depth)
{
	char target[300];

	if (memchr(t->spec, '%', t->spec_len) != NULL ||
	    t->spec_len >= sizeof(target) || w->lookups > WALK_MAX_LOOKUPS)
		return 0;
	memcpy(target, t->spec, t->spec_len);
	target[t->spec_len] = '\0';
	return walk_domain(w, target, depth + 1, false);
}

static int
walk_record(struct walk *w, const char *domain, const char *text, size_t len,
    size_t depth, bool top)
{
	struct spf_record rec;
	int rc = 0;

	if (spf_record_parse(text, len, &rec, w->e) == -1)
		return err_prefix(w->e, "%s", domain);
	for (size_t i = 0; i < rec.n && rc == 0; i++) {
		const struct spf_term *t = &rec.terms[i];

		if (t->kind == SPF_PTR)
			warn(w,
			    "%s uses ptr, which RFC 7208 5.5 says not to use",
			    domain);
		if (top && t->kind == SPF_ALL &&
		    (t->qualifier == '+' || t->qualifier == '?'))
			warn(w,
			    "%s ends in %call: it authorises (or says "
			    "nothing about) every host",
			    domain, t->qualifier);
		if (!spf_term_queries_dns(t))
			continue;
		w->lookups++;
		tree_line(w, depth + 1, t->text, t->text_len);
		if (t->kind == SPF_INCLUDE || t->kind == SPF_REDIRECT)
			rc = walk_target(w, t, depth);
	}
	spf_record_cleanup(&rec);
	return rc;
}

/* The one SPF record of domain, or NULL (counted, warned). */
static const struct dns_rr *
find_record(struct walk *w, const char *domain, const struct dns_result *res,
    bool top)
{
	const struct dns_rr *text = NULL;
	size_t n = 0;

	for (size_t i = 0; i < res->n; i++)
		if (spf_record_is_spf(res->rr[i].text, res->rr[i].len)) {
			text = &res->rr[i];
			n++;
		}
	if (top && w->lint != NULL)
		w->lint->records = n;
	if (n == 0) {
		w->voids++;
		warn(w, "%s has no SPF record%s", domain,
		    top ? "" : ": every check through it is a permerror");
		return NULL;
	}
	if (n > 1) {
		warn(w, "%s has %zu SPF records: every check is a permerror",
		    domain, n);
		return NULL;
	}
	return text;
}

static void
lint_top(struct walk *w, const char *domain, const struct dns_result *res)
{
	const struct dns_result *t99;

	if (w->lint == NULL)
		return;
	w->lint->answer_len = res->wire_len;
	if (res->truncated || res->wire_len > 512) {
		w->lint->too_long = true;
		warn(w,
		    "the TXT answer for %s is %zu bytes: over 512, it needs "
		    "TCP or EDNS (RFC 7208 3.4)",
		    domain, res->wire_len);
	}
	t99 = resolver_query(w->r, domain, DNS_T_SPF);
	if (t99->status == DNS_OK) {
		w->lint->type99 = true;
		warn(w,
		    "%s has a deprecated SPF (type 99) record: remove it "
		    "(RFC 7208 3.1)",
		    domain);
	}
}

static int
walk_domain(struct walk *w, const char *domain, size_t depth, bool top)
{
	const struct dns_result *res;
	const struct dns_rr *text;

	if (depth > WALK_MAX_DEPTH)
		return 0; /* a loop: the count is past the limit already */
	res = resolver_query(w->r, domain, DNS_T_TXT);
	if (res->status == DNS_ERROR)
		return err_set(w->e, "%s: %s", domain,
		    resolver_status_text(res));
	if (top)
		lint_top(w, domain, res);
	if ((text = find_record(w, domain, res, top)) == NULL)
		return 0;
	return walk_record(w, domain, text->text, text->len, depth, top);
}

int
spf_count_lookups(struct resolver *r, const char *domain, const char *record,
    size_t *lookups, size_t *voids, struct err *e)
{
	struct walk w = { r, NULL, 0, 0, e };
	int rc;

	rc = record != NULL
	         ? walk_record(&w, domain, record, strlen(record), 0, true)
	         : walk_domain(&w, domain, 0, true);
	*lookups = w.lookups;
	*voids = w.voids;
	return rc;
}

void
spf_lint_run(struct resolver *r, const char *domain, struct spf_lint *out)
{
	struct err e;
	struct walk w = { r, out, 0, 0, &e };

	memset(out, 0, sizeof(*out));
	buf_init(&out->tree, WALK_MAX_TEXT);
	buf_init(&out->warnings, WALK_MAX_TEXT);
	if (buf_printf(&out->tree, "%s\n", domain) == -1)
		out->dns_error = true; /* cannot happen: the buffer is empty */
	if (walk_domain(&w, domain, 0, true) == -1) {
		out->dns_error = true;
		warn(&w, "%s", e.msg);
	}
	out->lookups = w.lookups;
	out->void_lookups = w.voids;
}

void
spf_lint_cleanup(struct spf_lint *l)
{
	buf_cleanup(&l->tree);
	buf_cleanup(&l->warnings);
}

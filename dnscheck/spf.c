#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "dnscheck/spf.h"
#include "dnscheck/text.h"

/* check_host() of RFC 7208 section 4, with the limits of 4.6.4. */

#define SPF_MAX_STEPS 400
#define SPF_MAX_DEPTH 24

enum mres { M_NOMATCH, M_MATCH, M_TEMP, M_PERM };

struct spf_ctx {
	struct resolver *r;
	struct ipaddr ip;
	char sender[600];
	const char *helo;
	const char *receiver;
	uint64_t now;
	const char *cur_domain; /* for %{p} */
	char ptr_name[300];
	struct spf_eval *ev;
	size_t steps_cap;
	char err_reason[512];   /* the first error: the innermost cause */
	char match_reason[512]; /* the last match: the outermost */
};

static const char *const result_names[] = { "none", "neutral", "pass", "fail",
	"softfail", "temperror", "permerror" };

const char *
spf_result_name(enum spf_result res)
{
	if ((size_t)res >= NELEM(result_names))
		return "permerror";
	return result_names[res];
}

void
spf_eval_cleanup(struct spf_eval *ev)
{
	for (size_t i = 0; i < ev->nsteps; i++) {
		free(ev->steps[i].domain);
		free(ev->steps[i].term);
		free(ev->steps[i].note);
	}
	free(ev->steps);
	free(ev->reason);
	free(ev->explanation);
	memset(ev, 0, sizeof(*ev));
}

/* Add a trace line; the trace is capped (its end says so). */
static void ERR_PRINTF(6, 7) step(struct spf_ctx *c, size_t depth,
    const char *domain, const char *term, size_t term_len, const char *fmt, ...)
{
	struct spf_eval *ev = c->ev;
	struct spf_step *s;
	char note[512], safe[600], dom[300];
	va_list ap;

	if (ev->nsteps >= SPF_MAX_STEPS)
		return;
	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	if (ev->nsteps == SPF_MAX_STEPS - 1)
		snprintf(note, sizeof(note), "(trace cut: over %d steps)",
		    SPF_MAX_STEPS);
	text_escape(note, strlen(note), safe, sizeof(safe));
	text_escape(domain, strlen(domain), dom, sizeof(dom));
	ev->steps = xreallocarray(ev->steps, &c->steps_cap, ev->nsteps + 1,
	    sizeof(*ev->steps));
	s = &ev->steps[ev->nsteps++];
	s->depth = depth;
	s->domain = xstrdup(dom);
	s->term = xstrndup(term, term_len);
	s->note = xstrdup(safe);
}

/* Why an evaluation ends in an error; the first reason wins. */
static void ERR_PRINTF(2, 3) reason(struct spf_ctx *c, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (c->err_reason[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	text_escape(text, strlen(text), c->err_reason, sizeof(c->err_reason));
}

/* A top label (7.1): letters, digits, inner hyphens; not all digits. */
static bool
toplabel_is_valid(const char *p, size_t n)
{
	bool alpha = false;

	if (n == 0 || p[0] == '-' || p[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)p[i]) && p[i] != '-')
			return false;
		alpha |= isalpha((unsigned char)p[i]) != 0 || p[i] == '-';
	}
	return alpha;
}

/*
 * 4.3: labels of 1 to 63 octets, at most 253, at least two labels, and a
 * real top label (so "[192.0.2.1]" and "1.2.3.4" are not domains).
 */
static bool
domain_is_valid(const char *d)
{
	size_t n = strlen(d), label = 0, labels = 0;
	const char *last = d;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || d[i] == '.') {
			if (label == 0 || label > 63)
				return false;
			labels++;
			last = d + i - label;
			label = 0;
		} else
			label++;
	}
	return labels >= 2 && toplabel_is_valid(last, (size_t)(d + n - last));
}

static bool
prefix_match(const struct ipaddr *net, const struct ipaddr *ip, int prefix)
{
	int bits = net->family == AF_INET ? 32 : 128;
	int full, rest;

	if (net->family != ip->family)
		return false;
	if (prefix < 0 || prefix > bits)
		prefix = bits;
	full = prefix / 8;
	rest = prefix % 8;
	if (memcmp(net->a, ip->a, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((net->a[full] ^ ip->a[full]) & (0xff << (8 - rest))) == 0;
}

static bool
name_eq_or_sub(const char *name, const char *target)
{
	size_t n = strlen(name), t = strlen(target);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (t > 0 && target[t - 1] == '.')
		t--;
	if (n == t)
		return strncasecmp(name, target, n) == 0;
	return n > t && name[n - t - 1] == '.' &&
	       strncasecmp(name + n - t, target, t) == 0;
}

/* Whether name has an address record equal to the client's (5.5). */
static bool
name_has_ip(struct spf_ctx *c, const char *name)
{
	const struct dns_result *res = resolver_query(c->r, name,
	    c->ip.family == AF_INET ? DNS_T_A : DNS_T_AAAA);

	if (res->status != DNS_OK)
		return false;
	for (size_t i = 0; i < res->n; i++)
		if (ip_equal(&res->rr[i].ip, &c->ip))
			return true;
	return false;
}

/*
 * The validated names of the client IP (5.5): at most 10 PTR names, each
 * kept when it resolves back. Fills names[] (borrowed from the resolver).
 */
static size_t
validated_names(struct spf_ctx *c, const char **names, bool *dns_error)
{
	char rev[80];
	const struct dns_result *res;
	size_t n = 0;

	resolver_reverse_name(&c->ip, rev, sizeof(rev));
	res = resolver_query(c->r, rev, DNS_T_PTR);
	*dns_error = res->status == DNS_ERROR;
	if (res->status != DNS_OK)
		return 0;
	for (size_t i = 0; i < res->n && i < SPF_MAX_NAMES; i++)
		if (name_has_ip(c, res->rr[i].text))
			names[n++] = res->rr[i].text;
	return n;
}

/* %{p}: the current domain if validated, else a subdomain, else any. */
static const char *
ptr_cb(void *arg)
{
	struct spf_ctx *c = arg;
	const char *names[SPF_MAX_NAMES];
	const char *pick = NULL;
	bool err;
	size_t n = validated_names(c, names, &err);

	for (size_t i = 0; i < n && pick == NULL; i++)
		if (strcasecmp(names[i], c->cur_domain) == 0)
			pick = names[i];
	for (size_t i = 0; i < n && pick == NULL; i++)
		if (name_eq_or_sub(names[i], c->cur_domain))
			pick = names[i];
	if (pick == NULL && n > 0)
		pick = names[0];
	if (pick == NULL ||
	    str_copy(c->ptr_name, sizeof(c->ptr_name), pick) == -1)
		return NULL;
	return c->ptr_name;
}

static int
expand(struct spf_ctx *c, const char *domain, const char *p, size_t len,
    bool exp, struct buf *out, struct err *e)
{
	struct spf_macro_ctx m = { c->sender, domain, &c->ip, c->helo,
		c->receiver, c->now, ptr_cb, c };

	c->cur_domain = domain;
	return spf_macro_expand(p, len, &m, exp, out, e);
}

/* The target name of a term: its expanded domain-spec, or <domain>. */
static int
target_name(struct spf_ctx *c, const struct spf_term *t, const char *domain,
    char *dst, size_t dstlen)
{
	struct buf out;
	struct err e;
	int rc = 0;

	if (t->spec_len == 0)
		return str_copy(dst, dstlen, domain);
	buf_init(&out, SPF_MAX_EXPAND);
	if (expand(c, domain, t->spec, t->spec_len, false, &out, &e) == -1) {
		reason(c, "%s: \"%.*s\": %s", domain, (int)t->text_len, t->text,
		    e.msg);
		rc = -1;
	} else {
		spf_name_truncate(out.data);
		if (str_copy(dst, dstlen, out.data) == -1)
			rc = -1;
	}
	buf_cleanup(&out);
	return rc;
}

/* Count a DNS-querying term; M_PERM past the limit of 10. */
static enum mres
count_lookup(struct spf_ctx *c, const char *domain, const struct spf_term *t)
{
	if (++c->ev->lookups <= SPF_MAX_LOOKUPS)
		return M_NOMATCH;
	reason(c,
	    "%s: \"%.*s\" is DNS-querying term number %zu: the limit "
	    "is %d (RFC 7208 4.6.4)",
	    domain, (int)t->text_len, t->text, c->ev->lookups, SPF_MAX_LOOKUPS);
	return M_PERM;
}

/* Map a term's look-up status; counts void look-ups (4.6.4). */
static enum mres
lookup_status(struct spf_ctx *c, const char *domain, const char *name,
    const struct dns_result *res)
{
	if (res->status == DNS_ERROR) {
		reason(c, "%s: DNS error looking up %s: %s", domain, name,
		    resolver_status_text(res));
		return M_TEMP;
	}
	if (res->status == DNS_OK)
		return M_MATCH;
	if (++c->ev->void_lookups > SPF_MAX_VOID) {
		reason(c,
		    "%s: %s is void look-up number %zu: the limit is %d "
		    "(RFC 7208 4.6.4)",
		    domain, name, c->ev->void_lookups, SPF_MAX_VOID);
		return M_PERM;
	}
	return M_NOMATCH;
}

static bool
addr_match(const struct spf_ctx *c, const struct dns_result *res,
    const struct spf_term *t)
{
	int prefix = c->ip.family == AF_INET ? t->cidr4 : t->cidr6;

	for (size_t i = 0; i < res->n; i++)
		if (prefix_match(&res->rr[i].ip, &c->ip, prefix))
			return true;
	return false;
}

static enum mres
mech_a(struct spf_ctx *c, const struct spf_term *t, const char *target,
    const char *domain)
{
	const struct dns_result *res = resolver_query(c->r, target,
	    c->ip.family == AF_INET ? DNS_T_A : DNS_T_AAAA);
	enum mres m = lookup_status(c, domain, target, res);

	if (m != M_MATCH)
		return m;
	return addr_match(c, res, t) ? M_MATCH : M_NOMATCH;
}

static enum mres
mech_mx(struct spf_ctx *c, const struct spf_term *t, const char *target,
    const char *domain)
{
	const struct dns_result *mx = resolver_query(c->r, target, DNS_T_MX);
	enum mres m = lookup_status(c, domain, target, mx);

	if (m != M_MATCH)
		return m;
	if (mx->n > SPF_MAX_NAMES) {
		reason(c,
		    "%s: %s has %zu MX names: the limit is %d (RFC 7208 "
		    "4.6.4)",
		    domain, target, mx->n, SPF_MAX_NAMES);
		return M_PERM;
	}
	for (size_t i = 0; i < mx->n; i++) {
		const struct dns_result *res;

		if (mx->rr[i].text[0] == '\0' ||
		    strcmp(mx->rr[i].text, ".") == 0)
			continue; /* null MX */
		res = resolver_query(c->r, mx->rr[i].text,
		    c->ip.family == AF_INET ? DNS_T_A : DNS_T_AAAA);
		if (res->status == DNS_ERROR) {
			reason(c, "%s: DNS error looking up %s: %s", domain,
			    mx->rr[i].text, resolver_status_text(res));
			return M_TEMP;
		}
		if (res->status == DNS_OK && addr_match(c, res, t))
			return M_MATCH;
	}
	return M_NOMATCH;
}

static enum mres
mech_ptr(struct spf_ctx *c, const char *target)
{
	const char *names[SPF_MAX_NAMES];
	bool err;
	size_t n = validated_names(c, names, &err);

	/* A DNS error in the PTR look-up is no match (5.5). */
	for (size_t i = 0; i < n; i++)
		if (name_eq_or_sub(names[i], target))
			return M_MATCH;
	return M_NOMATCH;
}

static enum mres
mech_exists(struct spf_ctx *c, const char *target, const char *domain)
{
	/* Always an A query, whatever the client's family (5.7). */
	return lookup_status(c, domain, target,
	    resolver_query(c->r, target, DNS_T_A));
}

static enum spf_result eval_domain(struct spf_ctx *c, const char *domain,
    size_t depth, char **explanation);

/* include (5.2): pass matches; none and errors become errors. */
static enum mres
mech_include(struct spf_ctx *c, const char *target, const char *domain,
    size_t depth)
{
	enum spf_result r = eval_domain(c, target, depth + 1, NULL);

	switch (r) {
	case SPF_PASS:
		return M_MATCH;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		return M_NOMATCH;
	case SPF_TEMPERROR:
		return M_TEMP;
	case SPF_NONE:
		reason(c, "%s: include:%s has no SPF record", domain, target);
		return M_PERM;
	default:
		return M_PERM;
	}
}

static enum mres
mech_ip(const struct spf_ctx *c, const struct spf_term *t)
{
	int prefix = t->kind == SPF_IP4 ? t->cidr4 : t->cidr6;

	return prefix_match(&t->ip, &c->ip, prefix) ? M_MATCH : M_NOMATCH;
}

/* Evaluate one mechanism of domain's record. */
static enum mres
mechanism(struct spf_ctx *c, const struct spf_term *t, const char *domain,
    size_t depth)
{
	char target[300];
	enum mres m;

	if (t->kind == SPF_ALL)
		return M_MATCH;
	if (t->kind == SPF_IP4 || t->kind == SPF_IP6)
		return mech_ip(c, t);
	if ((m = count_lookup(c, domain, t)) != M_NOMATCH)
		return m;
	if (target_name(c, t, domain, target, sizeof(target)) == -1)
		return M_PERM;
	if (t->kind == SPF_INCLUDE)
		return mech_include(c, target, domain, depth);
	if (!domain_is_valid(target)) {
		step(c, depth, domain, t->text, t->text_len,
		    "%s is not a valid name: no match", target);
		return M_NOMATCH;
	}
	switch (t->kind) {
	case SPF_A:
		return mech_a(c, t, target, domain);
	case SPF_MX:
		return mech_mx(c, t, target, domain);
	case SPF_PTR:
		return mech_ptr(c, target);
	default:
		return mech_exists(c, target, domain);
	}
}

/* The TXT text of domain's one SPF record, or a result when there is none. */
static enum spf_result
fetch_record(struct spf_ctx *c, const char *domain, size_t depth,
    const struct dns_rr **out)
{
	const struct dns_result *res = resolver_query(c->r, domain, DNS_T_TXT);
	size_t found = 0;

	if (res->status == DNS_ERROR) {
		reason(c, "%s: DNS error fetching the SPF record: %s", domain,
		    resolver_status_text(res));
		step(c, depth, domain, "record", 6, "temperror: %s",
		    resolver_status_text(res));
		return SPF_TEMPERROR;
	}
	for (size_t i = 0; i < res->n; i++)
		if (spf_record_is_spf(res->rr[i].text, res->rr[i].len)) {
			*out = &res->rr[i];
			found++;
		}
	if (found == 0) {
		step(c, depth, domain, "record", 6, "none: no SPF record (%s)",
		    res->status == DNS_OK ? "no v=spf1 TXT"
		                          : resolver_status_text(res));
		reason(c, "%s has no SPF record", domain);
		return SPF_NONE;
	}
	if (found > 1) {
		step(c, depth, domain, "record", 6,
		    "permerror: %zu SPF records", found);
		reason(c,
		    "%s has %zu SPF records: there must be one (RFC "
		    "7208 4.5)",
		    domain, found);
		return SPF_PERMERROR;
	}
	step(c, depth, domain, "record", 6, "\"%s\"", (*out)->text);
	return SPF_PASS;
}

/* The explanation of a fail (6.2); NULL when there is none usable. */
static char *
explain(struct spf_ctx *c, const struct spf_record *rec, const char *domain)
{
	const struct spf_term *t = NULL;
	const struct dns_result *res;
	char target[300];
	struct buf out;
	struct err e;
	char *text = NULL;

	for (size_t i = 0; i < rec->n; i++)
		if (rec->terms[i].kind == SPF_EXP)
			t = &rec->terms[i];
	if (t == NULL ||
	    target_name(c, t, domain, target, sizeof(target)) == -1)
		return NULL;
	res = resolver_query(c->r, target, DNS_T_TXT);
	if (res->status != DNS_OK || res->n != 1)
		return NULL;
	buf_init(&out, SPF_MAX_EXPAND);
	if (expand(c, domain, res->rr[0].text, res->rr[0].len, true, &out,
	        &e) == 0 &&
	    text_is_printable(out.data, out.len))
		text = buf_steal(&out, NULL);
	buf_cleanup(&out);
	return text;
}

static const enum spf_result qualifier_results[] = {
	['+'] = SPF_PASS,
	['-'] = SPF_FAIL,
	['~'] = SPF_SOFTFAIL,
	['?'] = SPF_NEUTRAL,
};

static const char *const mres_names[] = { "no match", "match", "temperror",
	"permerror" };

/* Why the evaluation matched: the term, escaped for printing. */
static void
match_reason(struct spf_ctx *c, const char *domain, const struct spf_term *t)
{
	char text[600];

	snprintf(text, sizeof(text), "%s: \"%.*s\" matched", domain,
	    (int)t->text_len, t->text);
	text_escape(text, strlen(text), c->match_reason,
	    sizeof(c->match_reason));
}

/* redirect= (6.1): the target's result; none there is a permerror. */
static enum spf_result
eval_redirect(struct spf_ctx *c, const struct spf_term *t, const char *domain,
    size_t depth, char **explanation)
{
	char target[300];
	enum spf_result r;

	if (count_lookup(c, domain, t) != M_NOMATCH ||
	    target_name(c, t, domain, target, sizeof(target)) == -1)
		return SPF_PERMERROR;
	step(c, depth, domain, t->text, t->text_len, "redirect to %s", target);
	r = eval_domain(c, target, depth + 1, explanation);
	if (r == SPF_NONE) {
		reason(c, "%s: redirect=%s has no SPF record", domain, target);
		return SPF_PERMERROR;
	}
	return r;
}

/* Evaluate rec's mechanisms in order, then redirect (4.6, 6.1). */
static enum spf_result
eval_record(struct spf_ctx *c, const struct spf_record *rec, const char *domain,
    size_t depth, char **explanation)
{
	const struct spf_term *redirect = NULL;
	bool has_all = false;

	for (size_t i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->terms[i];
		enum mres m;

		if (t->kind == SPF_REDIRECT)
			redirect = t;
		has_all |= t->kind == SPF_ALL;
		if (t->kind >= SPF_REDIRECT)
			continue;
		m = mechanism(c, t, domain, depth);
		step(c, depth, domain, t->text, t->text_len, "%s",
		    mres_names[m]);
		if (m == M_TEMP)
			return SPF_TEMPERROR;
		if (m == M_PERM)
			return SPF_PERMERROR;
		if (m == M_MATCH) {
			enum spf_result r =
			    qualifier_results[(unsigned char)t->qualifier];

			match_reason(c, domain, t);
			if (r == SPF_FAIL && explanation != NULL)
				*explanation = explain(c, rec, domain);
			return r;
		}
	}
	if (redirect == NULL || has_all) {
		if (depth == 0)
			c->match_reason[0] = '\0'; /* stale from an include */
		return SPF_NEUTRAL;
	}
	return eval_redirect(c, redirect, domain, depth, explanation);
}

/* check_host(ip, domain, sender) for one domain (4). */
static enum spf_result
eval_domain(struct spf_ctx *c, const char *domain, size_t depth,
    char **explanation)
{
	const struct dns_rr *txt = NULL;
	struct spf_record rec;
	enum spf_result r;
	struct err e;

	if (depth > SPF_MAX_DEPTH) {
		reason(c, "%s: includes nested too deeply", domain);
		return SPF_PERMERROR;
	}
	if (!domain_is_valid(domain)) {
		step(c, depth, domain, "record", 6, "none: not a valid domain");
		reason(c, "\"%s\" is not a valid domain name", domain);
		return SPF_NONE;
	}
	if ((r = fetch_record(c, domain, depth, &txt)) != SPF_PASS)
		return r;
	if (spf_record_parse(txt->text, txt->len, &rec, &e) == -1) {
		step(c, depth, domain, "record", 6, "permerror: %s", e.msg);
		reason(c, "%s: %s", domain, e.msg);
		return SPF_PERMERROR;
	}
	r = eval_record(c, &rec, domain, depth, explanation);
	spf_record_cleanup(&rec);
	return r;
}

/* The sender as 4.3 wants it: local@domain, postmaster when missing. */
static void
sender_setup(struct spf_ctx *c, const struct spf_query *q)
{
	const char *s = q->sender != NULL ? q->sender : "";

	if (s[0] == '\0')
		snprintf(c->sender, sizeof(c->sender), "postmaster@%s",
		    q->helo != NULL ? q->helo : "");
	else if (s[0] == '@')
		snprintf(c->sender, sizeof(c->sender), "postmaster%s", s);
	else if (strchr(s, '@') == NULL)
		snprintf(c->sender, sizeof(c->sender), "postmaster@%s", s);
	else
		snprintf(c->sender, sizeof(c->sender), "%s", s);
}

void
spf_check_host(struct resolver *r, const struct spf_query *q,
    struct spf_eval *out)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };
	struct spf_ctx *c = xcalloc(1, sizeof(*c));
	size_t before = resolver_queries(r);
	uint64_t deadline = resolver_now_ms() + SPF_MAX_MS, prev;
	const char *domain;

	memset(out, 0, sizeof(*out));
	c->r = r;
	c->ev = out;
	c->ip = q->ip;
	/* An IPv4-mapped IPv6 client is the IPv4 client it maps. */
	if (c->ip.family == AF_INET6 &&
	    memcmp(c->ip.a, v4mapped, sizeof(v4mapped)) == 0) {
		c->ip.family = AF_INET;
		memmove(c->ip.a, q->ip.a + 12, 4);
		memset(c->ip.a + 4, 0, 12);
	}
	c->helo = q->helo;
	c->receiver = q->receiver;
	c->now = q->now;
	sender_setup(c, q);
	domain = q->domain != NULL ? q->domain : strrchr(c->sender, '@') + 1;
	/* 4.6.4: bounded time; a tighter deadline of the caller stays. */
	prev = resolver_set_deadline(r, deadline);
	if (prev != 0 && prev < deadline)
		resolver_set_deadline(r, prev);
	out->result = eval_domain(c, domain, 0, &out->explanation);
	resolver_set_deadline(r, prev);
	if (out->result == SPF_PASS || out->result == SPF_FAIL ||
	    out->result == SPF_SOFTFAIL ||
	    (out->result == SPF_NEUTRAL && c->match_reason[0] != '\0'))
		out->reason = xstrdup(c->match_reason);
	else if (out->result == SPF_NEUTRAL)
		out->reason = xstrdup("no term matched: neutral by default");
	else
		out->reason = xstrdup(c->err_reason[0] != '\0'
		                          ? c->err_reason
		                          : spf_result_name(out->result));
	out->dns_queries = resolver_queries(r) - before;
	free(c);
}

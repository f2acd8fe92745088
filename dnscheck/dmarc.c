#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "common/util.h"
#include "dnscheck/dmarc.h"
#include "dnscheck/report.h"
#include "dnscheck/tags.h"

/* The DMARC check (RFC 7489 6.3; organizational domain from libpsl). */

struct dmarc_tag_rule {
	const char *name;
	const char *const *allowed; /* NULL: check() decides */
	bool (*check)(const char *v);
	bool list; /* a ':' separated list of allowed values */
};

static const char *const policies[] = { "none", "quarantine", "reject", NULL };
static const char *const aligns[] = { "r", "s", NULL };
static const char *const fo_values[] = { "0", "1", "d", "s", NULL };
static const char *const rf_values[] = { "afrf", NULL };
static const char *const yn_values[] = { "y", "n", NULL };
static const char *const psd_values[] = { "y", "n", "u", NULL };

static bool
check_pct(const char *v)
{
	uint64_t n;

	return parse_u64(v, 0, 100, &n) == 0;
}

static bool
check_ri(const char *v)
{
	uint64_t n;

	return parse_u64(v, 0, UINT32_MAX, &n) == 0;
}

/* rua=/ruf=: "mailto:local@domain[!size]" URIs separated by commas (6.2). */
static bool
check_uris(const char *v)
{
	const char *p = v;

	for (;;) {
		size_t n = strcspn(p, ",");
		const char *at = memchr(p, '@', n);

		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n < 8 || strncasecmp(p, "mailto:", 7) != 0 || at == NULL ||
		    at == p + 7 || at + 1 >= p + n || at[1] == '!')
			return false;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

static const struct dmarc_tag_rule dmarc_rules[] = {
	{ "p", policies, NULL, false },
	{ "sp", policies, NULL, false },
	{ "np", policies, NULL, false },
	{ "adkim", aligns, NULL, false },
	{ "aspf", aligns, NULL, false },
	{ "fo", fo_values, NULL, true },
	{ "rf", rf_values, NULL, true },
	{ "t", yn_values, NULL, false },
	{ "psd", psd_values, NULL, false },
	{ "pct", NULL, check_pct, false },
	{ "ri", NULL, check_ri, false },
	{ "rua", NULL, check_uris, false },
	{ "ruf", NULL, check_uris, false },
};

/* Whether v (or each ':' part of it, for a list) is an allowed value. */
static bool
value_allowed(const struct dmarc_tag_rule *rule, const char *v)
{
	size_t n;

	if (rule->check != NULL)
		return rule->check(v);
	do {
		bool ok = false;

		n = rule->list ? strcspn(v, ":") : strlen(v);
		for (size_t k = 0; rule->allowed[k] != NULL; k++)
			ok |= strlen(rule->allowed[k]) == n &&
			      strncmp(rule->allowed[k], v, n) == 0;
		if (!ok)
			return false;
		v += n;
	} while (*v++ == ':');
	return true;
}

/* Check every tag's value; -1 with the reason in dst. */
static int
dmarc_validate(const struct taglist *t, char *dst, size_t dstlen)
{
	if (t->n == 0 || strcmp(t->v[0].name, "v") != 0 ||
	    strcmp(t->v[0].value, "DMARC1") != 0)
		return snprintf(dst, dstlen, "v=DMARC1 must come first"), -1;
	for (size_t i = 1; i < t->n; i++) {
		const struct dmarc_tag_rule *rule = NULL;

		for (size_t k = 0; k < NELEM(dmarc_rules); k++)
			if (strcmp(dmarc_rules[k].name, t->v[i].name) == 0)
				rule = &dmarc_rules[k];
		/* Unknown tags are ignored (6.3). */
		if (rule != NULL && !value_allowed(rule, t->v[i].value))
			return snprintf(dst, dstlen, "%s=%s is not valid",
			           t->v[i].name, t->v[i].value),
			       -1;
	}
	/* 6.6.3: no p= is p=none when rua= is valid, else no policy. */
	if (taglist_get(t, "p") == NULL && taglist_get(t, "rua") == NULL)
		return snprintf(dst, dstlen, "no p= tag"), -1;
	return 0;
}

/* The organizational domain (RFC 7489 3.2); caller frees. */
static char *
org_domain(const char *domain)
{
	const psl_ctx_t *psl = psl_builtin();
	const char *reg =
	    psl != NULL ? psl_registrable_domain(psl, domain) : NULL;

	return xstrdup(reg != NULL ? reg : domain);
}

/*
 * The DMARC record at _dmarc.name: the number of DMARC records found (the
 * first in *text), or -1 on a DNS error. *other: TXT that is not DMARC.
 */
static int
dmarc_fetch(struct resolver *r, const char *name, const struct dns_rr **text,
    bool *other)
{
	char q[600];
	const struct dns_result *res;
	int n = 0;

	snprintf(q, sizeof(q), "_dmarc.%s", name);
	res = resolver_query(r, q, DNS_T_TXT);
	if (res->status == DNS_ERROR)
		return -1;
	for (size_t i = 0; i < res->n; i++) {
		/* 6.6.3: "v=DMARC1" then white space or ";". */
		const char *t = res->rr[i].text;

		if (strncmp(t, "v=DMARC1", 8) == 0 &&
		    (t[8] == '\0' || t[8] == ';' || t[8] == ' ' ||
		        t[8] == '\t')) {
			if (n++ == 0)
				*text = &res->rr[i];
		} else if (other != NULL)
			*other = true;
	}
	return n;
}

/*
 * DMARCbis (the successor of RFC 7489) walks the DNS tree from the domain
 * upwards instead of using the public suffix list: the first name between
 * domain and org with a record is where it would find the policy.
 */
static void
dmarcbis_walk(struct resolver *r, const char *domain, const char *org,
    char *dst, size_t dstlen)
{
	const char *p = strchr(domain, '.');
	size_t orglen = strlen(org);
	int labels = 0;

	dst[0] = '\0';
	for (; p != NULL && strlen(p + 1) > orglen && labels < 8;
	     p = strchr(p + 1, '.'), labels++) {
		const struct dns_rr *text;

		if (dmarc_fetch(r, p + 1, &text, NULL) > 0) {
			snprintf(dst, dstlen,
			    "; DMARCbis's tree walk would use _dmarc.%s "
			    "instead",
			    p + 1);
			return;
		}
	}
}

/* Whether report domain dom accepts reports for domain (RFC 7489 7.1). */
static const char *
rua_authorised(struct resolver *r, const char *domain, const char *dom, char *q,
    size_t qlen)
{
	const struct dns_result *res;

	snprintf(q, qlen, "%s._report._dmarc.%s", domain, dom);
	res = resolver_query(r, q, DNS_T_TXT);
	if (res->status == DNS_ERROR)
		return "could not be asked whether it authorises";
	for (size_t i = 0; i < res->n; i++)
		if (strncmp(res->rr[i].text, "v=DMARC1", 8) == 0)
			return NULL;
	return "does not authorise";
}

/* External rua= domains must authorise themselves; notes go to dst. */
static void
dmarc_rua_check(struct resolver *r, const char *domain, const char *rua,
    char *dst, size_t dstlen)
{
	char *list = xstrdup(rua), *save = list, *uri;
	char *org = org_domain(domain);
	size_t o = 0;

	dst[0] = '\0';
	while ((uri = strsep(&list, ",")) != NULL) {
		const char *at = strrchr(uri, '@'), *why;
		char q[700], *dom, *rorg;
		int n;

		if (at == NULL)
			continue;
		dom = xstrndup(at + 1, strcspn(at + 1, "! \t"));
		rorg = org_domain(dom);
		if (strcasecmp(rorg, org) != 0 &&
		    (why = rua_authorised(r, domain, dom, q, sizeof(q))) !=
		        NULL &&
		    o < dstlen) {
			n = snprintf(dst + o, dstlen - o,
			    "; %s %s reports for %s (no %s)", dom, why, domain,
			    q);
			o += n > 0 ? (size_t)n : 0;
		}
		free(rorg);
		free(dom);
	}
	free(org);
	free(save);
}

static void
dmarc_judge(struct resolver *r, const char *domain, const char *found_at,
    const char *org, const struct dns_rr *text, struct domain_report *d)
{
	char why[300], rua_note[800], bis[400], detail[2400];
	struct taglist t;
	struct err e = { "" };
	const char *p, *sp, *pct, *rua, *ruf, *adkim, *aspf;
	size_t n;

	if (taglist_parse(text->text, text->len, &t, &e) == -1 ||
	    dmarc_validate(&t, why, sizeof(why)) == -1) {
		snprintf(detail, sizeof(detail), "_dmarc.%s: %s", found_at,
		    t.n == 0 && e.msg[0] != '\0' ? e.msg : why);
		report_add(d, CHECK_DMARC, CHECK_WARN, NULL, NULL, NULL, detail,
		    "publish a valid record such as \"v=DMARC1; p=none; "
		    "rua=mailto:dmarc@DOMAIN\"");
		taglist_cleanup(&t);
		return;
	}
	p = taglist_get(&t, "p");
	sp = taglist_get(&t, "sp");
	pct = taglist_get(&t, "pct");
	rua = taglist_get(&t, "rua");
	ruf = taglist_get(&t, "ruf");
	adkim = taglist_get(&t, "adkim");
	aspf = taglist_get(&t, "aspf");
	rua_note[0] = '\0';
	dmarcbis_walk(r, domain, org, bis, sizeof(bis));
	/* External report addresses must accept the reports (7.1). */
	if (rua != NULL)
		dmarc_rua_check(r, found_at, rua, rua_note, sizeof(rua_note));
	n = strlen(rua_note);
	if (ruf != NULL && ruf != rua)
		dmarc_rua_check(r, found_at, ruf, rua_note + n,
		    sizeof(rua_note) - n);
	/* The relay sends as DOMAIN and signs with d=DOMAIN: both align. */
	snprintf(detail, sizeof(detail),
	    "_dmarc.%s: p=%s sp=%s pct=%s rua=%s; policy for %s: %s; mail "
	    "from this relay aligns (SPF %s, DKIM %s: envelope and d= are "
	    "%s)%s%s%s",
	    found_at, p != NULL ? p : "none", sp != NULL ? sp : "(p)",
	    pct != NULL ? pct : "100", rua != NULL ? rua : "(none)", domain,
	    strcasecmp(found_at, domain) != 0 && sp != NULL ? sp
	    : p != NULL                                     ? p
	                                                    : "none",
	    aspf != NULL && strcmp(aspf, "s") == 0 ? "strict" : "relaxed",
	    adkim != NULL && strcmp(adkim, "s") == 0 ? "strict" : "relaxed",
	    domain, pct != NULL ? "; DMARCbis drops pct= for t=" : "", bis,
	    rua_note);
	report_add(d, CHECK_DMARC,
	    rua_note[0] != '\0' || bis[0] != '\0' ? CHECK_WARN : CHECK_OK, NULL,
	    NULL, NULL, detail, NULL);
	taglist_cleanup(&t);
}

static void
dmarc_missing(const char *domain, const char *org, bool other, int n,
    struct domain_report *d)
{
	char detail[900];
	bool sub = strcasecmp(org, domain) != 0;

	snprintf(detail, sizeof(detail), "%s at _dmarc.%s%s%s%s",
	    n > 1 ? "several DMARC records (receivers ignore them all)"
	          : "no DMARC record",
	    domain, sub && n <= 1 ? " nor _dmarc." : "",
	    sub && n <= 1 ? org : "",
	    other ? "; a TXT there is not DMARC (left alone)" : "");
	report_add(d, CHECK_DMARC, CHECK_WARN, NULL, NULL, NULL, detail,
	    n > 1 ? "keep one v=DMARC1 record"
	          : "add dmarc: { policy: none, rua: ... } to the domain and "
	            "run `postern apply`");
}

void
report_check_dmarc(struct resolver *r, const char *domain,
    struct domain_report *d)
{
	char *org = org_domain(domain);
	const struct dns_rr *text = NULL;
	const char *at = domain;
	char detail[800];
	bool other = false;
	int rc = dmarc_fetch(r, domain, &text, &other);

	/* RFC 7489 6.6.3: no record at the domain: the organizational one. */
	if (rc == 0 && strcasecmp(org, domain) != 0) {
		rc = dmarc_fetch(r, org, &text, NULL);
		at = org;
	}
	if (rc == -1) {
		snprintf(detail, sizeof(detail), "_dmarc.%s: DNS error", at);
		report_add(d, CHECK_DMARC, CHECK_TEMPERROR, NULL, NULL, NULL,
		    detail, NULL);
	} else if (rc != 1)
		dmarc_missing(domain, org, other, rc, d);
	else
		dmarc_judge(r, domain, at, org, text, d);
	free(org);
}

int
dmarc_record_check(const char *p, size_t len, char *why, size_t whylen)
{
	struct taglist t;
	struct err e;
	int rc;

	if (taglist_parse(p, len, &t, &e) == -1) {
		snprintf(why, whylen, "%s", e.msg);
		return -1;
	}
	rc = dmarc_validate(&t, why, whylen);
	taglist_cleanup(&t);
	return rc;
}

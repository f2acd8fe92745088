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
	const char *const *allowed; /* NULL: free text */
};

static const char *const policies[] = { "none", "quarantine", "reject", NULL };
static const char *const aligns[] = { "r", "s", NULL };

static const struct dmarc_tag_rule dmarc_rules[] = {
	{ "v", NULL },
	{ "p", policies },
	{ "sp", policies },
	{ "adkim", aligns },
	{ "aspf", aligns },
	{ "pct", NULL },
	{ "rua", NULL },
	{ "ruf", NULL },
	{ "fo", NULL },
	{ "rf", NULL },
	{ "ri", NULL },
	{ "np", policies },
	{ "psd", NULL },
	{ "t", NULL },
};

/* Check every tag's value; -1 with the reason in dst. */
static int
dmarc_validate(const struct taglist *t, char *dst, size_t dstlen)
{
	const char *pct = taglist_get(t, "pct");
	uint64_t v;

	if (t->n == 0 || strcmp(t->v[0].name, "v") != 0 ||
	    strcmp(t->v[0].value, "DMARC1") != 0)
		return snprintf(dst, dstlen, "v=DMARC1 must come first"), -1;
	for (size_t i = 0; i < t->n; i++) {
		const struct dmarc_tag_rule *rule = NULL;
		bool ok = false;

		for (size_t k = 0; k < NELEM(dmarc_rules); k++)
			if (strcmp(dmarc_rules[k].name, t->v[i].name) == 0)
				rule = &dmarc_rules[k];
		if (rule == NULL || rule->allowed == NULL)
			continue; /* unknown tags are ignored (6.3) */
		for (size_t k = 0; rule->allowed[k] != NULL; k++)
			ok |= strcmp(rule->allowed[k], t->v[i].value) == 0;
		if (!ok)
			return snprintf(dst, dstlen, "%s=%s is not valid",
			           t->v[i].name, t->v[i].value),
			       -1;
	}
	if (pct != NULL && parse_u64(pct, 0, 100, &v) == -1)
		return snprintf(dst, dstlen, "pct=%s is not 0 to 100", pct), -1;
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

/* The DMARC record at _dmarc.name: 1 found, 0 none, -1 DNS error. */
static int
dmarc_fetch(struct resolver *r, const char *name, const char **text)
{
	char q[600];
	const struct dns_result *res;

	snprintf(q, sizeof(q), "_dmarc.%s", name);
	res = resolver_query(r, q, DNS_T_TXT);
	if (res->status == DNS_ERROR)
		return -1;
	for (size_t i = 0; i < res->n; i++)
		if (strncasecmp(res->rr[i].text, "v=DMARC1", 8) == 0) {
			*text = res->rr[i].text;
			return 1;
		}
	return 0;
}

/* External rua= domains must authorise themselves (RFC 7489 7.1). */
static void
dmarc_rua_check(struct resolver *r, const char *domain, const char *rua,
    char *dst, size_t dstlen)
{
	char *list = xstrdup(rua), *save = list, *uri;
	char *org = org_domain(domain);

	dst[0] = '\0';
	while ((uri = strsep(&list, ",")) != NULL) {
		const char *at = strrchr(uri, '@');
		char q[700], *dom, *rorg, *bang;

		if (at == NULL)
			continue;
		dom = xstrdup(at + 1);
		if ((bang = strchr(dom, '!')) != NULL)
			*bang = '\0';
		rorg = org_domain(dom);
		if (strcasecmp(rorg, org) != 0) {
			const struct dns_result *res;

			snprintf(q, sizeof(q), "%s._report._dmarc.%s", domain,
			    dom);
			res = resolver_query(r, q, DNS_T_TXT);
			if (res->status != DNS_OK ||
			    strncasecmp(res->rr[0].text, "v=DMARC1", 8) != 0)
				snprintf(dst, dstlen,
				    "; %s does not authorise reports for %s "
				    "(no "
				    "%s)",
				    dom, domain, q);
		}
		free(rorg);
		free(dom);
	}
	free(org);
	free(save);
}

static void
dmarc_judge(struct resolver *r, const char *domain, const char *found_at,
    const char *text, struct domain_report *d)
{
	char why[300], rua_note[800], detail[2000];
	struct taglist t;
	struct err e = { "" };
	const char *p, *sp, *pct, *rua, *adkim, *aspf;

	if (taglist_parse(text, strlen(text), &t, &e) == -1 ||
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
	adkim = taglist_get(&t, "adkim");
	aspf = taglist_get(&t, "aspf");
	rua_note[0] = '\0';
	if (rua != NULL)
		dmarc_rua_check(r, domain, rua, rua_note, sizeof(rua_note));
	/* The relay sends as DOMAIN and signs with d=DOMAIN: both align. */
	snprintf(detail, sizeof(detail),
	    "_dmarc.%s: p=%s sp=%s pct=%s rua=%s; mail from this relay aligns "
	    "(SPF %s, DKIM %s: envelope and d= are %s)%s%s",
	    found_at, p != NULL ? p : "none", sp != NULL ? sp : "(p)",
	    pct != NULL ? pct : "100", rua != NULL ? rua : "(none)",
	    aspf != NULL && strcmp(aspf, "s") == 0 ? "strict" : "relaxed",
	    adkim != NULL && strcmp(adkim, "s") == 0 ? "strict" : "relaxed",
	    domain, pct != NULL ? "; DMARCbis drops pct= for t=" : "",
	    rua_note);
	report_add(d, CHECK_DMARC, rua_note[0] != '\0' ? CHECK_WARN : CHECK_OK,
	    NULL, NULL, NULL, detail, NULL);
	taglist_cleanup(&t);
}

void
report_check_dmarc(struct resolver *r, const char *domain,
    struct domain_report *d)
{
	char *org = org_domain(domain);
	const char *text = NULL, *at = domain;
	char detail[800];
	int rc = dmarc_fetch(r, domain, &text);

	if (rc == 0 && strcasecmp(org, domain) != 0) {
		rc = dmarc_fetch(r, org, &text);
		at = org;
	}
	if (rc == -1) {
		snprintf(detail, sizeof(detail), "_dmarc.%s: DNS error", at);
		report_add(d, CHECK_DMARC, CHECK_TEMPERROR, NULL, NULL, NULL,
		    detail, NULL);
	} else if (rc == 0) {
		snprintf(detail, sizeof(detail),
		    "no DMARC record at _dmarc.%s%s%s", domain,
		    strcasecmp(org, domain) != 0 ? " nor _dmarc." : "",
		    strcasecmp(org, domain) != 0 ? org : "");
		report_add(d, CHECK_DMARC, CHECK_WARN, NULL, NULL, NULL, detail,
		    "add dmarc: { policy: none, rua: ... } to the domain and "
		    "run `postern apply`");
	} else
		dmarc_judge(r, domain, at, text, d);
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

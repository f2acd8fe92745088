#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "dnscheck/spf.h"

/* Static count of DNS-querying terms, for lint and the planner. */

#define COUNT_MAX_DEPTH 12

static int count_domain(struct resolver *r, const char *domain, size_t depth,
    size_t *lookups, size_t *voids, struct err *e);

static int
count_record(struct resolver *r, const char *text, size_t depth,
    size_t *lookups, size_t *voids, struct err *e)
{
	struct spf_record rec;
	int rc = 0;

	if (spf_record_parse(text, strlen(text), &rec, e) == -1)
		return -1;
	for (size_t i = 0; i < rec.n && rc == 0; i++) {
		const struct spf_term *t = &rec.terms[i];
		char target[300];

		if (!spf_term_queries_dns(t))
			continue;
		(*lookups)++;
		if ((t->kind != SPF_INCLUDE && t->kind != SPF_REDIRECT) ||
		    memchr(t->spec, '%', t->spec_len) != NULL ||
		    t->spec_len >= sizeof(target) || *lookups > 50)
			continue;
		memcpy(target, t->spec, t->spec_len);
		target[t->spec_len] = '\0';
		rc = count_domain(r, target, depth + 1, lookups, voids, e);
	}
	spf_record_cleanup(&rec);
	return rc;
}

static int
count_domain(struct resolver *r, const char *domain, size_t depth,
    size_t *lookups, size_t *voids, struct err *e)
{
	const struct dns_result *res;
	const char *text = NULL;

	if (depth > COUNT_MAX_DEPTH)
		return 0; /* a loop: the count is past the limit already */
	res = resolver_query(r, domain, DNS_T_TXT);
	if (res->status == DNS_ERROR)
		return err_set(e, "%s: %s", domain, resolver_status_text(res));
	for (size_t i = 0; i < res->n; i++)
		if (spf_record_is_spf(res->rr[i].text, strlen(res->rr[i].text)))
			text = res->rr[i].text;
	if (text == NULL) {
		(*voids)++;
		return 0;
	}
	if (count_record(r, text, depth, lookups, voids, e) == -1)
		return err_prefix(e, "%s", domain);
	return 0;
}

int
spf_count_lookups(struct resolver *r, const char *domain, const char *record,
    size_t *lookups, size_t *voids, struct err *e)
{
	*lookups = 0;
	*voids = 0;
	if (record != NULL)
		return count_record(r, record, 0, lookups, voids, e);
	return count_domain(r, domain, 0, lookups, voids, e);
}

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dnscheck/spf.h"
#include "dnscheck/tags.h"
#include "keys/keys.h"
#include "keys/rotation.h"
#include "provision/plan.h"

/* The values of a TXT set, as C strings; caller frees with free_values(). */
static char **
set_values(const struct txt_set *s)
{
	char **v = xcalloc(s->n + 1, sizeof(*v));

	for (size_t i = 0; i < s->n; i++)
		v[i] = txt_record_value(&s->rec[i], NULL);
	return v;
}

static void
free_values(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void dp_warn(struct domain_plan *dp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dp_warn(struct domain_plan *dp, const char *fmt, ...)
{
	size_t n = strlen(dp->warnings);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(dp->warnings)) {
		memcpy(dp->warnings + n, "\n", 2);
		n++;
	}
	va_start(ap, fmt);
	vsnprintf(dp->warnings + n, sizeof(dp->warnings) - n, fmt, ap);
	va_end(ap);
}

static void dp_refuse(struct domain_plan *dp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dp_refuse(struct domain_plan *dp, const char *fmt, ...)
{
	va_list ap;

	if (dp->refused)
		return; /* the first reason stands */
	dp->refused = true;
	va_start(ap, fmt);
	vsnprintf(dp->reason, sizeof(dp->reason), fmt, ap);
	va_end(ap);
}

/*
 * Add a change for name: the set read (old, taken over) and, unless
 * unchanged, a new set where value replaces record `index` (or is added
 * when index is (size_t)-1). Every other record is carried over as read.
 */
static void
add_change(struct domain_plan *dp, const char *name, const char *what,
    const struct merge_result *m, struct txt_set *old, size_t index)
{
	struct plan_change *c;

	dp->changes = xrealloc(dp->changes, (dp->n + 1) * sizeof(*dp->changes));
	c = &dp->changes[dp->n++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->what = xstrdup(what);
	c->status = m->status;
	c->old = *old;
	memset(old, 0, sizeof(*old));
	if (index != (size_t)-1)
		c->old_value = txt_record_value(&c->old.rec[index], NULL);
	c->new_value = xstrdup(m->record);
	if (m->status != MERGE_CREATE && m->status != MERGE_UPDATE)
		return;
	for (size_t i = 0; i < c->old.n; i++) {
		struct txt_record r = { NULL, 0 };

		if (i != index) {
			txt_set_add(&c->new, &c->old.rec[i]);
			continue;
		}
		txt_record_set_value(&r, m->record, strlen(m->record));
		txt_set_add(&c->new, &r);
		txt_record_cleanup(&r);
	}
	if (index == (size_t)-1) {
		struct txt_record r = { NULL, 0 };

		txt_record_set_value(&r, m->record, strlen(m->record));
		txt_set_add(&c->new, &r);
		txt_record_cleanup(&r);
	}
	/* A changed set keeps its TTL; a new one gets dns.ttl. */
	c->new.ttl = c->old.n > 0 ? c->old.ttl : 0;
}

/* Read the TXT set at name; false (and the domain stopped) on error. */
static bool
read_set(struct domain_plan *dp, const char *name, struct txt_set *s)
{
	struct err e;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = provider_list_txt(dp->provider, dp->zone, name, s, &e);
	if (rc == PROVIDER_OK)
		return true;
	dp->error = rc;
	dp_refuse(dp, "%s", e.msg);
	return false;
}

/* Does SPF already pass for ip, through whatever the record says? */
static bool
spf_passes(const struct plan_opts *o, const char *domain,
    const struct ipaddr *ip)
{
	struct spf_query q;
	struct spf_eval ev;
	bool pass;
	char *sender = xasprintf("postmaster@%s", domain);

	memset(&q, 0, sizeof(q));
	q.ip = *ip;
	q.sender = sender;
	q.helo = o->cfg->relay.hostname;
	spf_check_host(o->r, &q, &ev);
	pass = ev.result == SPF_PASS;
	spf_eval_cleanup(&ev);
	free(sender);
	return pass;
}

static void
plan_spf(const struct plan_opts *o, struct domain_plan *dp)
{
	const struct relay_cfg *relay = &o->cfg->relay;
	struct merge_result m;
	struct txt_set set;
	struct spf_merge_in in;
	bool *passes;
	char **vals;
	size_t lookups = 0, voids = 0;
	struct err e;

	if (!read_set(dp, dp->dc->name, &set))
		return;
	vals = set_values(&set);
	passes = xcalloc(relay->public_ips.n + 1, sizeof(*passes));
	for (size_t i = 0; i < relay->public_ips.n; i++)
		passes[i] = spf_passes(o, dp->dc->name, &relay->public_ip[i]);
	in = (struct spf_merge_in){ (const char *const *)vals, set.n,
		relay->public_ip, relay->public_ips.n, passes, &dp->dc->spf };
	spf_merge(&in, &m);
	if (m.warnings[0] != '\0')
		dp_warn(dp, "SPF: %s", m.warnings);
	if (m.status == MERGE_REFUSED) {
		dp_refuse(dp, "SPF: %s", m.reason);
	} else if (m.status != MERGE_UNCHANGED &&
	           spf_count_lookups(o->r, dp->dc->name, m.record, &lookups,
	               &voids, &e) == -1) {
		dp_refuse(dp, "SPF: cannot count the look-ups of \"%s\": %s",
		    m.record, e.msg);
	} else if (lookups > SPF_MAX_LOOKUPS) {
		dp_refuse(dp,
		    "SPF: \"%s\" would need %zu DNS-querying terms, over the "
		    "10 of RFC 7208 4.6.4",
		    m.record, lookups);
	}
	if (m.status != MERGE_REFUSED)
		add_change(dp, dp->dc->name, "SPF", &m, &set,
		    m.status == MERGE_CREATE ? (size_t)-1 : m.existing);
	txt_set_cleanup(&set);
	free_values(vals, in.nvalues);
	free(passes);
	merge_result_cleanup(&m);
}

/* a and b equal once white space (folding in p=, RFC 6376 3.6.1) is
 * left out. */
static bool
equal_but_space(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
			a++;
		while (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')
			b++;
		if (*a != *b)
			return false;
		if (*a == '\0')
			return true;
		a++;
		b++;
	}
}

/* Whether a published DKIM value carries the same key as ours. */
static bool
dkim_same_key(const char *published, const char *ours)
{
	struct taglist a, b;
	struct err e;
	bool same = false;
	const char *ka, *kb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (taglist_parse(published, strlen(published), &a, &e) == 0 &&
	    taglist_parse(ours, strlen(ours), &b, &e) == 0 &&
	    taglist_get(&a, "p") != NULL) {
		ka =
		    taglist_get(&a, "k") != NULL ? taglist_get(&a, "k") : "rsa";
		kb =
		    taglist_get(&b, "k") != NULL ? taglist_get(&b, "k") : "rsa";
		same =
		    strcmp(ka, kb) == 0 &&
		    equal_but_space(taglist_get(&a, "p"), taglist_get(&b, "p"));
	}
	taglist_cleanup(&a);
	taglist_cleanup(&b);
	return same;
}

/* The index of the value that looks like a DKIM key record, or -1. */
static size_t
dkim_index(char **vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(vals[i], "v=DKIM1", 7) == 0 ||
		    strstr(vals[i], "p=") != NULL)
			return i;
	return (size_t)-1;
}

static void
plan_dkim_one(const struct plan_opts *o, struct domain_plan *dp,
    const struct dkim_cfg *k)
{
	char rbuf[64];
	/* During a key rotation the next selector is the one to publish. */
	const char *sel = rotation_selector(o->cfg->state_dir, dp->dc->name,
	    k->selector, rbuf, sizeof(rbuf));
	char *name = keys_record_name(dp->dc->name, sel);
	char what[128];
	struct merge_result m;
	struct dkim_key *key;
	struct txt_set set;
	struct err e;
	char **vals;
	size_t at, nvals;

	memset(&m, 0, sizeof(m));
	snprintf(what, sizeof(what), "DKIM %s (%s)", sel,
	    config_key_alg_name(k->algorithm));
	key = keys_load(o->cfg->state_dir, dp->dc->name, sel, &e);
	if (key == NULL) {
		dp_refuse(dp, "DKIM %s: %s (run `postern keys generate`)", sel,
		    e.msg);
		free(name);
		return;
	}
	if (read_set(dp, name, &set)) {
		vals = set_values(&set);
		at = dkim_index(vals, set.n);
		m.record = keys_txt_record(key);
		if (at == (size_t)-1)
			m.status = MERGE_CREATE;
		else if (dkim_same_key(vals[at], m.record))
			m.status = MERGE_UNCHANGED;
		else
			m.status = MERGE_UPDATE;
		nvals = set.n; /* add_change() takes the set */
		add_change(dp, name, what, &m, &set, at);
		free_values(vals, nvals);
		txt_set_cleanup(&set);
		merge_result_cleanup(&m);
	}
	keys_free(key);
	free(name);
}

static void
plan_dmarc(struct domain_plan *dp)
{
	char *name = xasprintf("_dmarc.%s", dp->dc->name);
	struct merge_result m;
	struct txt_set set;
	char **vals;
	size_t nvals;

	if (read_set(dp, name, &set)) {
		vals = set_values(&set);
		nvals = set.n; /* add_change() takes the set */
		dmarc_merge((const char *const *)vals, nvals, &dp->dc->dmarc,
		    &m);
		if (m.warnings[0] != '\0')
			dp_warn(dp, "DMARC: %s", m.warnings);
		if (m.status == MERGE_REFUSED)
			dp_refuse(dp, "DMARC: %s", m.reason);
		else
			add_change(dp, name, "DMARC", &m, &set,
			    m.status == MERGE_CREATE ? (size_t)-1 : m.existing);
		free_values(vals, nvals);
		txt_set_cleanup(&set);
		merge_result_cleanup(&m);
	}
	free(name);
}

static void
plan_domain(const struct plan_opts *o, const struct domain_cfg *dc,
    struct domain_plan *dp)
{
	struct err e;
	int rc;

	memset(dp, 0, sizeof(*dp));
	dp->dc = dc;
	dp->provider = o->providers[dc->provider_index];
	if (dp->provider == NULL) {
		dp->error = PROVIDER_ERR_PERM;
		dp_refuse(dp, "provider \"%s\" is not available", dc->provider);
		return;
	}
	rc = provider_find_zone(dp->provider, dc->name, &dp->zone, &e);
	if (rc != PROVIDER_OK) {
		dp->error = rc;
		dp_refuse(dp, "%s", e.msg);
		return;
	}
	plan_spf(o, dp);
	for (size_t i = 0; dp->error == PROVIDER_OK && i < dc->ndkim; i++)
		plan_dkim_one(o, dp, &dc->dkim[i]);
	if (dp->error == PROVIDER_OK)
		plan_dmarc(dp);
}

int
plan_build(const struct plan_opts *o, struct plan *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (o->domain != NULL && config_domain(o->cfg, o->domain) == NULL)
		return err_set(e, "domain %s is not configured", o->domain);
	out->domains = xcalloc(o->cfg->ndomains + 1, sizeof(*out->domains));
	for (size_t i = 0; i < o->cfg->ndomains; i++) {
		const struct domain_cfg *dc = &o->cfg->domains[i];

		if (o->domain != NULL &&
		    !str_ieq(o->domain, strlen(o->domain), dc->name))
			continue;
		plan_domain(o, dc, &out->domains[out->n++]);
	}
	return 0;
}

bool
plan_has_changes(const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->domains[i].refused)
			return true;
		for (size_t j = 0; j < p->domains[i].n; j++)
			if (p->domains[i].changes[j].status != MERGE_UNCHANGED)
				return true;
	}
	return false;
}

void
plan_cleanup(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct domain_plan *dp = &p->domains[i];

		for (size_t j = 0; j < dp->n; j++) {
			struct plan_change *c = &dp->changes[j];

			free(c->name);
			free(c->what);
			free(c->old_value);
			free(c->new_value);
			txt_set_cleanup(&c->old);
			txt_set_cleanup(&c->new);
		}
		free(dp->changes);
		free(dp->zone);
	}
	free(p->domains);
	memset(p, 0, sizeof(*p));
}

void
plan_print(const struct plan *p, FILE *out)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct domain_plan *dp = &p->domains[i];

		fprintf(out, "%s (zone %s, provider %s)\n", dp->dc->name,
		    dp->zone != NULL ? dp->zone : "?", dp->dc->provider);
		for (size_t j = 0; j < dp->n; j++) {
			const struct plan_change *c = &dp->changes[j];

			switch (c->status) {
			case MERGE_CREATE:
				fprintf(out,
				    "  + create %s TXT (%s)\n      + \"%s\"\n",
				    c->name, c->what, c->new_value);
				break;
			case MERGE_UPDATE:
				fprintf(out,
				    "  ~ update %s TXT (%s)\n      - \"%s\"\n  "
				    "    "
				    "+ \"%s\"\n",
				    c->name, c->what, c->old_value,
				    c->new_value);
				break;
			default:
				fprintf(out, "  = unchanged %s TXT (%s)\n",
				    c->name, c->what);
				break;
			}
		}
		if (dp->warnings[0] != '\0')
			fprintf(out, "  warning: %s\n", dp->warnings);
		if (dp->refused)
			fprintf(out, "  ! refused: %s\n", dp->reason);
	}
}

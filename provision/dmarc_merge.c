#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "dnscheck/tags.h"
#include "provision/merge.h"

static const char *const policy_names[] = { "none", "quarantine", "reject" };

static bool
is_dmarc(const char *v)
{
	/* RFC 7489 6.4: the record starts with "v=DMARC1" (then ; or WSP). */
	size_t n = strspn(v, " \t");

	return strncmp(v + n, "v=DMARC1", 8) == 0 &&
	       (v[n + 8] == '\0' || v[n + 8] == ';' || v[n + 8] == ' ' ||
	           v[n + 8] == '\t');
}

static int
policy_rank(const char *v)
{
	for (int i = 0; i < 3; i++)
		if (v != NULL && strcmp(v, policy_names[i]) == 0)
			return i;
	return -1;
}

/* A new record, from the configuration alone. */
static char *
dmarc_new(const struct dmarc_cfg *c)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = buf_printf(&b, "v=DMARC1; p=%s",
	    policy_names[c->policy == DMARC_POLICY_UNSET ? 0 : c->policy]);
	if (rc == 0 && c->sp != DMARC_POLICY_UNSET)
		rc = buf_printf(&b, "; sp=%s", policy_names[c->sp]);
	if (rc == 0 && c->pct <= 100 && c->pct != 100)
		rc = buf_printf(&b, "; pct=%llu", (unsigned long long)c->pct);
	if (rc == 0 && c->adkim == DMARC_ALIGN_STRICT)
		rc = buf_append_str(&b, "; adkim=s");
	if (rc == 0 && c->aspf == DMARC_ALIGN_STRICT)
		rc = buf_append_str(&b, "; aspf=s");
	if (rc == 0 && c->rua != NULL)
		rc = buf_printf(&b, "; rua=%s", c->rua);
	if (rc == 0 && c->ruf != NULL)
		rc = buf_printf(&b, "; ruf=%s", c->ruf);
	if (rc == -1)
		die(1, "BUG: uncapped buffer");
	return buf_steal(&b, NULL);
}

/* Set tag name to value (replacing, or appending a new tag). */
static void
tag_set(struct taglist *t, const char *name, const char *value)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, name) == 0) {
			free(t->v[i].value);
			t->v[i].value = xstrdup(value);
			return;
		}
	}
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	snprintf(t->v[t->n].name, sizeof(t->v[t->n].name), "%s", name);
	t->v[t->n].value = xstrdup(value);
	t->n++;
}

/* Raise a policy tag to the configured one when that is stronger. */
static bool
raise_policy(struct taglist *t, const char *name, const char *current,
    enum dmarc_policy want)
{
	if (want == DMARC_POLICY_UNSET || policy_rank(current) >= (int)want)
		return false;
	tag_set(t, name, policy_names[want]);
	return true;
}

/* Add each configured URI missing from the comma-separated list. */
static bool
extend_uris(struct taglist *t, const char *name, const char *want)
{
	const char *have = taglist_get(t, name);
	struct buf b;
	bool changed = false;
	char *copy, *p;

	if (want == NULL)
		return false;
	buf_init(&b, 0);
	if (have != NULL && buf_append_str(&b, have) == -1)
		die(1, "BUG: uncapped buffer");
	copy = xstrdup(want);
	for (p = copy; p != NULL;) {
		char *comma = strchr(p, ',');

		if (comma != NULL)
			*comma = '\0';
		if (have == NULL || strstr(have, p) == NULL) {
			if (buf_printf(&b, "%s%s", b.len > 0 ? "," : "", p) ==
			    -1)
				die(1, "BUG: uncapped buffer");
			changed = true;
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
	if (changed)
		tag_set(t, name, b.data);
	free(copy);
	buf_cleanup(&b);
	return changed;
}

static bool
strengthen(struct taglist *t, const struct dmarc_cfg *c)
{
	const char *p = taglist_get(t, "p"), *sp = taglist_get(t, "sp");
	const char *pct = taglist_get(t, "pct");
	bool changed = false;
	char num[24];

	changed |= raise_policy(t, "p", p, c->policy);
	/* Without sp=, subdomains follow p= (RFC 7489 6.3). */
	changed |=
	    raise_policy(t, "sp", sp != NULL ? sp : taglist_get(t, "p"), c->sp);
	if (c->pct <= 100 && pct != NULL && strtoul(pct, NULL, 10) < c->pct) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)c->pct);
		tag_set(t, "pct", num);
		changed = true;
	}
	if (c->adkim == DMARC_ALIGN_STRICT &&
	    strcmp(taglist_get(t, "adkim") ? taglist_get(t, "adkim") : "r",
	        "s") != 0) {
		tag_set(t, "adkim", "s");
		changed = true;
	}
	if (c->aspf == DMARC_ALIGN_STRICT &&
	    strcmp(taglist_get(t, "aspf") ? taglist_get(t, "aspf") : "r",
	        "s") != 0) {
		tag_set(t, "aspf", "s");
		changed = true;
	}
	changed |= extend_uris(t, "rua", c->rua);
	changed |= extend_uris(t, "ruf", c->ruf);
	return changed;
}

static char *
tags_format(const struct taglist *t)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < t->n; i++)
		if (buf_printf(&b, "%s%s=%s", i ? "; " : "", t->v[i].name,
		        t->v[i].value) == -1)
			die(1, "BUG: uncapped buffer");
	return buf_steal(&b, NULL);
}

void
dmarc_merge(const char *const *values, size_t nvalues,
    const struct dmarc_cfg *cfg, struct merge_result *out)
{
	struct taglist t;
	struct err e;
	size_t ndmarc = 0;
	int parsed;

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < nvalues; i++) {
		if (is_dmarc(values[i])) {
			out->existing = i;
			ndmarc++;
		} else {
			snprintf(out->warnings, sizeof(out->warnings),
			    "a TXT record at _dmarc is not DMARC and is left "
			    "alone: \"%.200s\"",
			    values[i]);
		}
	}
	if (ndmarc > 1) {
		out->status = MERGE_REFUSED;
		snprintf(out->reason, sizeof(out->reason),
		    "_dmarc has %zu DMARC records, so receivers apply none "
		    "(RFC 7489 6.6.3): keep one by hand first",
		    ndmarc);
		return;
	}
	if (ndmarc == 0) {
		out->status = MERGE_CREATE;
		out->record = dmarc_new(cfg);
		return;
	}
	parsed = taglist_parse(values[out->existing],
	    strlen(values[out->existing]), &t, &e);
	if (parsed == -1 || policy_rank(taglist_get(&t, "p")) < 0) {
		out->status = MERGE_REFUSED;
		snprintf(out->reason, sizeof(out->reason),
		    "the DMARC record is broken (%.400s); fix it by hand first",
		    parsed == -1 ? e.msg : "p= is missing or not valid");
		taglist_cleanup(&t);
		return;
	}
	if (strengthen(&t, cfg)) {
		out->status = MERGE_UPDATE;
		out->record = tags_format(&t);
	} else {
		out->status = MERGE_UNCHANGED;
		out->record = xstrdup(values[out->existing]);
	}
	taglist_cleanup(&t);
}

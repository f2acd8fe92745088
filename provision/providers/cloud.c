#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "provision/providers/cloud.h"

void
cloud_items_add(struct cloud_items *l, const char *id, const char *name,
    uint32_t ttl)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n].id = id != NULL ? xstrdup(id) : NULL;
	l->v[l->n].name = xstrdup(name);
	l->v[l->n].ttl = ttl;
	l->n++;
}

void
cloud_items_cleanup(struct cloud_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].name);
	}
	free(l->v);
	free(l->next);
	memset(l, 0, sizeof(*l));
}

/* Does name end with zone (zl octets, no trailing dot) at a label edge? */
static bool
in_zone(const char *name, const char *zone, size_t zl)
{
	size_t nl = strlen(name);

	if (zl == 0 || zl > nl || strncasecmp(name + nl - zl, zone, zl) != 0)
		return false;
	return zl == nl || name[nl - zl - 1] == '.';
}

char *
cloud_pick_zone(const struct cloud_items *zones, const char *name)
{
	const char *best = NULL;
	size_t bl = 0;

	for (size_t i = 0; i < zones->n; i++) {
		const char *z = zones->v[i].name;
		size_t zl = strlen(z);

		if (zl > 0 && z[zl - 1] == '.')
			zl--;
		if (zl > bl && in_zone(name, z, zl)) {
			best = z;
			bl = zl;
		}
	}
	if (best == NULL)
		return NULL;
	return str_lower(xasprintf("%.*s", (int)bl, best));
}

char *
cloud_rel_name(const char *zone, const char *name)
{
	size_t zl = strlen(zone), nl = strlen(name);

	if (strcasecmp(zone, name) == 0)
		return xstrdup("@");
	if (nl > zl + 1 && in_zone(name, zone, zl))
		return xasprintf("%.*s", (int)(nl - zl - 1), name);
	return xstrdup(name);
}

char *
cloud_base(const char *endpoint, const char *def)
{
	const char *s = endpoint != NULL ? endpoint : def;
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		n--;
	return xasprintf("%.*s", (int)n, s);
}

int
cloud_txt_parse(const char *content, struct txt_record *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (content[0] == '"')
		return txt_record_parse(content, out, e) == -1
		           ? PROVIDER_ERR_PERM
		           : PROVIDER_OK;
	txt_record_set_value(out, content, strlen(content));
	return PROVIDER_OK;
}

char *
cloud_txt_content(const struct txt_record *r)
{
	if (r->n == 1 && r->s[0].len > 0 && r->s[0].data[0] != '"' &&
	    strlen(r->s[0].data) == r->s[0].len)
		return xstrdup(r->s[0].data);
	return txt_record_format(r);
}

/* The set the items hold; PROVIDER_ERR_PERM when a content is unreadable. */
static int
items_to_set(const struct cloud_items *l, struct txt_set *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < l->n; i++) {
		struct txt_record r;

		if (cloud_txt_parse(l->v[i].name, &r, e) != PROVIDER_OK) {
			txt_set_cleanup(out);
			return err_prefix(e, "TXT record %s", l->v[i].id),
			       PROVIDER_ERR_PERM;
		}
		txt_set_add(out, &r);
		txt_record_cleanup(&r);
		if (i == 0)
			out->ttl = l->v[i].ttl;
	}
	return PROVIDER_OK;
}

int
cloud_rec_list_txt(struct provider *p, const struct cloud_rec_ops *o,
    const char *zone, const char *name, struct txt_set *out, struct err *e)
{
	struct cloud_items l = { 0 };
	int rc = o->list(p, zone, name, &l, e);

	if (rc == PROVIDER_OK)
		rc = items_to_set(&l, out, e);
	cloud_items_cleanup(&l);
	return rc;
}

/* kept[i]: item i stays; matched[j]: new record j is item kept. */
static void
match_records(const struct txt_set *now, const struct txt_set *new, bool *kept,
    bool *matched)
{
	for (size_t j = 0; j < new->n; j++)
		for (size_t i = 0; i < now->n; i++)
			if (!kept[i] &&
			    txt_record_equal(&now->rec[i], &new->rec[j])) {
				kept[i] = matched[j] = true;
				break;
			}
}

/* Apply the difference: update in place, then delete or create. */
static int
apply_diff(struct provider *p, const struct cloud_rec_ops *o, const char *zone,
    const char *name, const struct cloud_items *l, const bool *kept,
    const bool *matched, const struct txt_set *new, struct err *e)
{
	uint32_t ttl = new->ttl != 0 ? new->ttl : p->cfg->dns.ttl;
	size_t i = 0, j = 0;
	int rc = PROVIDER_OK;

	while (rc == PROVIDER_OK && (i < l->n || j < new->n)) {
		char *content;

		while (i < l->n && kept[i])
			i++;
		while (j < new->n && matched[j])
			j++;
		if (i == l->n && j == new->n)
			break;
		if (j == new->n) {
			rc = o->del(p, zone, l->v[i++].id, e);
			continue;
		}
		content = cloud_txt_content(&new->rec[j++]);
		rc = o->put(p, zone, name, i < l->n ? l->v[i++].id : NULL,
		    content, ttl, e);
		free(content);
	}
	return rc;
}

int
cloud_rec_replace(struct provider *p, const struct cloud_rec_ops *o,
    const char *zone, const char *name, const struct txt_set *old,
    const struct txt_set *new, struct err *e)
{
	struct cloud_items l = { 0 };
	struct txt_set now;
	bool *kept, *matched;
	int rc = o->list(p, zone, name, &l, e);

	if (rc == PROVIDER_OK)
		rc = items_to_set(&l, &now, e);
	if (rc != PROVIDER_OK) {
		cloud_items_cleanup(&l);
		return rc;
	}
	if (!txt_set_equal(&now, old)) {
		txt_set_cleanup(&now);
		cloud_items_cleanup(&l);
		return err_set(e, "the TXT set changed since it was read; "
		                  "nothing changed (plan again)"),
		       PROVIDER_ERR_CONFLICT;
	}
	kept = xcalloc(now.n + 1, sizeof(*kept));
	matched = xcalloc(new->n + 1, sizeof(*matched));
	match_records(&now, new, kept, matched);
	rc = apply_diff(p, o, zone, name, &l, kept, matched, new, e);
	free(kept);
	free(matched);
	txt_set_cleanup(&now);
	cloud_items_cleanup(&l);
	return rc;
}

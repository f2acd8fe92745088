#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/util.h"
#include "provision/providers/http.h"
#include "provision/providers/powerdns_json.h"

#define PDNS_ERROR_MAX 300 /* characters of an API error kept in messages */

/* name with a trailing dot; caller frees. */
static char *
pdns_fqdn(const char *name)
{
	return xasprintf("%s.", name);
}

/* Whether name is zone or below it (both with trailing dots). */
static bool
pdns_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (strcmp(zone, ".") == 0)
		return true;
	if (z > n || strcasecmp(name + n - z, zone) != 0)
		return false;
	return z == n || name[n - z - 1] == '.';
}

static json_t *
pdns_load(const char *body, size_t len, struct err *e)
{
	return http_json_load(body, len, -1, e);
}

/* Keep z when it holds fqdn and is longer than the best so far. */
static void
pdns_zone_pick(json_t *z, const char *fqdn, const char **best_id,
    const char **best_name)
{
	const char *id = json_string_value(json_object_get(z, "id"));
	const char *zn = json_string_value(json_object_get(z, "name"));

	if (id == NULL || zn == NULL || zn[0] == '\0' ||
	    zn[strlen(zn) - 1] != '.' || !pdns_in_zone(fqdn, zn))
		return;
	if (*best_name == NULL || strlen(zn) > strlen(*best_name)) {
		*best_id = id;
		*best_name = zn;
	}
}

int
pdns_zones_parse(const char *body, size_t len, const char *name, char **zone_id,
    char **zone_name, struct err *e)
{
	const char *best_id = NULL, *best_name = NULL;
	char *fqdn;
	json_t *root, *z;
	size_t i;

	*zone_id = *zone_name = NULL;
	if ((root = pdns_load(body, len, e)) == NULL)
		return PROVIDER_ERR_PERM;
	if (!json_is_array(root)) {
		json_decref(root);
		return err_set(e, "unexpected JSON from the API: the zone list "
		                  "is not an array"),
		       PROVIDER_ERR_PERM;
	}
	fqdn = pdns_fqdn(name);
	json_array_foreach(root, i, z)
	    pdns_zone_pick(z, fqdn, &best_id, &best_name);
	free(fqdn);
	if (best_name == NULL) {
		json_decref(root);
		return err_set(e, "the server has no zone holding %s", name),
		       PROVIDER_ERR_PERM;
	}
	*zone_id = xstrdup(best_id);
	*zone_name = xstrndup(best_name, strlen(best_name) - 1);
	if (**zone_name == '\0') {
		free(*zone_name);
		*zone_name = xstrdup(".");
	}
	json_decref(root);
	return PROVIDER_OK;
}

void
pdns_disabled_cleanup(struct pdns_disabled *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->content[i]);
	free(d->content);
	memset(d, 0, sizeof(*d));
}

static void
pdns_disabled_add(struct pdns_disabled *d, const char *content)
{
	if (d == NULL)
		return;
	d->content = xrealloc(d->content, (d->n + 1) * sizeof(char *));
	d->content[d->n++] = xstrdup(content);
}

/* Add the records of one TXT rrset to out (disabled ones to d). */
static int
pdns_rrset_records(json_t *rrset, struct txt_set *out, struct pdns_disabled *d,
    struct err *e)
{
	json_t *records = json_object_get(rrset, "records"), *r;
	json_t *ttl = json_object_get(rrset, "ttl");
	size_t i;

	if (!json_is_array(records) || !json_is_integer(ttl) ||
	    json_integer_value(ttl) < 0 || json_integer_value(ttl) > INT32_MAX)
		return err_set(e, "unexpected JSON from the API: a TXT rrset "
		                  "without records or ttl");
	out->ttl = (uint32_t)json_integer_value(ttl);
	if (d != NULL)
		d->ttl = out->ttl;
	json_array_foreach(records, i, r)
	{
		const char *content =
		    json_string_value(json_object_get(r, "content"));
		struct txt_record rec;

		if (content == NULL)
			return err_set(e, "unexpected JSON from the API: a "
			                  "record without content");
		if (json_is_true(json_object_get(r, "disabled"))) {
			pdns_disabled_add(d, content);
			continue;
		}
		if (txt_record_parse(content, &rec, e) == -1)
			return err_prefix(e, "TXT content from the API");
		txt_set_add(out, &rec);
		txt_record_cleanup(&rec);
	}
	return 0;
}

int
pdns_rrset_parse(const char *body, size_t len, const char *name,
    struct txt_set *out, struct pdns_disabled *disabled, struct err *e)
{
	json_t *root, *rrsets, *rs;
	char *fqdn;
	size_t i;
	int rc = PROVIDER_OK;

	memset(out, 0, sizeof(*out));
	if (disabled != NULL)
		memset(disabled, 0, sizeof(*disabled));
	if ((root = pdns_load(body, len, e)) == NULL)
		return PROVIDER_ERR_PERM;
	rrsets = json_object_get(root, "rrsets");
	if (!json_is_array(rrsets)) {
		json_decref(root);
		return err_set(e, "unexpected JSON from the API: the zone has "
		                  "no rrsets array"),
		       PROVIDER_ERR_PERM;
	}
	fqdn = pdns_fqdn(name);
	json_array_foreach(rrsets, i, rs)
	{
		const char *n = json_string_value(json_object_get(rs, "name"));
		const char *t = json_string_value(json_object_get(rs, "type"));

		if (n == NULL || t == NULL || strcasecmp(n, fqdn) != 0 ||
		    strcmp(t, "TXT") != 0)
			continue;
		if (pdns_rrset_records(rs, out, disabled, e) == -1) {
			rc = PROVIDER_ERR_PERM;
			txt_set_cleanup(out);
			if (disabled != NULL)
				pdns_disabled_cleanup(disabled);
		}
		break;
	}
	if (out->n == 0)
		out->ttl = 0;
	free(fqdn);
	json_decref(root);
	return rc;
}

/* The records array of a REPLACE: new's records, then the disabled. */
static json_t *
pdns_records(const struct txt_set *new, const struct pdns_disabled *d)
{
	json_t *records = json_array();

	for (size_t i = 0; i < new->n; i++) {
		char *c = txt_record_format(&new->rec[i]);

		json_array_append_new(records,
		    json_pack("{s:s, s:b}", "content", c, "disabled", 0));
		free(c);
	}
	for (size_t i = 0; d != NULL && i < d->n; i++)
		json_array_append_new(records,
		    json_pack("{s:s, s:b}", "content", d->content[i],
		        "disabled", 1));
	return records;
}

char *
pdns_patch_body(const char *name, const struct txt_set *new,
    const struct pdns_disabled *disabled)
{
	bool keep = new->n > 0 || (disabled != NULL && disabled->n > 0);
	json_t *rrset = json_object(), *root;
	char *out;

	json_object_set_new(rrset, "name", json_sprintf("%s.", name));
	json_object_set_new(rrset, "type", json_string("TXT"));
	json_object_set_new(rrset, "changetype",
	    json_string(keep ? "REPLACE" : "DELETE"));
	if (keep) {
		json_object_set_new(rrset, "ttl",
		    json_integer(new->n > 0 ? new->ttl : disabled->ttl));
		json_object_set_new(rrset, "records",
		    pdns_records(new, disabled));
	}
	root = json_pack("{s:[o]}", "rrsets", rrset);
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

/* Append to a buffer sized for the worst case: cannot fail. */
static void
pdns_put(struct buf *b, const char *s)
{
	if (buf_append_str(b, s) == -1)
		return;
}

char *
pdns_error_text(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *text = json_string_value(json_object_get(root, "error"));
	struct buf b;
	size_t n;

	if (text != NULL)
		len = strlen(text);
	else
		text = body;
	buf_init(&b, 4 * PDNS_ERROR_MAX + 8);
	for (size_t i = 0; i < len && i < PDNS_ERROR_MAX; i++) {
		unsigned char c = (unsigned char)text[i];
		int rc = isprint(c) ? buf_append(&b, &text[i], 1)
		                    : buf_printf(&b, "\\x%02X", c);

		if (rc == -1)
			break;
	}
	if (len > PDNS_ERROR_MAX)
		pdns_put(&b, "...");
	json_decref(root);
	return buf_steal(&b, &n);
}

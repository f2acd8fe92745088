#ifndef POSTERN_PROVIDER_CLOUD_H
#define POSTERN_PROVIDER_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provision/provider.h"

/*
 * What the cloud DNS providers share, and their answer decoders as pure
 * functions over bytes (unit tested; fuzzed by tests/fuzz/fuzz_<p>_decode.c).
 * A decoder returns PROVIDER_OK, or PROVIDER_ERR_PERM with e saying what in
 * the answer is not what the API documents.
 */

/* One zone or one record as an API lists it. */
struct cloud_item {
	char *id;   /* record or zone id (may be NULL) */
	char *name; /* zone name, or record content/value (API's form) */
	uint32_t ttl;
};

struct cloud_items {
	struct cloud_item *v;
	size_t n;
	char *next;     /* the next page's URL or cursor, or NULL */
	uint64_t pages; /* total pages when the API says so, else 0 */
};

void cloud_items_add(struct cloud_items *l, const char *id, const char *name,
    uint32_t ttl);
void cloud_items_cleanup(struct cloud_items *l);

/*
 * The longest zone among zones (names, any case, trailing dot or not)
 * holding name; caller frees. NULL when none does.
 */
char *cloud_pick_zone(const struct cloud_items *zones, const char *name);

/*
 * One TXT record as Cloudflare/DigitalOcean carry it ("content"/"data"):
 * a value that starts with a quote is the zone-file form of its strings,
 * anything else is the value itself (split at 255 octets).
 */
int cloud_txt_parse(const char *content, struct txt_record *out,
    struct err *e) WUR;
/* The content for r: the value alone when that reads back the same. */
char *cloud_txt_content(const struct txt_record *r);

/* Per-record APIs (Cloudflare, DigitalOcean): one record per TXT value. */
struct cloud_rec_ops {
	/* Every TXT record at name, content in the API's form. */
	int (*list)(struct provider *p, const char *zone, const char *name,
	    struct cloud_items *out, struct err *e);
	/* id NULL: create. */
	int (*put)(struct provider *p, const char *zone, const char *name,
	    const char *id, const char *content, uint32_t ttl, struct err *e);
	int (*del)(struct provider *p, const char *zone, const char *id,
	    struct err *e);
};

/* list_txt over a per-record API. */
int cloud_rec_list_txt(struct provider *p, const struct cloud_rec_ops *o,
    const char *zone, const char *name, struct txt_set *out, struct err *e);
/*
 * Replace over a per-record API: re-read and refuse (CONFLICT) when the set
 * is not old any more; then records kept as they are, a changed value
 * updated in place (patch), extra ones deleted or created.
 */
int cloud_rec_replace(struct provider *p, const struct cloud_rec_ops *o,
    const char *zone, const char *name, const struct txt_set *old,
    const struct txt_set *new, struct err *e);

/* "@" for the apex, else name relative to zone; caller frees. */
char *cloud_rel_name(const char *zone, const char *name);
/* The endpoint without trailing slashes, or def; caller frees. */
char *cloud_base(const char *endpoint, const char *def);

/* Decoders (see each provider's file for the API shapes). */
int cf_decode_list(const char *body, size_t len, bool records,
    struct cloud_items *out, struct err *e) WUR;
char *cf_errtext(const char *body, size_t len);
int do_decode_list(const char *body, size_t len, bool records,
    struct cloud_items *out, struct err *e) WUR;
char *do_errtext(const char *body, size_t len);
/* Gandi lists: *n is the number of array elements of this page. */
int gandi_decode_domains(const char *body, size_t len, struct cloud_items *out,
    size_t *n, struct err *e) WUR;
/* The TXT values (API strings) among the record sets of a page. */
int gandi_decode_rrsets(const char *body, size_t len, struct cloud_items *out,
    size_t *n, struct err *e) WUR;
char *gandi_errtext(const char *body, size_t len);
/* Azure: the zones of a page (next: nextLink). */
int az_decode_zones(const char *body, size_t len, struct cloud_items *out,
    struct err *e) WUR;
/* Azure: a TXT record set and its etag (caller frees). */
int az_decode_set(const char *body, size_t len, struct txt_set *out,
    char **etag, struct err *e) WUR;
/* Azure: a token answer: the access token (caller wipes and frees). */
int az_decode_token(const char *body, size_t len, char **token,
    uint64_t *expires_in, struct err *e) WUR;
/* ARM's and Entra ID's error bodies. */
char *az_errtext(const char *body, size_t len);

#endif

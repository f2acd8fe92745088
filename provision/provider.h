#ifndef POSTERN_PROVIDER_H
#define POSTERN_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/err.h"

/*
 * DNS providers behind one small interface: find the zone of a name, read
 * the TXT record set at a name, replace it (compare-and-swap against the set
 * the caller read) or delete it. Names are absolute, without trailing dot.
 *
 * A TXT record keeps its character-strings as they were (a record read and
 * written back is byte-identical, split included); a new value is split at
 * 255 octets by txt_record_set_value().
 */

struct txt_string {
	char *data; /* NUL-terminated copy; may hold NULs within len */
	size_t len; /* at most 255 */
};

struct txt_record {
	struct txt_string *s;
	size_t n;
};

struct txt_set {
	struct txt_record *rec;
	size_t n;     /* 0: no TXT at the name */
	uint32_t ttl; /* the record set's TTL (0 when n is 0) */
};

/* The outcome of a provider operation. */
enum provider_status {
	PROVIDER_OK = 0,
	PROVIDER_ERR_PERM = -1,     /* fix configuration or credentials */
	PROVIDER_ERR_TEMP = -2,     /* server unreachable, timeout, 5xx */
	PROVIDER_ERR_CONFLICT = -3, /* the set changed since it was read */
};

struct provider;

struct provider_ops {
	const char *type;
	int (*init)(struct provider *p, struct err *e);
	int (*find_zone)(struct provider *p, const char *name, char **zone,
	    struct err *e);
	int (*list_txt)(struct provider *p, const char *zone, const char *name,
	    struct txt_set *out, struct err *e);
	/* new->n == 0 deletes the set. */
	int (*replace_txt)(struct provider *p, const char *zone,
	    const char *name, const struct txt_set *old,
	    const struct txt_set *new, struct err *e);
	void (*cleanup)(struct provider *p);
};

/* How a provider talks to the operator and waits (manual provider). */
struct provider_opts {
	FILE *out;              /* instructions; NULL: stdout */
	uint64_t wait_timeout;  /* seconds; 0: dns.propagation_timeout */
	uint64_t poll_interval; /* seconds between DNS polls; 0: 5 */
};

struct provider {
	const struct provider_ops *ops;
	const struct config *cfg;      /* borrowed */
	const struct provider_cfg *pc; /* borrowed */
	struct provider_opts opts;
	void *priv;
};

/*
 * A provider for the config's provider entry pc (borrowed with cfg until
 * provider_free()). PROVIDER_ERR_PERM for a type not built yet.
 */
int provider_new(const struct config *cfg, const struct provider_cfg *pc,
    const struct provider_opts *opts, struct provider **out, struct err *e) WUR;
void provider_free(struct provider *p);

/* The zone apex holding name; caller frees *zone. */
int provider_find_zone(struct provider *p, const char *name, char **zone,
    struct err *e) WUR;
/* The TXT set at name in zone; caller frees with txt_set_cleanup(). */
int provider_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e) WUR;
/*
 * Replace the TXT set at name with new, provided it still equals old (as
 * listed); PROVIDER_ERR_CONFLICT, changing nothing, when it does not.
 */
int provider_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e) WUR;
/* Delete the TXT set at name, provided it still equals old. */
int provider_delete_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, struct err *e) WUR;

/* TXT values (provision/txt.c). */
void txt_record_cleanup(struct txt_record *r);
void txt_set_cleanup(struct txt_set *s);
/* A record holding value (len bytes) split into 255-octet strings. */
void txt_record_set_value(struct txt_record *r, const char *value, size_t len);
/* Append one string to r (len <= 255). */
void txt_record_add_string(struct txt_record *r, const char *data, size_t len);
/* The value: r's strings concatenated; caller frees. */
char *txt_record_value(const struct txt_record *r, size_t *len);
/* Zone-file presentation: "..." "..." (escaped by ldns); caller frees. */
char *txt_record_format(const struct txt_record *r);
/* Parse the presentation form (as PowerDNS sends it). */
int txt_record_parse(const char *text, struct txt_record *out,
    struct err *e) WUR;
bool txt_record_equal(const struct txt_record *a, const struct txt_record *b);
/* Append a deep copy of r to s. */
void txt_set_add(struct txt_set *s, const struct txt_record *r);
void txt_set_copy(struct txt_set *dst, const struct txt_set *src);
/* The same records, in any order (a DNS RRset is a set). */
bool txt_set_equal(const struct txt_set *a, const struct txt_set *b);

#endif

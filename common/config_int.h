#ifndef POSTERN_CONFIG_INT_H
#define POSTERN_CONFIG_INT_H

/* Inside the config loader: the table engine (config.c) and the schema
 * (config_schema.c). Nothing outside common/config*.c includes this. */

#include <yaml.h>

#include "common/config.h"

enum cfg_type {
	CFG_STRING,   /* char * */
	CFG_SECRET,   /* char *; also NAME_file, and ${ENV} */
	CFG_HOSTNAME, /* char *, a valid host name, lower-cased */
	CFG_DURATION, /* uint64_t seconds */
	CFG_SIZE,     /* uint64_t bytes */
	CFG_COUNT,    /* uint64_t in [min, max] */
	CFG_PORT,     /* uint16_t */
	CFG_ENUM,     /* int: index into names */
	CFG_STRLIST,  /* struct strlist */
	CFG_DURLIST,  /* struct durlist */
	CFG_SECTION,  /* a nested struct described by table */
	CFG_LIST,     /* array of structs: off is the pointer, off2 the count */
	CFG_CUSTOM,   /* parsed by custom(loader, node, parent) */
};

#define CFG_REQUIRED 0x1 /* must be given */
#define CFG_ENV 0x2      /* ${ENV} is expanded in the value */
#define CFG_EMPTY 0x4    /* an empty string is a valid value */

struct loader;
struct cfg_table;

typedef void cfg_hook_fn(struct loader *, yaml_node_t *, void *);

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *def; /* default, parsed like a value; NULL: none */
	size_t off;
	unsigned flags;
	const struct cfg_table *table; /* CFG_SECTION, CFG_LIST */
	const char *const *names;      /* CFG_ENUM, NULL-terminated */
	size_t off2;                   /* CFG_LIST: size_t count */
	uint64_t min, max;             /* CFG_COUNT */
	cfg_hook_fn *custom;           /* CFG_CUSTOM */
};

struct cfg_table {
	const struct cfg_key *keys;
	size_t size;        /* of one struct, for CFG_LIST */
	cfg_hook_fn *init;  /* before defaults, may be NULL */
	cfg_hook_fn *check; /* after the keys, may be NULL */
};

struct cfg_msg {
	size_t line, col; /* 0: the file as a whole */
	size_t seq;
	char *text;
};

struct loader {
	const char *file;
	yaml_document_t doc;
	struct buf *errors;
	int nerrors;
	struct cfg_msg *msgs; /* sorted by position when flushed */
	size_t nmsgs, msgcap;
	char path[512];
	struct config *cfg;
	struct strlist provider_names; /* every name under providers: */
};

/* Add an error at line:col (0:0 for the file as a whole). */
void cfg_errorf(struct loader *ld, size_t line, size_t col, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
/* Add "FILE:LINE:COL: PATH: message" for node (NULL: the file as a whole). */
void cfg_error(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* cfg_error() at the value of key name in mapping n, with name in the path. */
void cfg_key_error(struct loader *ld, yaml_node_t *n, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for entry i of the list at key name. */
void cfg_item_error(struct loader *ld, yaml_node_t *n, const char *name,
    size_t i, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The value node of key name in mapping n, or n itself when absent. */
yaml_node_t *cfg_value_node(struct loader *ld, yaml_node_t *n,
    const char *name);
struct cfg_pos cfg_pos_of(const yaml_node_t *n);
/* Append ".key" or "[i]" to the key path; returns the length to restore. */
size_t cfg_path_push(struct loader *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cfg_path_pop(struct loader *ld, size_t old);
/* The scalar text of n, or NULL (and an error) when n is not one. */
const char *cfg_scalar(struct loader *ld, yaml_node_t *n, const char *what);
/* Defaults, then every key of t from mapping n into obj, then t->check. */
void cfg_parse_mapping(struct loader *ld, yaml_node_t *n,
    const struct cfg_table *t, void *obj);
int cfg_strlist_add(void *list, const char *s);
/* Free every field that the table t describes in obj (not obj itself). */
void config_free_obj(const struct cfg_table *t, void *obj);
void config_free_providers(struct config *cfg);
void cfg_strlist_free(struct strlist *l);

extern const struct cfg_table config_root_table;
extern const char *const config_provider_type_names[];
extern const char *const config_key_alg_names[];
extern const char *const config_tls_policy_names[];

#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/util.h"

/*
 * The loader: libyaml builds a document, and tables of keys (name, type,
 * default, field offset) turn each mapping into a struct. Defaults live only
 * in these tables. Every error is collected with its position and key path;
 * loading goes on after an error so that all of them are reported.
 */

#define MAX_KEYS 32

void
cfg_errorf(struct loader *ld, size_t line, size_t col, const char *fmt, ...)
{
	struct cfg_msg *m;
	char text[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ld->nerrors++;
	if (ld->nmsgs == 10000)
		return; /* a broken 1 MiB file: the first 10000 are plenty */
	ld->msgs = xreallocarray(ld->msgs, &ld->msgcap, ld->nmsgs + 1,
	    sizeof(*ld->msgs));
	m = &ld->msgs[ld->nmsgs];
	m->line = line;
	m->col = col;
	m->seq = ld->nmsgs++;
	m->text = xstrdup(text);
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct cfg_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hand the errors, in file order, to the caller's buffer. */
static void
flush_errors(struct loader *ld)
{
	int rc = 0;

	if (ld->nmsgs > 0)
		qsort(ld->msgs, ld->nmsgs, sizeof(*ld->msgs), msg_cmp);
	for (size_t i = 0; i < ld->nmsgs; i++) {
		struct cfg_msg *m = &ld->msgs[i];

		if (rc == 0 && m->line == 0)
			rc = buf_printf(ld->errors, "%s: %s\n", ld->file,
			    m->text);
		else if (rc == 0)
			rc = buf_printf(ld->errors, "%s:%zu:%zu: %s\n",
			    ld->file, m->line, m->col, m->text);
		free(m->text);
	}
	free(ld->msgs);
	ld->msgs = NULL;
	ld->nmsgs = 0;
}

void
cfg_error(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (node == NULL)
		cfg_errorf(ld, 0, 0, "%s", msg);
	else
		cfg_errorf(ld, node->start_mark.line + 1,
		    node->start_mark.column + 1, "%s%s%s", ld->path,
		    ld->path[0] != '\0' ? ": " : "", msg);
}

size_t
cfg_path_push(struct loader *ld, const char *fmt, ...)
{
	size_t old = strlen(ld->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->path + old, sizeof(ld->path) - old, fmt, ap);
	va_end(ap);
	if (old == 0 && ld->path[0] == '.')
		memmove(ld->path, ld->path + 1, strlen(ld->path));
	return old;
}

void
cfg_path_pop(struct loader *ld, size_t old)
{
	ld->path[old] = '\0';
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a single value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static bool
node_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
}

/* The scalar text of n, or NULL (and an error) when n is not one. */
const char *
cfg_scalar(struct loader *ld, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		cfg_error(ld, n, "expected %s, got %s", what, node_kind(n));
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		cfg_error(ld, n, "expected %s, got a value with a NUL byte",
		    what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* An append to an uncapped buffer cannot fail short of memory. */
static void
buf_must(int rc)
{
	if (rc == -1)
		die(1, "BUG: append to an uncapped buffer failed");
}

/* Expand every ${NAME} in s from the environment; NULL on error. */
static char *
env_expand(struct loader *ld, yaml_node_t *n, const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	while (*s != '\0') {
		const char *open = strstr(s, "${"), *close, *val;
		char name[128];
		size_t nlen;

		if (open == NULL) {
			buf_must(buf_append_str(&b, s));
			break;
		}
		buf_must(buf_append(&b, s, (size_t)(open - s)));
		close = strchr(open, '}');
		nlen = close != NULL ? (size_t)(close - open - 2) : 0;
		if (close == NULL || nlen == 0 || nlen >= sizeof(name)) {
			cfg_error(ld, n, "malformed ${NAME} reference");
			buf_cleanup(&b);
			return NULL;
		}
		memcpy(name, open + 2, nlen);
		name[nlen] = '\0';
		val = getenv(name);
		if (val == NULL) {
			cfg_error(ld, n, "environment variable %s is not set",
			    name);
			buf_cleanup(&b);
			return NULL;
		}
		buf_must(buf_append_str(&b, val));
		s = close + 1;
	}
	return buf_steal(&b, NULL);
}

/* Read a secret from a file: its text without trailing white space. */
static char *
secret_from_file(struct loader *ld, yaml_node_t *n, const char *path)
{
	struct err e;
	char *data;
	size_t len;

	if (file_read(path, 65536, &data, &len, &e) == -1) {
		cfg_error(ld, n, "cannot read the secret: %s", e.msg);
		return NULL;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
	                      data[len - 1] == ' ' || data[len - 1] == '\t'))
		data[--len] = '\0';
	if (len == 0 || strlen(data) != len) {
		cfg_error(ld, n,
		    "the secret file %s is empty or has a NUL byte", path);
		explicit_bzero(data, len);
		free(data);
		return NULL;
	}
	return data;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
cfg_strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Split a default such as "5m,10m" into items and hand each to fn. */
static int
split_default(const char *def, int (*fn)(void *, const char *), void *arg)
{
	char *copy = xstrdup(def), *p = copy;
	int rc = 0;

	while (*p != '\0') {
		char *comma = strchr(p, ',');

		if (comma != NULL)
			*comma = '\0';
		if (fn(arg, p) == -1)
			rc = -1;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(copy);
	return rc;
}

int
cfg_strlist_add(void *arg, const char *s)
{
	struct strlist *l = arg;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
	return 0;
}

static int
durlist_add(void *arg, const char *s)
{
	struct durlist *l = arg;
	uint64_t d;

	if (parse_duration(s, &d) == -1)
		return -1;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = d;
	return 0;
}

static void
enum_expected(const struct cfg_key *k, char *dst, size_t len)
{
	size_t o = 0;

	dst[0] = '\0';
	for (size_t i = 0; k->names[i] != NULL && o < len; i++)
		o += (size_t)snprintf(dst + o, len - o, "%s%s", i ? ", " : "",
		    k->names[i]);
}

/*
 * Parse one scalar value s for key k into the field at p. Returns 0, or -1
 * with what was expected in *expect (for the caller's message).
 */
static int
parse_scalar(const struct cfg_key *k, const char *s, void *p,
    const char **expect)
{
	uint64_t v;

	switch (k->type) {
	case CFG_STRING:
	case CFG_SECRET:
		*expect = "a string";
		if (s[0] == '\0' && !(k->flags & CFG_EMPTY))
			return -1;
		free(*(char **)p);
		*(char **)p = xstrdup(s);
		return 0;
	case CFG_HOSTNAME:
		*expect = "a host name such as relay.example.com";
		if (!hostname_is_valid(s))
			return -1;
		free(*(char **)p);
		*(char **)p = str_lower(xstrdup(s));
		return 0;
	case CFG_DURATION:
		*expect = "a duration such as 30s, 15m, 4h or 5d";
		return parse_duration(s, (uint64_t *)p);
	case CFG_SIZE:
		*expect = "a size such as 50M (bytes, or K, M, G)";
		return parse_size(s, (uint64_t *)p);
	case CFG_COUNT:
		*expect = "a whole number";
		return parse_u64(s, k->min, k->max, (uint64_t *)p);
	case CFG_PORT:
		*expect = "a port from 1 to 65535";
		if (parse_u64(s, 1, 65535, &v) == -1)
			return -1;
		*(uint16_t *)p = (uint16_t)v;
		return 0;
	case CFG_ENUM:
		*expect = NULL;
		for (int i = 0; k->names[i] != NULL; i++) {
			if (strcmp(s, k->names[i]) == 0) {
				*(int *)p = i;
				return 0;
			}
		}
		return -1;
	default:
		die(1, "BUG: parse_scalar on key %s", k->name);
	}
}

static void apply_defaults(const struct cfg_table *t, void *obj);

static void
parse_list_of(struct loader *ld, yaml_node_t *n, const struct cfg_key *k,
    void *obj)
{
	void **arr = (void **)((char *)obj + k->off);
	size_t *count = (size_t *)((char *)obj + k->off2);
	size_t i = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_error(ld, n, "expected a list, got %s", node_kind(n));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *item = yaml_document_get_node(&ld->doc, *it);
		size_t old = cfg_path_push(ld, "[%zu]", i);
		char *elem;

		*arr = xrealloc(*arr, (*count + 1) * k->table->size);
		elem = (char *)*arr + *count * k->table->size;
		memset(elem, 0, k->table->size);
		(*count)++;
		cfg_parse_mapping(ld, item, k->table, elem);
		cfg_path_pop(ld, old);
	}
}

static void
parse_seq_scalars(struct loader *ld, yaml_node_t *n, const struct cfg_key *k,
    void *p)
{
	size_t i = 0;

	if (k->type == CFG_STRLIST)
		cfg_strlist_free(p);
	else
		((struct durlist *)p)->n = 0;
	if (node_is_null(n))
		return;
	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_error(ld, n, "expected a list, got %s", node_kind(n));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *item = yaml_document_get_node(&ld->doc, *it);
		size_t old = cfg_path_push(ld, "[%zu]", i);
		const char *s = cfg_scalar(ld, item, "a single value");

		if (s != NULL && k->type == CFG_STRLIST) {
			if (s[0] == '\0')
				cfg_error(ld, item,
				    "expected a value, got "
				    "an empty string");
			else
				(void)cfg_strlist_add(p, s);
		} else if (s != NULL && durlist_add(p, s) == -1) {
			cfg_error(ld, item,
			    "expected a duration such as 30s, 15m, 4h or 5d, "
			    "got \"%s\"",
			    s);
		}
		cfg_path_pop(ld, old);
	}
}

/* Parse node n as the value of key k (from_file: it was given as k_file). */
static void
parse_value(struct loader *ld, yaml_node_t *n, const struct cfg_key *k,
    void *obj, bool from_file)
{
	void *p = (char *)obj + k->off;
	const char *s, *expect;
	char *expanded = NULL;
	char names[256];

	switch (k->type) {
	case CFG_SECTION:
		cfg_parse_mapping(ld, n, k->table, p);
		return;
	case CFG_LIST:
		parse_list_of(ld, n, k, obj);
		return;
	case CFG_CUSTOM:
		k->custom(ld, n, obj);
		return;
	case CFG_STRLIST:
	case CFG_DURLIST:
		parse_seq_scalars(ld, n, k, p);
		return;
	default:
		break;
	}
	if ((s = cfg_scalar(ld, n, "a single value")) == NULL)
		return;
	if (from_file) {
		char *secret = secret_from_file(ld, n, s);

		if (secret != NULL) {
			free_secret(*(char **)p);
			*(char **)p = secret;
		}
		return;
	}
	if ((k->flags & CFG_ENV) || k->type == CFG_SECRET) {
		if ((expanded = env_expand(ld, n, s)) == NULL)
			return;
		s = expanded;
	}
	if (s[0] == '\0' && !(k->flags & CFG_EMPTY)) {
		cfg_error(ld, n, "expected a value, got an empty one");
	} else if (parse_scalar(k, s, p, &expect) == -1) {
		if (expect == NULL) {
			enum_expected(k, names, sizeof(names));
			cfg_error(ld, n, "expected one of %s, got \"%s\"",
			    names, s);
		} else if (k->type == CFG_COUNT) {
			cfg_error(ld, n,
			    "expected a whole number from %llu to %llu, got "
			    "\"%s\"",
			    (unsigned long long)k->min,
			    (unsigned long long)k->max, s);
		} else {
			cfg_error(ld, n, "expected %s, got \"%s\"", expect,
			    k->type == CFG_SECRET ? "(secret)" : s);
		}
	}
	if (expanded != NULL) {
		explicit_bzero(expanded, strlen(expanded));
		free(expanded);
	}
}

static void
apply_defaults(const struct cfg_table *t, void *obj)
{
	const char *expect;

	for (const struct cfg_key *k = t->keys; k->name != NULL; k++) {
		void *p = (char *)obj + k->off;

		if (k->type == CFG_SECTION) {
			if (k->table->init != NULL)
				k->table->init(NULL, NULL, p);
			apply_defaults(k->table, p);
			continue;
		}
		if (k->def == NULL)
			continue;
		if (k->type == CFG_STRLIST) {
			cfg_strlist_free(p);
			if (split_default(k->def, cfg_strlist_add, p) == -1)
				die(1, "BUG: default of %s", k->name);
		} else if (k->type == CFG_DURLIST) {
			((struct durlist *)p)->n = 0;
			if (split_default(k->def, durlist_add, p) == -1)
				die(1, "BUG: default of %s", k->name);
		} else if (parse_scalar(k, k->def, p, &expect) == -1) {
			die(1, "BUG: default of %s", k->name);
		}
	}
}

static void
list_keys(const struct cfg_table *t, char *dst, size_t len)
{
	size_t o = 0;

	dst[0] = '\0';
	for (const struct cfg_key *k = t->keys; k->name != NULL && o < len; k++)
		o += (size_t)snprintf(dst + o, len - o, "%s%s%s",
		    k == t->keys ? "" : ", ", k->name,
		    k->type == CFG_SECRET ? " (or _file)" : "");
}

/* Find key name in t; *from_file is set for the NAME_file form of secrets. */
static const struct cfg_key *
find_key(const struct cfg_table *t, const char *name, bool *from_file)
{
	size_t n = strlen(name);

	*from_file = false;
	for (const struct cfg_key *k = t->keys; k->name != NULL; k++) {
		if (strcmp(k->name, name) == 0)
			return k;
		if (k->type == CFG_SECRET && n > 5 &&
		    strcmp(name + n - 5, "_file") == 0 &&
		    strlen(k->name) == n - 5 &&
		    strncmp(k->name, name, n - 5) == 0) {
			*from_file = true;
			return k;
		}
	}
	return NULL;
}

static void
parse_pairs(struct loader *ld, yaml_node_t *n, const struct cfg_table *t,
    void *obj, bool *seen)
{
	char names[1024];

	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(&ld->doc, pr->key);
		yaml_node_t *vn = yaml_document_get_node(&ld->doc, pr->value);
		const struct cfg_key *k;
		const char *name = cfg_scalar(ld, kn, "a key name");
		bool from_file;
		size_t old;

		if (name == NULL)
			continue;
		old = cfg_path_push(ld, ".%s", name);
		k = find_key(t, name, &from_file);
		if (k == NULL) {
			list_keys(t, names, sizeof(names));
			cfg_error(ld, kn, "unknown key; expected one of: %s",
			    names);
		} else if (seen[k - t->keys]) {
			cfg_error(ld, kn,
			    k->type == CFG_SECRET
			        ? "given twice (a secret is given once: as "
			          "KEY or as KEY_file)"
			        : "duplicate key");
		} else {
			seen[k - t->keys] = true;
			parse_value(ld, vn, k, obj, from_file);
		}
		cfg_path_pop(ld, old);
	}
}

/*
 * A section missing from the file holds its defaults; run its checks (and
 * its sections') so that derived fields are set. Positions are the parent's.
 */
static void
check_absent(struct loader *ld, yaml_node_t *parent, const struct cfg_table *t,
    void *obj)
{
	for (const struct cfg_key *k = t->keys; k->name != NULL; k++)
		if (k->type == CFG_SECTION)
			check_absent(ld, parent, k->table,
			    (char *)obj + k->off);
	if (t->check != NULL)
		t->check(ld, parent, obj);
}

void
cfg_parse_mapping(struct loader *ld, yaml_node_t *n, const struct cfg_table *t,
    void *obj)
{
	bool seen[MAX_KEYS] = { false };

	if (t->init != NULL)
		t->init(ld, n, obj);
	apply_defaults(t, obj);
	if (n->type != YAML_MAPPING_NODE) {
		cfg_error(ld, n, "expected a mapping (KEY: VALUE), got %s",
		    node_kind(n));
		return;
	}
	parse_pairs(ld, n, t, obj, seen);
	for (const struct cfg_key *k = t->keys; k->name != NULL; k++) {
		if (k->type == CFG_SECTION && !seen[k - t->keys])
			check_absent(ld, n, k->table, (char *)obj + k->off);
		if ((k->flags & CFG_REQUIRED) && !seen[k - t->keys])
			cfg_error(ld, n, "missing required key \"%s\"%s",
			    k->name,
			    k->type == CFG_SECRET ? " (or its _file form)"
			                          : "");
	}
	if (t->check != NULL)
		t->check(ld, n, obj);
}

yaml_node_t *
cfg_value_node(struct loader *ld, yaml_node_t *n, const char *name)
{
	if (n == NULL || n->type != YAML_MAPPING_NODE)
		return n;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(&ld->doc, pr->key);

		if (kn->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)kn->data.scalar.value, name) == 0)
			return yaml_document_get_node(&ld->doc, pr->value);
	}
	return n;
}

void
cfg_key_error(struct loader *ld, yaml_node_t *n, const char *name,
    const char *fmt, ...)
{
	char msg[1024];
	size_t old = cfg_path_push(ld, ".%s", name);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_error(ld, cfg_value_node(ld, n, name), "%s", msg);
	cfg_path_pop(ld, old);
}

void
cfg_item_error(struct loader *ld, yaml_node_t *n, const char *name, size_t i,
    const char *fmt, ...)
{
	yaml_node_t *seq = cfg_value_node(ld, n, name), *item = seq;
	size_t old = cfg_path_push(ld, ".%s[%zu]", name, i);
	char msg[1024];
	va_list ap;

	if (seq != n && seq->type == YAML_SEQUENCE_NODE &&
	    i < (size_t)(seq->data.sequence.items.top -
	                 seq->data.sequence.items.start))
		item = yaml_document_get_node(&ld->doc,
		    seq->data.sequence.items.start[i]);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_error(ld, item, "%s", msg);
	cfg_path_pop(ld, old);
}

struct cfg_pos
cfg_pos_of(const yaml_node_t *n)
{
	struct cfg_pos p = { 0, 0 };

	if (n != NULL) {
		p.line = (int)n->start_mark.line + 1;
		p.col = (int)n->start_mark.column + 1;
	}
	return p;
}

/* Refuse what the file may not contain before libyaml sees it. */
static int
precheck_text(struct loader *ld, const char *text, size_t len)
{
	size_t line = 1, col = 1, i = 0;
	bool indent = true;
	int bad = 0;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		size_t n = c < 0x80             ? 1
		           : (c & 0xe0) == 0xc0 ? 2
		           : (c & 0xf0) == 0xe0 ? 3
		           : (c & 0xf8) == 0xf0 ? 4
		                                : 0;

		if (n == 0 || i + n > len || (n == 2 && c < 0xc2)) {
			cfg_errorf(ld, line, col, "invalid UTF-8 (byte 0x%02x)",
			    c);
			return -1;
		}
		for (size_t j = 1; j < n; j++) {
			if (((unsigned char)text[i + j] & 0xc0) != 0x80) {
				cfg_errorf(ld, line, col,
				    "invalid UTF-8 (byte 0x%02x)", c);
				return -1;
			}
		}
		if (c == '\t' && indent) {
			cfg_errorf(ld, line, col,
			    "tab character in indentation; YAML "
			    "indents with spaces");
			bad = -1;
			indent = false;
		} else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			cfg_errorf(ld, line, col,
			    "control character 0x%02x is not "
			    "allowed",
			    c);
			return -1;
		}
		if (c == '\n') {
			line++;
			col = 1;
			indent = true;
		} else {
			col++;
			if (c != ' ' && c != '\t')
				indent = false;
		}
		i += n;
	}
	return bad;
}

static void
yaml_problem(struct loader *ld, yaml_parser_t *p)
{
	const yaml_mark_t *m = p->problem_mark.line || p->problem_mark.column
	                           ? &p->problem_mark
	                           : &p->context_mark;

	cfg_errorf(ld, m->line + 1, m->column + 1, "YAML syntax error: %s%s%s",
	    p->problem != NULL ? p->problem : "unknown problem",
	    p->context != NULL ? " " : "",
	    p->context != NULL ? p->context : "");
}

/* Aliases could make the tree exponentially large: refuse them. */
static int
refuse_aliases(struct loader *ld, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_problem(ld, &p);
			rc = -1;
			break;
		}
		if (ev.type == YAML_ALIAS_EVENT) {
			cfg_errorf(ld, ev.start_mark.line + 1,
			    ev.start_mark.column + 1,
			    "YAML aliases (*%s) are not "
			    "supported; write the value out",
			    ev.data.alias.anchor);
			rc = -1;
		}
		if (ev.type == YAML_STREAM_END_EVENT || rc == -1) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

static int
load_document(struct loader *ld, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_document_t extra;
	int rc = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &ld->doc)) {
		yaml_problem(ld, &p);
		yaml_parser_delete(&p);
		return -1;
	}
	if (!yaml_parser_load(&p, &extra)) {
		yaml_problem(ld, &p);
		rc = -1;
	} else {
		if (yaml_document_get_root_node(&extra) != NULL) {
			cfg_errorf(ld, extra.start_mark.line + 1,
			    extra.start_mark.column + 1,
			    "only one YAML document is allowed");
			rc = -1;
		}
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&p);
	if (rc == -1)
		yaml_document_delete(&ld->doc);
	return rc;
}

/* Parse text into a new config; errors stay in ld until flushed. */
static struct config *
load_text(struct loader *ld, const char *text, size_t len)
{
	yaml_node_t *root;
	struct config *cfg;

	if (len > CONFIG_MAX_FILE) {
		cfg_errorf(ld, 0, 0,
		    "file is too large (%zu bytes; the limit is 1 MiB)", len);
		return NULL;
	}
	if (precheck_text(ld, text, len) == -1 ||
	    refuse_aliases(ld, text, len) == -1 ||
	    load_document(ld, text, len) == -1)
		return NULL;
	root = yaml_document_get_root_node(&ld->doc);
	if (root == NULL || node_is_null(root)) {
		cfg_errorf(ld, 1, 1,
		    "the file is empty; expected a mapping with the keys "
		    "relay, "
		    "domains and providers (see templates/postern.yaml)");
		yaml_document_delete(&ld->doc);
		return NULL;
	}
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(ld->file);
	ld->cfg = cfg;
	cfg_parse_mapping(ld, root, &config_root_table, cfg);
	yaml_document_delete(&ld->doc);
	if (ld->nerrors > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

int
config_load_string(const char *name, const char *text, size_t len,
    struct config **out, struct buf *errors)
{
	struct loader ld;

	memset(&ld, 0, sizeof(ld));
	ld.file = name;
	ld.errors = errors;
	*out = load_text(&ld, text, len);
	cfg_strlist_free(&ld.provider_names);
	flush_errors(&ld);
	return *out != NULL ? 0 : -1;
}

int
config_load(const char *path, struct config **out, struct buf *errors)
{
	struct err e;
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	if (file_read(path, CONFIG_MAX_FILE, &text, &len, &e) == -1) {
		if (buf_printf(errors, "%s\n", e.msg) == -1)
			return -1;
		return -1;
	}
	rc = config_load_string(path, text, len, out, errors);
	free(text);
	return rc;
}

void
config_free_obj(const struct cfg_table *t, void *obj)
{
	for (const struct cfg_key *k = t->keys; k->name != NULL; k++) {
		void *p = (char *)obj + k->off;

		switch (k->type) {
		case CFG_STRING:
		case CFG_HOSTNAME:
			free(*(char **)p);
			break;
		case CFG_SECRET:
			free_secret(*(char **)p);
			break;
		case CFG_STRLIST:
			cfg_strlist_free(p);
			break;
		case CFG_DURLIST:
			free(((struct durlist *)p)->v);
			break;
		case CFG_SECTION:
			config_free_obj(k->table, p);
			break;
		case CFG_LIST: {
			char *arr = *(char **)p;
			size_t n = *(size_t *)((char *)obj + k->off2);

			for (size_t i = 0; i < n; i++)
				config_free_obj(k->table,
				    arr + i * k->table->size);
			free(arr);
			break;
		}
		default:
			break;
		}
	}
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	config_free_obj(&config_root_table, cfg);
	config_free_providers(cfg);
	free(cfg->dns.authoritative_hp);
	free(cfg->relay.public_ip);
	free(cfg->relay.allow_net);
	free(cfg->path);
	free(cfg);
}

int
config_set_resolver(struct config *cfg, const char *resolver, struct err *e)
{
	struct hostport hp;

	if (strcmp(resolver, "system") == 0) {
		cfg->dns.resolver_system = true;
	} else {
		if (hostport_parse(resolver, 53, true, &hp, e) == -1)
			return -1;
		cfg->dns.resolver_system = false;
		cfg->dns.resolver_hp = hp;
	}
	free(cfg->dns.resolver);
	cfg->dns.resolver = xstrdup(resolver);
	return 0;
}

const struct domain_cfg *
config_domain(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ndomains; i++)
		if (str_ieq(name, strlen(name), cfg->domains[i].name))
			return &cfg->domains[i];
	return NULL;
}

const char *
config_provider_type_name(enum provider_type t)
{
	return config_provider_type_names[t];
}

const char *
config_key_alg_name(enum key_alg a)
{
	return config_key_alg_names[a];
}

const char *
config_tls_policy_name(enum tls_policy p)
{
	return p == TLS_POLICY_INHERIT ? "inherit" : config_tls_policy_names[p];
}

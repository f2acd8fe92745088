#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dnscheck/tags.h"

#define TAGS_MAX 64

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim white space at both ends of [*s, *e). */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && is_wsp(**s))
		(*s)++;
	while (*e > *s && is_wsp((*e)[-1]))
		(*e)--;
}

static int
tag_add(struct taglist *t, size_t *cap, const char *ns, const char *ne,
    const char *vs, const char *ve, struct err *e)
{
	struct tag *tag;

	if (ns == ne || !isalpha((unsigned char)*ns) ||
	    (size_t)(ne - ns) >= sizeof(tag->name))
		return err_set(e, "bad tag name \"%.*s\"",
		    (int)(ne - ns > 32 ? 32 : ne - ns), ns);
	for (const char *c = ns; c < ne; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return err_set(e, "bad tag name \"%.*s\"",
			    (int)(ne - ns), ns);
	for (const char *c = vs; c < ve; c++)
		if (!is_wsp(*c) && ((unsigned char)*c < 0x21 ||
		                       (unsigned char)*c > 0x7e || *c == ';'))
			return err_set(e, "tag %.*s: bad character 0x%02x",
			    (int)(ne - ns), ns, (unsigned char)*c);
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->v[i].name) == (size_t)(ne - ns) &&
		    memcmp(t->v[i].name, ns, (size_t)(ne - ns)) == 0)
			return err_set(e, "tag %.*s appears twice",
			    (int)(ne - ns), ns);
	if (t->n >= TAGS_MAX)
		return err_set(e, "more than %d tags", TAGS_MAX);
	t->v = xreallocarray(t->v, cap, t->n + 1, sizeof(*t->v));
	tag = &t->v[t->n++];
	memcpy(tag->name, ns, (size_t)(ne - ns));
	tag->name[ne - ns] = '\0';
	tag->value = xstrndup(vs, (size_t)(ve - vs));
	return 0;
}

int
taglist_parse(const char *p, size_t len, struct taglist *out, struct err *e)
{
	const char *end = p + len, *s = p;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	while (s < end) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *te = semi != NULL ? semi : end;
		const char *eq = memchr(s, '=', (size_t)(te - s));
		const char *ns = s, *ne, *vs, *ve = te;

		if (eq == NULL) {
			const char *a = s, *b = te;

			trim(&a, &b);
			if (a == b && semi == NULL)
				break; /* a trailing ";" */
			taglist_cleanup(out);
			return err_set(e, "\"%.*s\" is not tag=value",
			    (int)(b - a > 40 ? 40 : b - a), a);
		}
		ne = eq;
		vs = eq + 1;
		trim(&ns, &ne);
		trim(&vs, &ve);
		if (tag_add(out, &cap, ns, ne, vs, ve, e) == -1) {
			taglist_cleanup(out);
			return -1;
		}
		s = semi != NULL ? semi + 1 : end;
	}
	return 0;
}

const char *
taglist_get(const struct taglist *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return t->v[i].value;
	return NULL;
}

void
taglist_cleanup(struct taglist *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].value);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

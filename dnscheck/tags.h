#ifndef POSTERN_TAGS_H
#define POSTERN_TAGS_H

#include <stddef.h>

#include "common/err.h"

/* The tag=value lists of DKIM key records (RFC 6376 3.2) and DMARC. */

struct tag {
	char name[32];
	char *value; /* folding white space removed at both ends */
};

struct taglist {
	struct tag *v;
	size_t n;
};

/*
 * Parse p[0..len). Refuses bad tag names, values with characters outside
 * VALCHAR and WSP, and duplicate tags (3.2), naming the tag in e.
 */
int taglist_parse(const char *p, size_t len, struct taglist *out,
    struct err *e) WUR;
/* The value of name, or NULL. */
const char *taglist_get(const struct taglist *t, const char *name);
void taglist_cleanup(struct taglist *t);

#endif

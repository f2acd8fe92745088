#ifndef POSTERN_UNIT_TMP_H
#define POSTERN_UNIT_TMP_H

/* Temporary directories for the unit tests. */

#include <stdio.h>
#include <stdlib.h>

#include "common/util.h"

/* A new directory /tmp/NAME.XXXXXX, or NULL; caller frees the name. */
static inline char *
unit_tmp_make(const char *name)
{
	char *dir = xasprintf("/tmp/%s.XXXXXX", name);

	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* Remove dir and everything below it; 0, or -1 (said on stderr). */
static inline int
unit_tmp_remove(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd) == 0 ? 0 : -1;

	if (rc == -1)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return rc;
}

#endif

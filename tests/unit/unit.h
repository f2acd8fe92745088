#ifndef POSTERN_UNIT_H
#define POSTERN_UNIT_H

/* Helpers shared by the unit tests: temporary directories, a config. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/config.h"
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

/* The configuration in text (as file "t.yaml"); the test fails with the
 * loader's errors when it is not valid. config_free() it. */
static inline struct config *
unit_config(const char *text)
{
	struct config *cfg = NULL;
	struct buf errors;

	buf_init(&errors, 0);
	if (config_load_string("t.yaml", text, strlen(text), &cfg, &errors) ==
	    -1)
		fail_msg("unexpected config errors:\n%s", errors.data);
	buf_cleanup(&errors);
	return cfg;
}

#endif

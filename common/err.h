#ifndef POSTERN_ERR_H
#define POSTERN_ERR_H

#include <stddef.h>

/* Details of a failure, filled where it is seen and read by the caller. */
struct err {
	char msg[1024];
};

#define ERR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define WUR __attribute__((warn_unused_result))

/* Set e's message (e may be NULL); always returns -1 for `return err_set()`. */
int err_set(struct err *e, const char *fmt, ...) ERR_PRINTF(2, 3);

/* Prefix e's message with more context: "context: old message". */
int err_prefix(struct err *e, const char *fmt, ...) ERR_PRINTF(2, 3);

#endif

#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/err.h"

/*
 * A growing byte buffer with a hard cap: appending past `max` fails instead
 * of growing, so peer-sized data is a protocol error, not memory exhaustion.
 * `data` is always NUL-terminated (the NUL is not counted in len).
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

/* Empty buffer that may hold up to max bytes (0: no cap). */
void buf_init(struct buf *b, size_t max);
void buf_cleanup(struct buf *b);
void buf_reset(struct buf *b);
/* Append; -1 (and nothing appended) when it would exceed max. */
int buf_append(struct buf *b, const void *p, size_t n) WUR;
int buf_append_str(struct buf *b, const char *s) WUR;
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) WUR;
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0))) WUR;
/* Hand the data to the caller (who frees it) and leave b empty. */
char *buf_steal(struct buf *b, size_t *len);

#endif

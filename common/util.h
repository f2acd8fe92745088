#ifndef POSTERN_UTIL_H
#define POSTERN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that exits on failure: callers cap peer-driven sizes first. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array to hold at least `want` elements of `size` (doubling). */
void *xreallocarray(void *p, size_t *cap, size_t want, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Formatted allocation; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "PROGRAM: message" to stderr and exit(code). For start-up errors. */
void die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* The program name used by die(); set once in main(). */
void util_set_progname(const char *name);

/* Copy src into dst of size dstlen; -1 (dst truncated) when it does not fit. */
int str_copy(char *dst, size_t dstlen, const char *src) WUR;
/* Case-insensitive ASCII equality of s (len n) and the C string lit. */
bool str_ieq(const char *s, size_t n, const char *lit);
/* Lower-case ASCII in place; returns s. */
char *str_lower(char *s);
/* Shell-style glob (`*`, `?`) over the whole of s, ASCII case-insensitive. */
bool str_glob_match(const char *pattern, const char *s);

/* Parse a decimal number in [min, max]; no sign, no spaces, no junk. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) WUR;
/* "30s", "15m", "4h", "5d" or a bare "0", in seconds. */
int parse_duration(const char *s, uint64_t *seconds) WUR;
/* "1234" bytes or "50K", "50M", "1G" (powers of 1024). */
int parse_size(const char *s, uint64_t *bytes) WUR;
/* Format a duration in seconds back as the largest exact unit ("90m"). */
void format_duration(uint64_t seconds, char *dst, size_t dstlen);

/* Read a whole file of at most max bytes; caller frees *out (NUL-terminated).
 */
int file_read(const char *path, size_t max, char **out, size_t *len,
    struct err *e) WUR;
/*
 * Write data to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory. mode applies to the new file.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
    unsigned mode, struct err *e) WUR;
/* mkdir -p with the given mode for the directories it creates. */
int mkdir_p(const char *path, unsigned mode, struct err *e) WUR;

#endif

#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

#define LOG_PRINTF __attribute__((format(printf, 1, 2)))

/*
 * Choose the destination (stderr, or syslog under ident) and the most
 * verbose level written. Before log_init() messages go to stderr at INFO.
 */
void log_init(const char *ident, bool use_syslog, enum log_level level);
/* Parse "error", "warn", "info" or "debug"; -1 when it is none of them. */
int log_level_parse(const char *s, enum log_level *out);

/* One line per event, as key=value pairs: "event=queued id=... result=ok". */
void log_error(const char *fmt, ...) LOG_PRINTF;
void log_warn(const char *fmt, ...) LOG_PRINTF;
void log_info(const char *fmt, ...) LOG_PRINTF;
void log_debug(const char *fmt, ...) LOG_PRINTF;
/* The same, with " error=\"strerror(errno)\"" appended. */
void log_error_errno(const char *fmt, ...) LOG_PRINTF;
void log_warn_errno(const char *fmt, ...) LOG_PRINTF;

/*
 * Copy untrusted text into dst for logging: printable ASCII stays, '"' and
 * '\\' and everything else become \xNN, and the result is cut at dstlen - 1
 * with "..." marking the cut. Returns dst.
 */
char *log_escape(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif

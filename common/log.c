#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "common/log.h"

/* The one piece of process-wide state in common/: where logs go. */
static struct {
	bool syslog;
	enum log_level level;
} log_state = { false, LOG_LEVEL_INFO };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_init(const char *ident, bool use_syslog, enum log_level level)
{
	log_state.syslog = use_syslog;
	log_state.level = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(*level_names);
	     i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void __attribute__((format(printf, 3, 0)))
log_vwrite(enum log_level level, const char *suffix, const char *fmt,
    va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[4096];
	char stamp[32];
	struct tm tm;
	time_t now;

	if (level > log_state.level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_state.syslog) {
		syslog(prio[level], "level=%s %s%s", level_names[level], line,
		    suffix);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s level=%s %s%s\n", stamp, level_names[level], line,
	    suffix);
}

#define LOG_FN(name, level)                                                    \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, "", fmt, ap);                                \
		va_end(ap);                                                    \
	}

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

#define LOG_ERRNO_FN(name, level)                                              \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		char suffix[300];                                              \
		int saved = errno;                                             \
		va_list ap;                                                    \
		snprintf(suffix, sizeof(suffix), " error=\"%s\"",              \
		    strerror(saved));                                          \
		va_start(ap, fmt);                                             \
		log_vwrite(level, suffix, fmt, ap);                            \
		va_end(ap);                                                    \
	}

LOG_ERRNO_FN(log_error_errno, LOG_LEVEL_ERROR)
LOG_ERRNO_FN(log_warn_errno, LOG_LEVEL_WARN)

char *
log_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (dstlen == 0)
		return dst;
	for (size_t i = 0; i < srclen; i++) {
		unsigned char ch = (unsigned char)src[i];
		size_t need =
		    (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? 1
		                                                         : 4;

		if (o + need + 4 > dstlen) {
			if (dstlen >= 4) {
				o = o > dstlen - 4 ? dstlen - 4 : o;
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			dst[o++] = (char)ch;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static const char *progname = "postern";

void
util_set_progname(const char *name)
{
	progname = name;
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		die(1, "out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);

	if (p == NULL)
		die(1, "out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		die(1, "out of memory (%zu bytes)", n);
	return q;
}

void *
xreallocarray(void *p, size_t *cap, size_t want, size_t size)
{
	size_t n = *cap;

	if (want <= n)
		return p;
	if (n < 4)
		n = 4;
	while (n < want) {
		if (n > SIZE_MAX / 2)
			die(1, "BUG: array size overflow");
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		die(1, "BUG: array size overflow");
	p = xrealloc(p, n * size);
	*cap = n;
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(1, "BUG: bad format \"%s\"", fmt);
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int
str_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (dstlen == 0)
		return -1;
	if (n >= dstlen) {
		memcpy(dst, src, dstlen - 1);
		dst[dstlen - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

bool
str_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i] != '\0'; i++)
		if (ascii_lower((unsigned char)s[i]) !=
		    ascii_lower((unsigned char)lit[i]))
			return false;
	return i == n && lit[i] == '\0';
}

char *
str_lower(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)ascii_lower((unsigned char)*p);
	return s;
}

/* Iterative glob with one backtrack point: linear, never exponential. */
bool
str_glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == '?' ||
		           (*pat != '\0' &&
		               ascii_lower((unsigned char)*pat) ==
		                   ascii_lower((unsigned char)*s))) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Split "123X" into the number and the unit letter (0 when none). */
static int
split_unit(const char *s, uint64_t *num, char *unit)
{
	char digits[24];
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(digits))
		return -1;
	*unit = 0;
	if (s[n - 1] < '0' || s[n - 1] > '9') {
		*unit = s[n - 1];
		n--;
	}
	if (n == 0)
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';
	return parse_u64(digits, 0, UINT64_MAX, num);
}

int
parse_duration(const char *s, uint64_t *seconds)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	uint64_t n;
	char unit;

	if (strcmp(s, "0") == 0) {
		*seconds = 0;
		return 0;
	}
	if (split_unit(s, &n, &unit) == -1 || unit == 0)
		return -1;
	for (size_t i = 0; i < NELEM(units); i++) {
		if (units[i].unit != unit)
			continue;
		/* Cap at 100 years: larger values are typos, not intent. */
		if (n > (UINT64_C(100) * 365 * 86400) / units[i].mult)
			return -1;
		*seconds = n * units[i].mult;
		return 0;
	}
	return -1;
}

int
parse_size(const char *s, uint64_t *bytes)
{
	uint64_t n, mult;
	char unit;

	if (split_unit(s, &n, &unit) == -1)
		return -1;
	switch (unit) {
	case 0:
		mult = 1;
		break;
	case 'K':
		mult = UINT64_C(1) << 10;
		break;
	case 'M':
		mult = UINT64_C(1) << 20;
		break;
	case 'G':
		mult = UINT64_C(1) << 30;
		break;
	default:
		return -1;
	}
	if (n > (UINT64_C(1) << 50) / mult)
		return -1;
	*bytes = n * mult;
	return 0;
}

void
format_duration(uint64_t s, char *dst, size_t dstlen)
{
	if (s != 0 && s % 86400 == 0)
		snprintf(dst, dstlen, "%llud", (unsigned long long)(s / 86400));
	else if (s != 0 && s % 3600 == 0)
		snprintf(dst, dstlen, "%lluh", (unsigned long long)(s / 3600));
	else if (s != 0 && s % 60 == 0)
		snprintf(dst, dstlen, "%llum", (unsigned long long)(s / 60));
	else
		snprintf(dst, dstlen, "%llus", (unsigned long long)s);
}

int
file_read(const char *path, size_t max, char **out, size_t *len, struct err *e)
{
	struct stat st;
	char *data;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1) {
		err_set(e, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return err_set(e, "%s: is a directory", path);
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		close(fd);
		return err_set(e,
		    "%s: file is too large (%lld bytes; the limit is %zu)",
		    path, (long long)st.st_size, max);
	}
	data = xmalloc(max + 1);
	while ((n = read(fd, data + got, max + 1 - got)) > 0) {
		got += (size_t)n;
		if (got > max)
			break;
	}
	if (n == -1) {
		err_set(e, "%s: %s", path, strerror(errno));
		free(data);
		close(fd);
		return -1;
	}
	close(fd);
	if (got > max) {
		free(data);
		return err_set(e,
		    "%s: file is too large (the limit is %zu bytes)", path,
		    max);
	}
	data[got] = '\0';
	*out = data;
	*len = got;
	return 0;
}

static int
fsync_dir_of(const char *path, struct err *e)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd, rc = 0;

	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fsync(fd) == -1)
		rc = err_set(e, "%s: fsync: %s", dir, strerror(errno));
	if (fd != -1)
		close(fd);
	free(dir);
	return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
    struct err *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	size_t off = 0;
	int fd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1) {
		err_set(e, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		off += (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	return fsync_dir_of(path, e);
fail:
	err_set(e, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
mkdir_p(const char *path, unsigned mode, struct err *e)
{
	char *p = xstrdup(path);

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;

		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST) {
			err_set(e, "%s: mkdir: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	free(p);
	return 0;
}

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "relayd/mtasts.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks from both ends of [*p, *p + *len). */
static void
trim(const char **p, size_t *len)
{
	while (*len > 0 && is_wsp(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && is_wsp((*p)[*len - 1]))
		(*len)--;
}

int
mtasts_txt_parse(const char *p, size_t len, char *id, size_t idlen,
    struct err *e)
{
	const char *end = p + len;
	bool first = true, have_id = false;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t n =
		    semi != NULL ? (size_t)(semi - p) : (size_t)(end - p);
		const char *f = p;

		p += n + (semi != NULL);
		trim(&f, &n);
		if (n == 0)
			continue;
		if (first) {
			if (n != 7 || memcmp(f, "v=STSv1", 7) != 0)
				return err_set(e,
				    "the record does not start with v=STSv1");
			first = false;
			continue;
		}
		if (n > 3 && memcmp(f, "id=", 3) == 0) {
			/* id = 1*32(ALPHA / DIGIT) */
			if (n - 3 > 32 || n - 3 >= idlen)
				return err_set(e, "id= is longer than 32");
			for (size_t i = 3; i < n; i++)
				if (!((f[i] >= '0' && f[i] <= '9') ||
				        ((f[i] | 0x20) >= 'a' &&
				            (f[i] | 0x20) <= 'z')))
					return err_set(e, "id= is not "
					                  "alphanumeric");
			memcpy(id, f + 3, n - 3);
			id[n - 3] = '\0';
			have_id = true;
		}
	}
	if (first)
		return err_set(e, "the record is empty");
	if (!have_id)
		return err_set(e, "the record has no id=");
	return 0;
}

/* Handle one "key: value" line of a policy. */
static int
policy_field(struct mtasts_policy *pol, const char *k, size_t klen,
    const char *v, size_t vlen, unsigned *seen, struct err *e)
{
	char num[16];

	if (str_ieq(k, klen, "version")) {
		if (vlen != 5 || memcmp(v, "STSv1", 5) != 0)
			return err_set(e, "version is not STSv1");
		*seen |= 1;
	} else if (str_ieq(k, klen, "mode")) {
		if (vlen == 7 && memcmp(v, "enforce", 7) == 0)
			pol->mode = MTASTS_ENFORCE;
		else if (vlen == 7 && memcmp(v, "testing", 7) == 0)
			pol->mode = MTASTS_TESTING;
		else if (vlen == 4 && memcmp(v, "none", 4) == 0)
			pol->mode = MTASTS_NONE;
		else
			return err_set(e, "mode is not enforce, testing or "
			                  "none");
		*seen |= 2;
	} else if (str_ieq(k, klen, "max_age")) {
		if (vlen == 0 || vlen >= sizeof(num))
			return err_set(e, "max_age is not a number");
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (parse_u64(num, 0, 31557600, &pol->max_age) == -1)
			return err_set(e, "max_age is not a number up to "
			                  "31557600");
		*seen |= 4;
	} else if (str_ieq(k, klen, "mx")) {
		if (vlen == 0 || vlen > 253 || pol->nmx >= 100)
			return err_set(e, "bad or too many mx lines");
		pol->mx = xrealloc(pol->mx, (pol->nmx + 1) * sizeof(*pol->mx));
		pol->mx[pol->nmx++] = str_lower(xstrndup(v, vlen));
	}
	return 0; /* other keys are ignored (RFC 8461 3.2) */
}

int
mtasts_policy_parse(const char *p, size_t len, struct mtasts_policy *out,
    struct err *e)
{
	const char *end = p + len;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	if (len > MTASTS_POLICY_MAX)
		return err_set(e, "the policy is larger than 64 KiB");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p, *colon, *v;
		size_t klen, vlen;

		p += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		colon = memchr(line, ':', n);
		if (colon == NULL)
			return err_set(e, "a policy line has no ':'");
		klen = (size_t)(colon - line);
		v = colon + 1;
		vlen = n - klen - 1;
		trim(&v, &vlen);
		if (policy_field(out, line, klen, v, vlen, &seen, e) == -1)
			return -1;
	}
	if ((seen & 7) != 7)
		return err_set(e, "the policy lacks version, mode or max_age");
	if (out->mode != MTASTS_NONE && out->nmx == 0)
		return err_set(e, "the policy has no mx line");
	return 0;
}

void
mtasts_policy_cleanup(struct mtasts_policy *pol)
{
	for (size_t i = 0; i < pol->nmx; i++)
		free(pol->mx[i]);
	free(pol->mx);
	pol->mx = NULL;
	pol->nmx = 0;
}

bool
mtasts_mx_matches(const struct mtasts_policy *pol, const char *host)
{
	size_t hlen = strlen(host);

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	for (size_t i = 0; i < pol->nmx; i++) {
		const char *m = pol->mx[i];

		if (strncmp(m, "*.", 2) == 0) {
			/* The wildcard stands for exactly one label. */
			const char *dot = memchr(host, '.', hlen);
			size_t rest;

			if (dot == NULL || dot == host)
				continue;
			rest = hlen - (size_t)(dot - host);
			if (str_ieq(dot, rest, m + 1))
				return true;
		} else if (str_ieq(host, hlen, m)) {
			return true;
		}
	}
	return false;
}

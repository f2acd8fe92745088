#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "dnscheck/spf.h"

/* The macro language of RFC 7208 section 7. */

#define MACRO_MAX_PARTS 1024 /* > parts of a 1023-byte value */

struct macro {
	char letter;     /* lower case */
	bool upper;      /* URL-escape the result */
	unsigned digits; /* 0: all parts */
	bool reverse;
	char delims[8]; /* NUL-terminated; "" means "." */
};

static const char macro_letters[] = "slodiphcrtv";
static const char macro_exp_only[] = "crt";
static const char macro_delims[] = ".-+,/_=";

/*
 * Parse the inside of "%{...}" at p[0..len) (after the brace); sets *used
 * to the bytes consumed including the closing brace.
 */
static int
macro_parse(const char *p, size_t len, bool exp, struct macro *m, size_t *used,
    struct err *e)
{
	size_t i = 1, nd = 0;
	unsigned long v = 0;
	bool have_digits = false;

	memset(m, 0, sizeof(*m));
	if (len == 0 ||
	    strchr(macro_letters, tolower((unsigned char)p[0])) == NULL ||
	    p[0] == '\0')
		return err_set(e, "unknown macro letter in \"%%{%.*s\"",
		    (int)(len > 8 ? 8 : len), p);
	m->letter = (char)tolower((unsigned char)p[0]);
	m->upper = isupper((unsigned char)p[0]) != 0;
	if (!exp && strchr(macro_exp_only, m->letter) != NULL)
		return err_set(e, "%%{%c} is allowed only in exp= text", p[0]);
	for (; i < len && isdigit((unsigned char)p[i]); i++) {
		have_digits = true;
		if (v < 1000)
			v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (have_digits && v == 0)
		return err_set(e, "macro digit transformer must not be 0");
	m->digits = (unsigned)v;
	if (i < len && (p[i] == 'r' || p[i] == 'R')) {
		m->reverse = true;
		i++;
	}
	for (; i < len && strchr(macro_delims, p[i]) != NULL && p[i] != '\0';
	     i++)
		if (strchr(m->delims, p[i]) == NULL &&
		    nd < sizeof(m->delims) - 1)
			m->delims[nd++] = p[i];
	if (i >= len || p[i] != '}')
		return err_set(e, "unterminated or malformed macro \"%%{%.*s\"",
		    (int)(i + 1 > len ? len : i + 1), p);
	*used = i + 1;
	return 0;
}

/* Walk a macro-string; with out == NULL only the syntax is checked. */
static int macro_walk(const char *p, size_t len, const struct spf_macro_ctx *c,
    bool exp, struct buf *out, struct err *e);

int
spf_macro_check(const char *p, size_t len, bool exp, struct err *e)
{
	return macro_walk(p, len, NULL, exp, NULL, e);
}

int
spf_macro_expand(const char *p, size_t len, const struct spf_macro_ctx *c,
    bool exp, struct buf *out, struct err *e)
{
	buf_reset(out);
	out->max = SPF_MAX_EXPAND;
	if (buf_append(out, "", 0) == -1)
		return err_set(e, "out of space");
	return macro_walk(p, len, c, exp, out, e);
}

static void
ip_dotted(const struct ipaddr *ip, bool nibbles, char *dst, size_t dstlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (ip->family == AF_INET) {
		snprintf(dst, dstlen, "%u.%u.%u.%u", ip->a[0], ip->a[1],
		    ip->a[2], ip->a[3]);
		return;
	}
	if (!nibbles) {
		ip_format(ip, dst, dstlen);
		return;
	}
	for (int i = 0; i < 16 && o + 4 < dstlen; i++) {
		dst[o++] = hex[ip->a[i] >> 4];
		dst[o++] = '.';
		dst[o++] = hex[ip->a[i] & 0xf];
		dst[o++] = '.';
	}
	dst[o > 0 ? o - 1 : 0] = '\0';
}

/* The raw value of a macro letter into dst. */
static void
macro_value(const struct spf_macro_ctx *c, char letter, char *dst,
    size_t dstlen)
{
	const char *at = strrchr(c->sender, '@');
	const char *v = NULL;

	switch (letter) {
	case 's':
		v = c->sender;
		break;
	case 'l':
		snprintf(dst, dstlen, "%.*s",
		    at != NULL ? (int)(at - c->sender) : 0, c->sender);
		return;
	case 'o':
		v = at != NULL ? at + 1 : c->sender;
		break;
	case 'd':
		v = c->domain;
		break;
	case 'i':
	case 'c':
		ip_dotted(c->ip, letter == 'i', dst, dstlen);
		return;
	case 'p':
		v = c->ptr_cb != NULL ? c->ptr_cb(c->ptr_arg) : NULL;
		v = v != NULL ? v : "unknown";
		break;
	case 'v':
		v = c->ip->family == AF_INET ? "in-addr" : "ip6";
		break;
	case 'h':
		v = c->helo != NULL ? c->helo : "";
		break;
	case 'r':
		v = c->receiver != NULL ? c->receiver : "unknown";
		break;
	default: /* 't' */
		snprintf(dst, dstlen, "%llu", (unsigned long long)c->now);
		return;
	}
	snprintf(dst, dstlen, "%s", v);
}

/* Split, reverse, keep the right-hand parts, join with dots (7.3). */
static void
macro_transform(const struct macro *m, char *val, struct buf *t)
{
	const char *delims = m->delims[0] != '\0' ? m->delims : ".";
	char *parts[MACRO_MAX_PARTS];
	size_t n = 0, first = 0;
	char *s = val;

	for (;;) {
		size_t k = strcspn(s, delims);

		if (n == MACRO_MAX_PARTS)
			break;
		parts[n++] = s;
		if (s[k] == '\0')
			break;
		s[k] = '\0';
		s += k + 1;
	}
	if (m->reverse)
		for (size_t i = 0; i < n / 2; i++) {
			char *x = parts[i];

			parts[i] = parts[n - 1 - i];
			parts[n - 1 - i] = x;
		}
	if (m->digits != 0 && m->digits < n)
		first = n - m->digits;
	for (size_t i = first; i < n; i++)
		if (buf_printf(t, "%s%s", i > first ? "." : "", parts[i]) == -1)
			return;
}

/* Append s, URL-escaped (RFC 3986 unreserved kept) when escape is set. */
static int
macro_append(struct buf *out, const char *s, size_t n, bool escape)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!escape || isalnum(ch) || strchr("-._~", ch) != NULL) {
			if (buf_append(out, s + i, 1) == -1)
				return -1;
		} else if (buf_printf(out, "%%%02X", ch) == -1)
			return -1;
	}
	return 0;
}

static int
macro_expand_one(const struct macro *m, const struct spf_macro_ctx *c,
    struct buf *out, struct err *e)
{
	char val[1024];
	struct buf t;
	int rc;

	macro_value(c, m->letter, val, sizeof(val));
	buf_init(&t, SPF_MAX_EXPAND);
	macro_transform(m, val, &t);
	rc = macro_append(out, t.data != NULL ? t.data : "", t.len, m->upper);
	buf_cleanup(&t);
	if (rc == -1)
		return err_set(e, "macro expansion longer than %d bytes",
		    SPF_MAX_EXPAND);
	return 0;
}

/* "%%", "%_", "%-" or "%{...}" at p[0..len); *used set to its length. */
static int
macro_escape(const char *p, size_t len, const struct spf_macro_ctx *c, bool exp,
    struct buf *out, size_t *used, struct err *e)
{
	static const struct {
		char ch;
		const char *text;
	} simple[] = { { '%', "%" }, { '_', " " }, { '-', "%20" } };
	struct macro m;

	if (len < 2)
		return err_set(e, "\"%%\" at the end of the text");
	for (size_t k = 0; k < NELEM(simple); k++)
		if (p[1] == simple[k].ch) {
			*used = 2;
			return out == NULL ? 0
			       : macro_append(out, simple[k].text,
			             strlen(simple[k].text), false) == -1
			           ? err_set(e, "macro expansion too long")
			           : 0;
		}
	if (p[1] != '{')
		return err_set(e, "bad macro \"%%%c\" (use %%%% for a %%)",
		    isprint((unsigned char)p[1]) ? p[1] : '?');
	if (macro_parse(p + 2, len - 2, exp, &m, used, e) == -1)
		return -1;
	*used += 2;
	return out == NULL ? 0 : macro_expand_one(&m, c, out, e);
}

static int
macro_walk(const char *p, size_t len, const struct spf_macro_ctx *c, bool exp,
    struct buf *out, struct err *e)
{
	size_t i = 0, used = 0;

	while (i < len) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '%') {
			if (macro_escape(p + i, len - i, c, exp, out, &used,
			        e) == -1)
				return -1;
			i += used;
			continue;
		}
		if ((ch < 0x21 || ch > 0x7e) && !(exp && ch == ' '))
			return err_set(e, "character 0x%02x not allowed", ch);
		if (out != NULL && buf_append(out, p + i, 1) == -1)
			return err_set(e,
			    "macro expansion longer than %d bytes",
			    SPF_MAX_EXPAND);
		i++;
	}
	return 0;
}

void
spf_name_truncate(char *name)
{
	size_t n = strlen(name);
	char *s = name;

	if (n > 0 && name[n - 1] == '.')
		name[--n] = '\0';
	while (n > 253) {
		char *dot = strchr(s, '.');

		if (dot == NULL) {
			s += n; /* one huge label: nothing left */
			n = 0;
			break;
		}
		n -= (size_t)(dot + 1 - s);
		s = dot + 1;
	}
	memmove(name, s, n + 1);
}

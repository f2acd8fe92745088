#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dnscheck/spf.h"

/* The record parser of RFC 7208 section 12 (ABNF). */

#define SPF_MAX_TERMS 512

struct kind_name {
	const char *name;
	enum spf_kind kind;
};

static const struct kind_name mechanisms[] = {
	{ "all", SPF_ALL },
	{ "include", SPF_INCLUDE },
	{ "a", SPF_A },
	{ "mx", SPF_MX },
	{ "ptr", SPF_PTR },
	{ "ip4", SPF_IP4 },
	{ "ip6", SPF_IP6 },
	{ "exists", SPF_EXISTS },
	{ "redirect", SPF_REDIRECT },
	{ "exp", SPF_EXP },
};

const char *
spf_kind_name(enum spf_kind k)
{
	for (size_t i = 0; i < NELEM(mechanisms); i++)
		if (mechanisms[i].kind == k)
			return mechanisms[i].name;
	return "modifier";
}

bool
spf_term_queries_dns(const struct spf_term *t)
{
	switch (t->kind) {
	case SPF_INCLUDE:
	case SPF_A:
	case SPF_MX:
	case SPF_PTR:
	case SPF_EXISTS:
	case SPF_REDIRECT:
		return true;
	default:
		return false;
	}
}

bool
spf_record_is_spf(const char *p, size_t len)
{
	if (len < 6 || !str_ieq(p, 6, "v=spf1"))
		return false;
	return len == 6 || p[6] == ' ';
}

void
spf_record_cleanup(struct spf_record *rec)
{
	free(rec->terms);
	rec->terms = NULL;
	rec->n = 0;
}

static bool
is_alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

/* toplabel of the ABNF: alphanumerics and inner hyphens, not all digits. */
static bool
toplabel_ok(const char *p, size_t len)
{
	bool alpha = false;

	if (len == 0 || !is_alnum(p[0]) || !is_alnum(p[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '-')
			continue;
		if (!is_alnum(p[i]))
			return false;
		if (isalpha((unsigned char)p[i]))
			alpha = true;
	}
	return alpha || memchr(p, '-', len) != NULL;
}

/* domain-end: "." toplabel ["."], or a macro-expand ending with "}". */
static bool
domain_end_ok(const char *p, size_t len)
{
	size_t i;

	if (len > 0 && p[len - 1] == '}')
		return true; /* the macro syntax is checked separately */
	if (len > 0 && p[len - 1] == '.')
		len--;
	for (i = len; i > 0 && p[i - 1] != '.'; i--)
		;
	if (i == 0)
		return false;
	return toplabel_ok(p + i, len - i);
}

static int
domain_spec_check(const char *p, size_t len, struct err *e)
{
	if (len == 0)
		return err_set(e, "empty domain-spec");
	if (spf_macro_check(p, len, false, e) == -1)
		return -1;
	if (!domain_end_ok(p, len))
		return err_set(e,
		    "domain-spec \"%.*s\" must end in a "
		    "top-level label or a macro",
		    (int)len, p);
	return 0;
}

/* "/N" with no leading zero, N <= max; -1 when not one. */
static int
cidr_len(const char *p, size_t len, int max)
{
	int v = 0;

	if (len == 0 || len > 3 || (len > 1 && p[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Digits of p[*i..len) up to a '/' or the end; moves *i past them. */
static int
take_len(const char *p, size_t len, size_t *i, int max)
{
	size_t start = *i;

	while (*i < len && p[*i] != '/')
		(*i)++;
	return cidr_len(p + start, *i - start, max);
}

/*
 * dual-cidr-length: "[/N4][//N6]" covering all of p[0..len). Returns 0 and
 * the lengths (-1 when absent) or -1 when p is not of that form.
 */
static int
dual_cidr(const char *p, size_t len, int *c4, int *c6)
{
	size_t i = 0;

	*c4 = *c6 = -1;
	if (len == 0 || p[0] != '/')
		return -1;
	if (len > 1 && p[1] != '/') {
		i = 1;
		if ((*c4 = take_len(p, len, &i, 32)) == -1)
			return -1;
		if (i == len)
			return 0;
	}
	if (i + 2 > len || p[i] != '/' || p[i + 1] != '/')
		return -1;
	i += 2;
	if ((*c6 = take_len(p, len, &i, 128)) == -1 || i != len)
		return -1;
	return 0;
}

/* Split "[:domain-spec][dual-cidr]" of a and mx. */
static int
parse_a_mx(struct spf_term *t, const char *r, size_t len, struct err *e)
{
	size_t spec_end = len;

	for (size_t j = 0; j < len; j++)
		if (r[j] == '/' &&
		    dual_cidr(r + j, len - j, &t->cidr4, &t->cidr6) == 0) {
			spec_end = j;
			break;
		}
	if (spec_end == len)
		t->cidr4 = t->cidr6 = -1;
	if (spec_end == 0)
		return 0;
	if (r[0] != ':')
		return err_set(e, "bad text after \"%.*s\"", (int)t->name_len,
		    t->name);
	t->spec = r + 1;
	t->spec_len = spec_end - 1;
	return domain_spec_check(t->spec, t->spec_len, e);
}

/* "ip4:A.B.C.D[/N]" or "ip6:ADDR[/N]". */
static int
parse_ip(struct spf_term *t, const char *r, size_t len, struct err *e)
{
	bool v4 = t->kind == SPF_IP4;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t alen;

	if (len < 2 || r[0] != ':')
		return err_set(e, "%s needs an address", v4 ? "ip4" : "ip6");
	t->spec = r + 1;
	slash = memchr(t->spec, '/', len - 1);
	alen = slash != NULL ? (size_t)(slash - t->spec) : len - 1;
	t->spec_len = alen;
	if (alen == 0 || alen >= sizeof(addr))
		return err_set(e, "bad address");
	memcpy(addr, t->spec, alen);
	addr[alen] = '\0';
	t->ip.family = v4 ? AF_INET : AF_INET6;
	if (inet_pton(t->ip.family, addr, t->ip.a) != 1)
		return err_set(e, "\"%s\" is not an IPv%c address", addr,
		    v4 ? '4' : '6');
	if (slash == NULL)
		return 0;
	alen++; /* past the slash */
	if ((v4 ? (t->cidr4 = cidr_len(t->spec + alen, len - 1 - alen, 32))
	        : (t->cidr6 = cidr_len(t->spec + alen, len - 1 - alen, 128))) ==
	    -1)
		return err_set(e, "bad prefix length");
	return 0;
}

/* ":domain-spec" of include, exists and ptr. */
static int
parse_domain_arg(struct spf_term *t, const char *r, size_t len, struct err *e)
{
	if (len < 1 || r[0] != ':')
		return err_set(e, "\"%.*s\" needs \":domain\"",
		    (int)t->name_len, t->name);
	t->spec = r + 1;
	t->spec_len = len - 1;
	return domain_spec_check(t->spec, t->spec_len, e);
}

/* The part after a mechanism's name, by kind. */
static int
parse_mech_args(struct spf_term *t, const char *r, size_t len, struct err *e)
{
	switch (t->kind) {
	case SPF_ALL:
		return len == 0 ? 0 : err_set(e, "\"all\" takes no argument");
	case SPF_A:
	case SPF_MX:
		return parse_a_mx(t, r, len, e);
	case SPF_IP4:
	case SPF_IP6:
		return parse_ip(t, r, len, e);
	case SPF_PTR:
		return len == 0 ? 0 : parse_domain_arg(t, r, len, e);
	default: /* include, exists */
		return parse_domain_arg(t, r, len, e);
	}
}

static bool
modifier_name_ok(const char *p, size_t len)
{
	if (len == 0 || !isalpha((unsigned char)p[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(p[i]) && p[i] != '-' && p[i] != '_' &&
		    p[i] != '.')
			return false;
	return true;
}

static int
parse_modifier(struct spf_term *t, const char *p, size_t eq, size_t len,
    struct err *e)
{
	t->name = p;
	t->name_len = eq;
	t->spec = p + eq + 1;
	t->spec_len = len - eq - 1;
	t->kind = SPF_UNKNOWN_MODIFIER;
	if (!modifier_name_ok(p, eq))
		return err_set(e, "bad modifier name");
	if (str_ieq(p, eq, "redirect"))
		t->kind = SPF_REDIRECT;
	else if (str_ieq(p, eq, "exp"))
		t->kind = SPF_EXP;
	if (t->kind == SPF_UNKNOWN_MODIFIER)
		return spf_macro_check(t->spec, t->spec_len, false, e);
	return domain_spec_check(t->spec, t->spec_len, e);
}

/* One term p[0..len) (no spaces). */
static int
parse_term(struct spf_term *t, const char *p, size_t len, struct err *e)
{
	size_t i = 0, eq;

	memset(t, 0, sizeof(*t));
	t->text = p;
	t->text_len = len;
	t->cidr4 = t->cidr6 = -1;
	for (eq = 0; eq < len && p[eq] != '=' && p[eq] != ':' && p[eq] != '/';
	     eq++)
		;
	if (eq < len && p[eq] == '=')
		return parse_modifier(t, p, eq, len, e);
	t->qualifier = '+';
	if (strchr("+-~?", p[0]) != NULL) {
		t->qualifier = p[0];
		t->qualifier_written = true;
		i = 1;
	}
	t->name = p + i;
	while (i < len && p[i] != ':' && p[i] != '/')
		i++;
	t->name_len = (size_t)(p + i - t->name);
	for (size_t k = 0; k < NELEM(mechanisms); k++)
		if (mechanisms[k].kind < SPF_REDIRECT &&
		    str_ieq(t->name, t->name_len, mechanisms[k].name)) {
			t->kind = mechanisms[k].kind;
			return parse_mech_args(t, p + i, len - i, e);
		}
	return err_set(e, "unknown mechanism \"%.*s\"", (int)t->name_len,
	    t->name);
}

/* redirect= and exp= may each appear once (6). */
static int
check_modifiers(const struct spf_record *rec, struct err *e)
{
	int nredirect = 0, nexp = 0;

	for (size_t i = 0; i < rec->n; i++) {
		nredirect += rec->terms[i].kind == SPF_REDIRECT;
		nexp += rec->terms[i].kind == SPF_EXP;
	}
	if (nredirect > 1)
		return err_set(e, "more than one redirect= modifier");
	if (nexp > 1)
		return err_set(e, "more than one exp= modifier");
	return 0;
}

int
spf_record_parse(const char *p, size_t len, struct spf_record *out,
    struct err *e)
{
	size_t i = 6, cap = 0;

	memset(out, 0, sizeof(*out));
	if (!spf_record_is_spf(p, len))
		return err_set(e, "not an SPF record (no \"v=spf1\")");
	while (i < len) {
		size_t start;

		if (p[i] == ' ') {
			i++;
			continue;
		}
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (out->n >= SPF_MAX_TERMS) {
			spf_record_cleanup(out);
			return err_set(e, "more than %d terms", SPF_MAX_TERMS);
		}
		out->terms = xreallocarray(out->terms, &cap, out->n + 1,
		    sizeof(*out->terms));
		if (parse_term(&out->terms[out->n], p + start, i - start, e) ==
		    -1) {
			err_prefix(e, "term \"%.*s\"", (int)(i - start),
			    p + start);
			spf_record_cleanup(out);
			return -1;
		}
		out->n++;
	}
	if (check_modifiers(out, e) == -1) {
		spf_record_cleanup(out);
		return -1;
	}
	return 0;
}

#ifndef POSTERN_SPF_H
#define POSTERN_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/buf.h"
#include "common/err.h"
#include "dnscheck/resolver.h"

/* SPF, RFC 7208: record parser, macro expander, check_host(), lint. */

#define SPF_MAX_LOOKUPS 10  /* DNS-querying terms, 4.6.4 */
#define SPF_MAX_VOID 2      /* void look-ups, 4.6.4 */
#define SPF_MAX_NAMES 10    /* MX names, PTR names, 4.6.4 */
#define SPF_MAX_EXPAND 4096 /* bytes a macro-string may expand to */
#define SPF_MAX_MS 20000    /* elapsed time of one evaluation, 4.6.4 */

enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

enum spf_kind {
	SPF_ALL,
	SPF_INCLUDE,
	SPF_A,
	SPF_MX,
	SPF_PTR,
	SPF_IP4,
	SPF_IP6,
	SPF_EXISTS,
	SPF_REDIRECT, /* modifiers from here on */
	SPF_EXP,
	SPF_UNKNOWN_MODIFIER,
};

/* One term, in record order. Text pointers borrow the parsed record. */
struct spf_term {
	enum spf_kind kind;
	char qualifier;         /* '+', '-', '~', '?'; 0 for modifiers */
	bool qualifier_written; /* the qualifier was in the text */
	const char *text;       /* the whole term as written */
	size_t text_len;
	const char *name; /* mechanism or modifier name as written */
	size_t name_len;
	const char *spec; /* domain-spec, address, or modifier value */
	size_t spec_len;  /* 0: none written */
	int cidr4;        /* -1: not written */
	int cidr6;
	struct ipaddr ip; /* ip4:, ip6: */
};

struct spf_record {
	struct spf_term *terms;
	size_t n;
};

/* Whether a TXT string is an SPF record: "v=spf1" then space or end. */
bool spf_record_is_spf(const char *p, size_t len);
/*
 * Parse a whole record ("v=spf1 ..."). Any syntax error anywhere is an
 * error (permerror, 4.6), described in e with the offending term. out's
 * terms borrow p, which must outlive out; free with spf_record_cleanup().
 */
int spf_record_parse(const char *p, size_t len, struct spf_record *out,
    struct err *e) WUR;
void spf_record_cleanup(struct spf_record *rec);
/* include a mx ptr exists redirect: the terms 4.6.4 counts. */
bool spf_term_queries_dns(const struct spf_term *t);
/* Canonical name of a kind ("include", "redirect"...). */
const char *spf_kind_name(enum spf_kind k);

/* Values the macro letters of section 7 expand to. */
struct spf_macro_ctx {
	const char *sender; /* local@domain */
	const char *domain; /* current <domain> */
	const struct ipaddr *ip;
	const char *helo;
	const char *receiver; /* %{r}; NULL: "unknown" */
	uint64_t now;         /* %{t} */
	/* %{p}: the validated name of ip, or NULL for "unknown". */
	const char *(*ptr_cb)(void *arg);
	void *ptr_arg;
};

/*
 * Check a macro-string's syntax; exp allows %{c} %{r} %{t} and spaces
 * (explanation strings).
 */
int spf_macro_check(const char *p, size_t len, bool exp, struct err *e) WUR;
/*
 * Expand a macro-string into out (NUL-terminated, at most
 * SPF_MAX_EXPAND bytes); -1 and e on a syntax error or a result too long.
 */
int spf_macro_expand(const char *p, size_t len, const struct spf_macro_ctx *c,
    bool exp, struct buf *out, struct err *e) WUR;
/* Shorten a name to 253 octets by dropping left labels (7.3). */
void spf_name_truncate(char *name);

struct spf_step {
	size_t depth; /* 0: the top record; +1 per include/redirect */
	char *domain;
	char *term; /* the term, or "record" */
	char *note; /* what happened */
};

struct spf_eval {
	enum spf_result result;
	char *reason;      /* why: the matching term, or the error */
	char *explanation; /* fail with a usable exp=, else NULL */
	size_t lookups;    /* DNS-querying terms used */
	size_t void_lookups;
	size_t dns_queries; /* questions the resolver sent */
	struct spf_step *steps;
	size_t nsteps;
};

struct spf_query {
	struct ipaddr ip;
	const char *sender;   /* MAIL FROM; "" or NULL: postmaster@helo */
	const char *helo;     /* may be NULL */
	const char *domain;   /* NULL: the sender's domain */
	const char *receiver; /* %{r}; NULL: "unknown" */
	uint64_t now;
};

/*
 * check_host() of RFC 7208 for q, asking DNS through r (whose cache it
 * shares). Always fills out; free with spf_eval_cleanup().
 */
void spf_check_host(struct resolver *r, const struct spf_query *q,
    struct spf_eval *out);
void spf_eval_cleanup(struct spf_eval *ev);
const char *spf_result_name(enum spf_result res);
/* The evaluation as JSON (result, reason, lookups, trace); caller decrefs. */
struct json_t *spf_eval_json(const struct spf_eval *ev);

/*
 * Count the DNS-querying terms of domain's record (or of record, when not
 * NULL: a text to check before publishing it), through include and
 * redirect, as 4.6.4 counts them; *voids counts targets without a record.
 * Terms with macros count once and are not followed. -1 and e when a part
 * cannot be fetched (DNS error) or parsed.
 */
int spf_count_lookups(struct resolver *r, const char *domain,
    const char *record, size_t *lookups, size_t *voids, struct err *e) WUR;

/* Lint: what an operator should know about a domain's SPF record. */
struct spf_lint {
	size_t lookups;      /* DNS-querying terms through includes */
	size_t void_lookups; /* include/redirect targets without a record */
	size_t records;      /* SPF records at the domain */
	size_t answer_len;   /* bytes of the TXT answer */
	bool too_long;       /* over 512 bytes (3.4) */
	bool type99;         /* a deprecated SPF (type 99) record exists */
	bool dns_error;      /* some part could not be fetched */
	struct buf tree;     /* the include tree, "term (count)" a line */
	struct buf warnings; /* one warning a line, besides lookups > 10 */
};

/* Lint domain's record; free with spf_lint_cleanup(). */
void spf_lint_run(struct resolver *r, const char *domain, struct spf_lint *out);
void spf_lint_cleanup(struct spf_lint *l);

#endif

#ifndef POSTERN_REPORT_H
#define POSTERN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/config.h"
#include "dnscheck/resolver.h"

/*
 * The compliance report of `postern check` and posternd's gate: every
 * check for one or all configured domains. Re-entrant: no globals, no
 * output; the resolver (one per run, so DNS is asked afresh) and `now`
 * come from the caller.
 */

/* Ordered: the worst status of a list is its maximum. */
enum check_status {
	CHECK_OK,
	CHECK_WARN,
	CHECK_TEMPERROR,
	CHECK_FAIL,
};

enum check_kind {
	CHECK_SPF,
	CHECK_DKIM,
	CHECK_DMARC,
	CHECK_PTR,
	CHECK_BLOCKLIST,
	CHECK_LINT,
};

struct check_item {
	enum check_kind kind;
	enum check_status status;
	char *selector; /* dkim */
	char *ip;       /* spf, ptr, blocklist */
	char *result;   /* spf: the result word */
	char *detail;
	char *fix; /* NULL when nothing to do */
};

struct domain_report {
	char *name;
	enum check_status status;
	bool ready;       /* DESIGN.md: SPF, DKIM and PTR/FCrDNS hold */
	bool ready_known; /* false: a temporary DNS failure left it open
	                     (the gate keeps its last known state) */
	struct check_item *items;
	size_t n;
};

struct report {
	enum check_status status;
	struct domain_report *domains;
	size_t n;
	size_t dns_queries; /* questions sent for this report */
};

/*
 * The base64 public key of the local private key for domain/selector, or
 * NULL with e (caller frees): keys_local_public_b64() of keys/ (arg: the
 * state_dir); tests may give their own.
 */
typedef char *report_local_key_fn(void *arg, const char *domain,
    const char *selector, struct err *e);

struct report_opts {
	const struct config *cfg;
	struct resolver *r;
	uint64_t now;
	const char *domain;             /* NULL: every configured domain */
	report_local_key_fn *local_key; /* NULL: keys are not compared */
	void *local_key_arg;
};

/* Run every check; -1 and e only when opts->domain is not configured. */
int report_run(const struct report_opts *o, struct report *out,
    struct err *e) WUR;
void report_cleanup(struct report *rep);
void report_domain_cleanup(struct domain_report *d);
const char *report_status_name(enum check_status s);
const char *report_kind_name(enum check_kind k);
/* The report as DESIGN.md's JSON object (docs/check-json.md). */
struct json_t *report_json(const struct report *rep);
/* Human text: one line per check, "ok", "warn", "FAIL", "temperror". */
int report_format(const struct report *rep, struct buf *out) WUR;

/* Append an item (the strings are copied; NULL allowed). */
void report_add(struct domain_report *d, enum check_kind kind,
    enum check_status status, const char *selector, const char *ip,
    const char *result, const char *detail, const char *fix);

/* The single checks, each adding items to d. */
void report_check_spf(struct resolver *r, const struct config *cfg,
    const struct domain_cfg *dom, uint64_t now, struct domain_report *d);
void report_check_dkim(struct resolver *r, const char *domain,
    const char *selector, const char *local_b64, struct domain_report *d);
void report_check_dmarc(struct resolver *r, const char *domain,
    struct domain_report *d);
void report_check_ptr(struct resolver *r, const struct ipaddr *ip,
    const char *hostname, struct domain_report *d);
void report_check_lint(struct resolver *r, const char *domain,
    struct domain_report *d);
void report_check_blocklists(struct resolver *r, const struct config *cfg,
    struct domain_report *d);

#endif

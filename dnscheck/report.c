#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "dnscheck/report.h"
#include "keys/rotation.h"
#include "dnscheck/spf.h"

static const char *const status_names[] = { "ok", "warn", "temperror", "fail" };
static const char *const kind_names[] = { "spf", "dkim", "dmarc", "ptr",
	"blocklist", "lint" };

const char *
report_status_name(enum check_status s)
{
	return status_names[s];
}

const char *
report_kind_name(enum check_kind k)
{
	return kind_names[k];
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
report_add(struct domain_report *d, enum check_kind kind,
    enum check_status status, const char *selector, const char *ip,
    const char *result, const char *detail, const char *fix)
{
	struct check_item *it;

	d->items = xrealloc(d->items, (d->n + 1) * sizeof(*d->items));
	it = &d->items[d->n++];
	it->kind = kind;
	it->status = status;
	it->selector = dup_or_null(selector);
	it->ip = dup_or_null(ip);
	it->result = dup_or_null(result);
	it->detail = xstrdup(detail != NULL ? detail : "");
	it->fix = dup_or_null(fix);
}

void
report_domain_cleanup(struct domain_report *d)
{
	for (size_t k = 0; k < d->n; k++) {
		free(d->items[k].selector);
		free(d->items[k].ip);
		free(d->items[k].result);
		free(d->items[k].detail);
		free(d->items[k].fix);
	}
	free(d->items);
	free(d->name);
	memset(d, 0, sizeof(*d));
}

void
report_cleanup(struct report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		report_domain_cleanup(&rep->domains[i]);
	free(rep->domains);
	memset(rep, 0, sizeof(*rep));
}

/* SPF must pass for every public IP: check_host(ip, postmaster@D, helo). */
void
report_check_spf(struct resolver *r, const struct config *cfg,
    const struct domain_cfg *dom, uint64_t now, struct domain_report *d)
{
	for (size_t i = 0; i < cfg->relay.public_ips.n; i++) {
		struct spf_query q = { 0 };
		struct spf_eval ev;
		enum check_status st;
		char sender[300], detail[700], fix[400];
		const char *ipt = cfg->relay.public_ips.v[i];

		snprintf(sender, sizeof(sender), "postmaster@%s", dom->name);
		q.ip = cfg->relay.public_ip[i];
		q.sender = sender;
		q.helo = cfg->relay.hostname;
		q.receiver = cfg->relay.hostname;
		q.now = now;
		spf_check_host(r, &q, &ev);
		st = ev.result == SPF_PASS        ? CHECK_OK
		     : ev.result == SPF_TEMPERROR ? CHECK_TEMPERROR
		                                  : CHECK_FAIL;
		snprintf(detail, sizeof(detail), "SPF %s for %s: %s",
		    spf_result_name(ev.result), ipt, ev.reason);
		snprintf(fix, sizeof(fix),
		    "publish one SPF record for %s that authorises %s%s (run "
		    "`postern plan` and `postern apply`)",
		    dom->name,
		    cfg->relay.public_ip[i].family == AF_INET ? "ip4:" : "ip6:",
		    ipt);
		report_add(d, CHECK_SPF, st, NULL, ipt,
		    spf_result_name(ev.result), detail,
		    st == CHECK_FAIL ? fix : NULL);
		spf_eval_cleanup(&ev);
	}
}

static enum check_status
worst(const struct domain_report *d, bool ready_only)
{
	enum check_status s = CHECK_OK;

	for (size_t i = 0; i < d->n; i++) {
		enum check_kind k = d->items[i].kind;

		if (ready_only && k != CHECK_SPF && k != CHECK_DKIM &&
		    k != CHECK_PTR)
			continue;
		if (d->items[i].status > s)
			s = d->items[i].status;
	}
	return s;
}

static void
report_dkim_all(const struct report_opts *o, const struct domain_cfg *dom,
    struct domain_report *d)
{
	for (size_t k = 0; k < dom->ndkim; k++) {
		char buf[64];
		/* During a key rotation the next selector stands in. */
		const char *sel = rotation_selector(o->cfg->state_dir,
		    dom->name, dom->dkim[k].selector, buf, sizeof(buf));
		struct err e = { "the public key could not be encoded" };
		char *local = NULL;

		if (o->local_key != NULL) {
			local =
			    o->local_key(o->local_key_arg, dom->name, sel, &e);
			if (local == NULL) {
				char detail[1200];

				snprintf(detail, sizeof(detail),
				    "no local key for selector %s: %s", sel,
				    e.msg);
				report_add(d, CHECK_DKIM, CHECK_FAIL, sel, NULL,
				    NULL, detail,
				    "run `postern keys generate`");
				continue;
			}
		}
		report_check_dkim(o->r, dom->name, sel, local, d);
		free(local);
	}
}

static void
report_domain(const struct report_opts *o, const struct domain_cfg *dom,
    struct domain_report *d)
{
	const struct relay_cfg *relay = &o->cfg->relay;

	d->name = xstrdup(dom->name);
	report_check_spf(o->r, o->cfg, dom, o->now, d);
	report_dkim_all(o, dom, d);
	report_check_dmarc(o->r, dom->name, d);
	for (size_t i = 0; i < relay->public_ips.n; i++)
		report_check_ptr(o->r, &relay->public_ip[i], relay->hostname,
		    d);
	report_check_blocklists(o->r, o->cfg, d);
	report_check_lint(o->r, dom->name, d);
	d->status = worst(d, false);
	/* A temporary failure is not "not ready": the caller keeps state. */
	d->ready = worst(d, true) <= CHECK_WARN;
	d->ready_known = worst(d, true) != CHECK_TEMPERROR;
}

int
report_run(const struct report_opts *o, struct report *out, struct err *e)
{
	const struct config *cfg = o->cfg;
	size_t before = resolver_queries(o->r);

	memset(out, 0, sizeof(*out));
	if (o->domain != NULL && config_domain(cfg, o->domain) == NULL)
		return err_set(e, "--domain %s: not a domain of the config",
		    o->domain);
	out->domains = xcalloc(cfg->ndomains + 1, sizeof(*out->domains));
	for (size_t i = 0; i < cfg->ndomains; i++) {
		struct domain_report *d = &out->domains[out->n];

		if (o->domain != NULL &&
		    strcasecmp(o->domain, cfg->domains[i].name) != 0)
			continue;
		report_domain(o, &cfg->domains[i], d);
		out->n++;
		if (d->status > out->status)
			out->status = d->status;
	}
	out->dns_queries = resolver_queries(o->r) - before;
	return 0;
}

/* The include tree on one line: "include:a (1), include:b (2)". */
static void
tree_compact(const struct buf *tree, char *dst, size_t dstlen)
{
	const char *p = tree->data != NULL ? strchr(tree->data, '\n') : NULL;
	size_t o = 0;

	dst[0] = '\0';
	while (p != NULL && *++p != '\0') {
		const char *end = strchr(p, '\n');
		int n;

		while (*p == ' ')
			p++;
		n = snprintf(dst + o, dstlen - o, "%s%.*s", o > 0 ? ", " : "",
		    (int)(end != NULL ? end - p : (long)strlen(p)), p);
		if (n < 0 || (size_t)n >= dstlen - o)
			break;
		o += (size_t)n;
		p = end;
	}
}

/* Lint: one warning an item, or one ok item with the include tree. */
void
report_check_lint(struct resolver *r, const char *domain,
    struct domain_report *d)
{
	struct spf_lint l;
	char detail[1200], tree[900];
	const char *p;

	spf_lint_run(r, domain, &l);
	tree_compact(&l.tree, tree, sizeof(tree));
	snprintf(detail, sizeof(detail),
	    "SPF uses %zu of %d DNS-querying terms%s%s%s", l.lookups,
	    SPF_MAX_LOOKUPS,
	    l.lookups > SPF_MAX_LOOKUPS
	        ? " (over the limit: every check is a permerror, RFC 7208 "
	          "4.6.4)"
	        : "",
	    tree[0] != '\0' ? ": " : "", tree);
	report_add(d, CHECK_LINT,
	    l.lookups > SPF_MAX_LOOKUPS ? CHECK_WARN : CHECK_OK, NULL, NULL,
	    NULL, detail,
	    l.lookups > SPF_MAX_LOOKUPS
	        ? "replace includes by the ip4:/ip6: terms they resolve to"
	        : NULL);
	for (p = l.warnings.data; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '\n');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		snprintf(detail, sizeof(detail), "SPF lint: %.*s", (int)n, p);
		report_add(d, CHECK_LINT, CHECK_WARN, NULL, NULL, NULL, detail,
		    NULL);
		p = end != NULL ? end + 1 : p + n;
	}
	spf_lint_cleanup(&l);
}

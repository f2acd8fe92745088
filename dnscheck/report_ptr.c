#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "dnscheck/report.h"

/* PTR / forward-confirmed reverse DNS (FCrDNS) and blocklists. */

static bool
has_ip(struct resolver *r, const char *name, const struct ipaddr *ip)
{
	const struct dns_result *res = resolver_query(r, name,
	    ip->family == AF_INET ? DNS_T_A : DNS_T_AAAA);

	for (size_t i = 0; res->status == DNS_OK && i < res->n; i++)
		if (ip_equal(&res->rr[i].ip, ip))
			return true;
	return false;
}

/* The PTR names of ip must include hostname, resolving back to ip. */
void
report_check_ptr(struct resolver *r, const struct ipaddr *ip,
    const char *hostname, struct domain_report *d)
{
	char ipt[64], rev[80], detail[900], fix[600];
	const struct dns_result *res;
	bool fcrdns = false, match = false;

	ip_format(ip, ipt, sizeof(ipt));
	if (ip_is_local(ip)) {
		snprintf(detail, sizeof(detail),
		    "%s is a loopback or private address: PTR not checked (a "
		    "test set-up?)",
		    ipt);
		report_add(d, CHECK_PTR, CHECK_WARN, NULL, ipt, NULL, detail,
		    NULL);
		return;
	}
	resolver_reverse_name(ip, rev, sizeof(rev));
	res = resolver_query(r, rev, DNS_T_PTR);
	snprintf(fix, sizeof(fix),
	    "ask the provider of %s (the hosting or ISP that owns the "
	    "address) to set its reverse DNS (PTR) to %s, and publish an "
	    "A/AAAA "
	    "record %s -> %s",
	    ipt, hostname, hostname, ipt);
	if (res->status == DNS_ERROR) {
		snprintf(detail, sizeof(detail), "PTR look-up of %s: %s", rev,
		    resolver_status_text(res));
		report_add(d, CHECK_PTR, CHECK_TEMPERROR, NULL, ipt, NULL,
		    detail, NULL);
		return;
	}
	for (size_t i = 0; res->status == DNS_OK && i < res->n && i < 10; i++) {
		bool back = has_ip(r, res->rr[i].text, ip);

		fcrdns |= back;
		match |= back && strcasecmp(res->rr[i].text, hostname) == 0;
	}
	if (match) {
		snprintf(detail, sizeof(detail),
		    "%s has PTR %s, which resolves "
		    "back to it",
		    ipt, hostname);
		report_add(d, CHECK_PTR, CHECK_OK, NULL, ipt, NULL, detail,
		    NULL);
		return;
	}
	if (res->status != DNS_OK)
		snprintf(detail, sizeof(detail), "%s has no PTR record (%s)",
		    ipt, resolver_status_text(res));
	else
		snprintf(detail, sizeof(detail),
		    "%s has PTR %s%s; relay.hostname is %s", ipt,
		    res->rr[0].text,
		    fcrdns ? "" : " (not resolving back to it)", hostname);
	report_add(d, CHECK_PTR, CHECK_FAIL, NULL, ipt, NULL, detail, fix);
}

enum bl_answer { BL_LISTED, BL_CLEAN, BL_REFUSED, BL_ERROR };

/* Ask list about the reversed ip (RFC 5782 2.1). */
static enum bl_answer
bl_query(struct resolver *r, const char *list, const struct ipaddr *ip)
{
	char rev[80], name[400];
	const struct dns_result *res;
	char *dot;

	resolver_reverse_name(ip, rev, sizeof(rev));
	dot =
	    strstr(rev, ip->family == AF_INET ? ".in-addr.arpa" : ".ip6.arpa");
	if (dot != NULL)
		*dot = '\0';
	snprintf(name, sizeof(name), "%s.%s", rev, list);
	res = resolver_query(r, name, DNS_T_A);
	if (res->status == DNS_ERROR)
		return BL_ERROR;
	if (res->status != DNS_OK)
		return BL_CLEAN;
	for (size_t i = 0; i < res->n; i++) {
		const unsigned char *a = res->rr[i].ip.a;

		/* 127.255.255.x: refused, query limit (not a listing). */
		if (a[0] != 127 || (a[1] == 255 && a[2] == 255))
			return BL_REFUSED;
	}
	return BL_LISTED;
}

static void
bl_one(struct resolver *r, const char *list, const struct config *cfg,
    struct domain_report *d)
{
	struct ipaddr t2 = { AF_INET, { 127, 0, 0, 2 } };
	struct ipaddr t1 = { AF_INET, { 127, 0, 0, 1 } };
	char detail[600];

	/* RFC 5782 5: the list must list 127.0.0.2 and not 127.0.0.1. */
	if (bl_query(r, list, &t2) != BL_LISTED ||
	    bl_query(r, list, &t1) != BL_CLEAN) {
		snprintf(detail, sizeof(detail),
		    "%s does not answer its test entries (127.0.0.2 listed, "
		    "127.0.0.1 not): could not check",
		    list);
		report_add(d, CHECK_BLOCKLIST, CHECK_WARN, NULL, NULL, NULL,
		    detail, NULL);
		return;
	}
	for (size_t i = 0; i < cfg->relay.public_ips.n; i++) {
		const char *ipt = cfg->relay.public_ips.v[i];
		enum bl_answer a = bl_query(r, list, &cfg->relay.public_ip[i]);
		static const char *const what[] = { "listed on",
			"not listed on", "could not be checked (refused) on",
			"could not be checked (DNS error) on" };

		snprintf(detail, sizeof(detail), "%s %s %s", ipt, what[a],
		    list);
		report_add(d, CHECK_BLOCKLIST,
		    a == BL_CLEAN   ? CHECK_OK
		    : a == BL_ERROR ? CHECK_TEMPERROR
		                    : CHECK_WARN,
		    NULL, ipt, NULL, detail,
		    a == BL_LISTED ? "ask the list operator for delisting "
		                     "once the cause is fixed"
		                   : NULL);
	}
}

void
report_check_blocklists(struct resolver *r, const struct config *cfg,
    struct domain_report *d)
{
	for (size_t i = 0; i < cfg->dns.blocklists.n; i++)
		bl_one(r, cfg->dns.blocklists.v[i], cfg, d);
}

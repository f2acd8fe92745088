/*
 * Test driver for dnscheck/resolver.c: asks one server each QUESTION
 * (NAME/TYPE) through one resolver, so later questions hit the cache, and
 * prints "NAME TYPE STATUS [records...]" per question, then the number of
 * questions sent.
 *
 * resolver_driver SERVER[:PORT] [--norec] [--dnssec] [--timeout MS]
 *     [--deadline MS] NAME/TYPE...
 *
 * With --dnssec (DO and AD bits), each line also says "secure" (AD) or
 * "insecure", and "rrsig" when the answer was signed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/util.h"
#include "dnscheck/resolver.h"

static const struct {
	const char *name;
	enum dns_type type;
} types[] = { { "A", DNS_T_A }, { "AAAA", DNS_T_AAAA }, { "TXT", DNS_T_TXT },
	{ "MX", DNS_T_MX }, { "PTR", DNS_T_PTR }, { "NS", DNS_T_NS },
	{ "SPF", DNS_T_SPF }, { "TLSA", DNS_T_TLSA } };

/* "u:s:m:HEX" */
static void
print_tlsa(const struct dns_rr *rr)
{
	printf(" %u:%u:%u:", rr->tlsa_usage, rr->tlsa_selector, rr->tlsa_mtype);
	for (size_t i = 0; i < rr->len; i++)
		printf("%02x", (unsigned char)rr->text[i]);
}

static bool dnssec;

static void
print_result(const char *q, const struct dns_result *res, enum dns_type t)
{
	char ip[64];

	printf("%s %s%s", q, resolver_status_text(res),
	    res->truncated ? " (tcp)" : "");
	if (dnssec)
		printf(" %s%s%s%s", res->secure ? "secure" : "insecure",
		    res->has_rrsig ? " rrsig" : "",
		    res->cname != NULL ? " cname=" : "",
		    res->cname != NULL ? res->cname : "");
	for (size_t i = 0; res->status == DNS_OK && i < res->n; i++) {
		if (t == DNS_T_A || t == DNS_T_AAAA)
			printf(" %s",
			    ip_format(&res->rr[i].ip, ip, sizeof(ip)));
		else if (t == DNS_T_MX)
			printf(" %u:%s", res->rr[i].pref, res->rr[i].text);
		else if (t == DNS_T_TLSA)
			print_tlsa(&res->rr[i]);
		else
			printf(" [%s]", res->rr[i].text);
	}
	printf("\n");
}

static int
ask(struct resolver *r, const char *q)
{
	const char *slash = strrchr(q, '/');
	char name[300];

	if (slash == NULL || (size_t)(slash - q) >= sizeof(name))
		return -1;
	memcpy(name, q, (size_t)(slash - q));
	name[slash - q] = '\0';
	for (size_t i = 0; i < NELEM(types); i++)
		if (strcmp(types[i].name, slash + 1) == 0) {
			print_result(q, resolver_query(r, name, types[i].type),
			    types[i].type);
			return 0;
		}
	return -1;
}

int
main(int argc, char **argv)
{
	struct resolver_opts o;
	struct resolver *r;
	struct err e;
	uint64_t deadline = 0;
	int i = 2;

	if (argc < 3)
		die(2, "usage: resolver_driver SERVER[:PORT] [--norec] "
		       "[--timeout MS] NAME/TYPE...");
	resolver_opts_default(&o);
	o.system = false;
	o.attempts = 1;
	if (hostport_parse(argv[1], 53, true, &o.server, &e) == -1)
		die(2, "%s: %s", argv[1], e.msg);
	for (; i < argc && argv[i][0] == '-'; i++) {
		uint64_t ms;

		if (strcmp(argv[i], "--norec") == 0)
			o.recursive = false;
		else if (strcmp(argv[i], "--dnssec") == 0)
			o.dnssec = dnssec = true;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
		         parse_u64(argv[i + 1], 1, 60000, &ms) == 0) {
			o.timeout_ms = ms;
			i++;
		} else if (strcmp(argv[i], "--deadline") == 0 && i + 1 < argc &&
		           parse_u64(argv[i + 1], 1, 60000, &deadline) == 0)
			i++;
		else
			die(2, "bad option %s", argv[i]);
	}
	if ((r = resolver_new(&o, &e)) == NULL)
		die(1, "%s", e.msg);
	if (deadline != 0)
		resolver_set_deadline(r, resolver_now_ms() + deadline);
	for (; i < argc; i++)
		if (ask(r, argv[i]) == -1)
			die(2, "bad question %s", argv[i]);
	printf("queries %zu\n", resolver_queries(r));
	resolver_free(r);
	return 0;
}

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "dnscheck/dkim_record.h"
#include "dnscheck/report.h"
#include "dnscheck/tags.h"

/* The DKIM key record check (RFC 6376 3.6.1, RFC 8463 for ed25519). */

/* p= without white space; caller frees. */
static char *
b64_compact(const char *p)
{
	char *s = xmalloc(strlen(p) + 1), *o = s;

	for (; *p != '\0'; p++)
		if (!isspace((unsigned char)*p))
			*o++ = *p;
	*o = '\0';
	return s;
}

/* Key size in bits of a published key; 0 when it does not decode. */
static int
key_bits(const char *b64, bool ed25519)
{
	size_t n = strlen(b64);
	unsigned char *der = xmalloc(n + 1);
	const unsigned char *q = der;
	EVP_PKEY *k;
	int len, bits = 0;

	len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	if (len > 0) {
		while (n > 0 && b64[n - 1] == '=') {
			n--;
			len--;
		}
		if (ed25519)
			bits = len == 32 ? 256 : 0;
		else if ((k = d2i_PUBKEY(NULL, &q, len)) != NULL) {
			bits = EVP_PKEY_get_bits(k);
			EVP_PKEY_free(k);
		}
	}
	free(der);
	return bits;
}

struct dkim_eval {
	enum check_status st;
	char detail[1100];
	const char *fix;
};

static void
dkim_judge(const struct taglist *t, const char *local, struct dkim_eval *ev)
{
	const char *v = taglist_get(t, "v"), *k = taglist_get(t, "k");
	const char *p = taglist_get(t, "p"), *h = taglist_get(t, "h");
	const char *s = taglist_get(t, "s"), *fl = taglist_get(t, "t");
	bool ed = k != NULL && strcmp(k, "ed25519") == 0;
	char *pub;
	int bits;

	ev->st = CHECK_FAIL;
	if (v != NULL &&
	    (strcmp(v, "DKIM1") != 0 || strcmp(t->v[0].name, "v") != 0))
		snprintf(ev->detail, sizeof(ev->detail),
		    "v= must be DKIM1 and come first");
	else if (k != NULL && !ed && strcmp(k, "rsa") != 0)
		snprintf(ev->detail, sizeof(ev->detail),
		    "unknown key type k=%s", k);
	else if (p == NULL)
		snprintf(ev->detail, sizeof(ev->detail), "no p= tag");
	else if (p[0] == '\0')
		snprintf(ev->detail, sizeof(ev->detail),
		    "the key is revoked (empty p=)");
	else if (s != NULL && strstr(s, "email") == NULL &&
	         strchr(s, '*') == NULL)
		snprintf(ev->detail, sizeof(ev->detail),
		    "s=%s does not allow email", s);
	else if (h != NULL && strstr(h, "sha256") == NULL)
		snprintf(ev->detail, sizeof(ev->detail),
		    "h=%s does not allow sha256", h);
	else {
		pub = b64_compact(p);
		bits = key_bits(pub, ed);
		if (bits == 0)
			snprintf(ev->detail, sizeof(ev->detail),
			    "p= is not a valid %s public key",
			    ed ? "ed25519" : "RSA");
		else if (local != NULL && strcmp(pub, local) != 0)
			snprintf(ev->detail, sizeof(ev->detail),
			    "the published key differs from the local key");
		else if (!ed && bits < 1024)
			snprintf(ev->detail, sizeof(ev->detail),
			    "RSA key of %d bits: below 1024", bits);
		else {
			ev->st = (!ed && bits < 2048) ||
			                 (fl != NULL && strchr(fl, 'y') != NULL)
			             ? CHECK_WARN
			             : CHECK_OK;
			snprintf(ev->detail, sizeof(ev->detail),
			    "%s %d-bit key published%s%s%s",
			    ed ? "ed25519" : "RSA", bits,
			    local != NULL ? ", equals the local key"
			                  : ", not compared with a local key",
			    (!ed && bits < 2048) ? "; below 2048 bits" : "",
			    (fl != NULL && strchr(fl, 'y') != NULL)
			        ? "; t=y: testing mode"
			        : "");
		}
		free(pub);
	}
}

enum check_status
dkim_record_check(const char *p, size_t len, const char *local_b64,
    char *detail, size_t detaillen)
{
	struct dkim_eval ev = { CHECK_FAIL, "", NULL };
	struct taglist t;
	struct err e;

	if (taglist_parse(p, len, &t, &e) == -1)
		snprintf(ev.detail, sizeof(ev.detail), "syntax: %s", e.msg);
	else {
		dkim_judge(&t, local_b64, &ev);
		taglist_cleanup(&t);
	}
	snprintf(detail, detaillen, "%s", ev.detail);
	return ev.st;
}

void
report_check_dkim(struct resolver *r, const char *domain, const char *selector,
    const char *local_b64, struct domain_report *d)
{
	char name[600], detail[1800], why[1100];
	const struct dns_result *res;
	enum check_status st;
	const char *fix = "run `postern plan` and `postern apply` to publish "
	                  "the key (`postern keys record` shows it)";

	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	res = resolver_query(r, name, DNS_T_TXT);
	if (res->status == DNS_ERROR) {
		snprintf(detail, sizeof(detail), "%s: %s", name,
		    resolver_status_text(res));
		report_add(d, CHECK_DKIM, CHECK_TEMPERROR, selector, NULL, NULL,
		    detail, NULL);
		return;
	}
	if (res->status != DNS_OK || res->n != 1) {
		snprintf(detail, sizeof(detail), "%s: %s", name,
		    res->status != DNS_OK ? "no DKIM record"
		                          : "several TXT records");
		report_add(d, CHECK_DKIM, CHECK_FAIL, selector, NULL, NULL,
		    detail, fix);
		return;
	}
	st = dkim_record_check(res->rr[0].text, res->rr[0].len, local_b64, why,
	    sizeof(why));
	snprintf(detail, sizeof(detail), "%s: %s", name, why);
	report_add(d, CHECK_DKIM, st, selector, NULL, NULL, detail,
	    st == CHECK_FAIL ? fix : NULL);
}

#ifndef POSTERN_ROUTE53_H
#define POSTERN_ROUTE53_H

#include <stdbool.h>
#include <stddef.h>

#include "provision/providers/cloud.h"

/*
 * Route 53's REST/XML answers, as pure functions over bytes (unit tested,
 * fuzzed by tests/fuzz/fuzz_route53_decode.c). The XML is read by a small
 * bounded extractor for the few flat elements Route 53 sends (no
 * attributes on them, no CDATA, the five entities and character
 * references); anything else is a decoding error, never a guess.
 */

/*
 * The first <tag>...</tag> in [p, end): its content in [*cs, *ce), and the
 * position after it, or NULL when there is none.
 */
const char *r53_xml_find(const char *p, const char *end, const char *tag,
    const char **cs, const char **ce);
/* The text of [s, e) with entities decoded; NULL when it is not text. */
char *r53_xml_text(const char *s, const char *e);
/* XML-escaped copy of s; caller frees. */
char *r53_xml_escape(const char *s);

/* Paging of a list answer. */
struct r53_page {
	bool truncated;
	char *next_name; /* NextDNSName / NextRecordName */
	char *next_id;   /* NextHostedZoneId / NextRecordType */
};
void r53_page_cleanup(struct r53_page *pg);

/* ListHostedZonesByName: zones (id without "/hostedzone/", name). */
int r53_decode_zones(const char *body, size_t len, struct cloud_items *out,
    struct r53_page *pg, struct err *e) WUR;
/*
 * ListResourceRecordSets: the TXT values at name (Value text as given, in
 * out; the set's TTL in each), *past when a set after name was seen.
 */
int r53_decode_rrsets(const char *body, size_t len, const char *name,
    struct cloud_items *out, bool *past, struct r53_page *pg,
    struct err *e) WUR;
/* ChangeInfo of ChangeResourceRecordSets / GetChange: Id and Status. */
int r53_decode_change(const char *body, size_t len, char **id, char **status,
    struct err *e) WUR;
/* "Code: Message" of an ErrorResponse; caller frees (NULL: none). */
char *r53_errtext(const char *body, size_t len);
/*
 * Route 53 throttles with HTTP 400 and Throttling or
 * PriorRequestNotComplete: retried like a 429.
 */
bool r53_retryable(long status, const char *body, size_t len);
/* The code alone ("InvalidChangeBatch"); caller frees (NULL: none). */
char *r53_errcode(const char *body, size_t len);

/*
 * The query string of ListResourceRecordSets / ListHostedZonesByName with
 * its parameters in the sorted order SigV4 signs (values escaped as
 * RFC 3986 unreserved). Caller frees.
 */
char *r53_query(const char *const *keys, const char *const *values, size_t n);

#endif

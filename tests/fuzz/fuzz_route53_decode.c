/*
 * libFuzzer target: Route 53 answers through the bounded XML extractor
 * (provision/providers/route53_xml.c): hosted zone lists, record set lists
 * with their paging, ChangeInfo, error bodies. Invariant: text the extractor
 * decodes, escaped again and decoded, is the same text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provision/providers/route53.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_escape(const char *text)
{
	char *x = r53_xml_escape(text), *back;

	back = r53_xml_text(x, x + strlen(x));
	if (back == NULL || strcmp(back, text) != 0)
		abort();
	free(back);
	free(x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct cloud_items l = { 0 };
	struct r53_page pg = { 0 };
	struct err e;
	bool past;
	char *id, *st;

	if (size == 0)
		return 0;
	if (r53_decode_zones(body, size, &l, &pg, &e) == PROVIDER_OK)
		for (size_t i = 0; i < l.n; i++)
			check_escape(l.v[i].name);
	cloud_items_cleanup(&l);
	if (r53_decode_rrsets(body, size, "example.com", &l, &past, &pg, &e) ==
	    PROVIDER_OK)
		for (size_t i = 0; i < l.n; i++)
			check_escape(l.v[i].name);
	cloud_items_cleanup(&l);
	r53_page_cleanup(&pg);
	if (r53_decode_change(body, size, &id, &st, &e) == PROVIDER_OK) {
		free(id);
		free(st);
	}
	free(r53_errtext(body, size));
	(void)r53_retryable(400, body, size);
	return 0;
}

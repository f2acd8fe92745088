/*
 * libFuzzer target: Gandi LiveDNS v5 answers (provision/providers/gandi.c):
 * domain lists, record set lists (TXT values taken, others skipped), error
 * bodies with their field errors.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "provision/providers/cloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct cloud_items l = { 0 };
	struct err e;
	size_t n;
	char *t;

	if (gandi_decode_domains(body, size, &l, &n, &e) == PROVIDER_OK &&
	    n < l.n)
		abort(); /* never more items than array elements */
	cloud_items_cleanup(&l);
	if (gandi_decode_rrsets(body, size, &l, &n, &e) == PROVIDER_OK) {
		for (size_t i = 0; i < l.n; i++) {
			struct txt_record r;

			if (cloud_txt_parse(l.v[i].name, &r, &e) == PROVIDER_OK)
				txt_record_cleanup(&r);
		}
	}
	cloud_items_cleanup(&l);
	t = gandi_errtext(body, size);
	free(t);
	return 0;
}

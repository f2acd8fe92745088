/*
 * libFuzzer target: Cloudflare API v4 answers (provision/providers/
 * cloudflare.c): zone and record lists, error bodies, and every record
 * content through the TXT content parser. Invariant: a content that parses
 * formats back (cloud_txt_content) to a content that parses to the same
 * strings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "provision/providers/cloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_contents(const struct cloud_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct txt_record r, back;
		struct err e;
		char *c;

		if (cloud_txt_parse(l->v[i].name, &r, &e) != PROVIDER_OK)
			continue;
		c = cloud_txt_content(&r);
		if (cloud_txt_parse(c, &back, &e) != PROVIDER_OK ||
		    !txt_record_equal(&r, &back))
			abort();
		txt_record_cleanup(&back);
		txt_record_cleanup(&r);
		free(c);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct cloud_items l = { 0 };
	struct err e;
	char *t;

	for (int records = 0; records < 2; records++) {
		if (cf_decode_list(body, size, records, &l, &e) == PROVIDER_OK)
			check_contents(&l);
		cloud_items_cleanup(&l);
	}
	t = cf_errtext(body, size);
	free(t);
	return 0;
}

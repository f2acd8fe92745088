/*
 * libFuzzer target: DigitalOcean API v2 answers (provision/providers/
 * digitalocean.c): domain and record lists with links.pages, error bodies,
 * and every record's data through the TXT content parser.
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
	char *t;

	for (int records = 0; records < 2; records++) {
		if (do_decode_list(body, size, records, &l, &e) ==
		    PROVIDER_OK) {
			char *z = cloud_pick_zone(&l, "a.example.com");

			for (size_t i = 0; records && i < l.n; i++) {
				struct txt_record r;

				if (cloud_txt_parse(l.v[i].name, &r, &e) ==
				    PROVIDER_OK)
					txt_record_cleanup(&r);
			}
			free(z);
		}
		cloud_items_cleanup(&l);
	}
	t = do_errtext(body, size);
	free(t);
	return 0;
}

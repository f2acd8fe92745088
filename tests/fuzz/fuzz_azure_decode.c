/*
 * libFuzzer target: Azure answers (provision/providers/azure.c): ARM zone
 * lists with nextLink, TXT record sets with their etag, Entra ID token
 * answers, ARM and OAuth error bodies. Invariant: a decoded set has no
 * string over 255 octets and a TTL only when it has records.
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
	struct txt_set s;
	uint64_t life;
	struct err e;
	char *t;

	if (az_decode_zones(body, size, &l, &e) == PROVIDER_OK)
		free(cloud_pick_zone(&l, "x.example.com"));
	cloud_items_cleanup(&l);
	if (az_decode_set(body, size, &s, &t, &e) == PROVIDER_OK) {
		if (s.n == 0 && s.ttl != 0)
			abort();
		for (size_t i = 0; i < s.n; i++)
			for (size_t k = 0; k < s.rec[i].n; k++)
				if (s.rec[i].s[k].len > 255)
					abort();
		txt_set_cleanup(&s);
		free(t);
	}
	if (az_decode_token(body, size, &t, &life, &e) == PROVIDER_OK)
		free(t);
	t = az_errtext(body, size);
	free(t);
	return 0;
}

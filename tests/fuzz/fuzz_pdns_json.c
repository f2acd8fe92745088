/*
 * libFuzzer target: the PowerDNS API's JSON decoders
 * (provision/providers/powerdns_json.c) and the TXT presentation parser
 * under them. Invariant: every TXT record decoded formats and parses back
 * to the same strings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "provision/providers/powerdns_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const struct txt_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		char *text = txt_record_format(&s->rec[i]);
		struct txt_record back;
		struct err e;

		if (txt_record_parse(text, &back, &e) == -1 ||
		    !txt_record_equal(&back, &s->rec[i]))
			abort();
		txt_record_cleanup(&back);
		free(text);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char *id = NULL, *zone = NULL, *text;
	struct pdns_disabled d;
	struct txt_set s;
	struct err e;

	if (pdns_zones_parse(body, size, "pst1._domainkey.example.com", &id,
	        &zone, &e) == PROVIDER_OK) {
		free(id);
		free(zone);
	}
	if (pdns_rrset_parse(body, size, "example.com", &s, &d, &e) ==
	    PROVIDER_OK) {
		check_round_trip(&s);
		txt_set_cleanup(&s);
		pdns_disabled_cleanup(&d);
	}
	text = pdns_error_text(body, size);
	free(text);
	return 0;
}

#include <stddef.h>
#include <stdint.h>

#include "dnscheck/dkim_record.h"
#include "dnscheck/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The tag-list parser, then the whole key record check (base64, DER). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct taglist t;
	struct err e;
	char detail[1100];

	if (taglist_parse((const char *)data, size, &t, &e) == 0) {
		(void)taglist_get(&t, "p");
		taglist_cleanup(&t);
	}
	(void)dkim_record_check((const char *)data, size,
	    size % 2 == 0 ? "MCowBQYDK2VwAyEA" : NULL, detail, sizeof(detail));
	return 0;
}

#include <stddef.h>
#include <stdint.h>

#include "dnscheck/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct taglist t;
	struct err e;

	if (taglist_parse((const char *)data, size, &t, &e) == 0) {
		(void)taglist_get(&t, "p");
		taglist_cleanup(&t);
	}
	return 0;
}

#include <stddef.h>
#include <stdint.h>

#include "dnscheck/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_record rec;
	struct err e;

	if (spf_record_parse((const char *)data, size, &rec, &e) == 0)
		spf_record_cleanup(&rec);
	return 0;
}

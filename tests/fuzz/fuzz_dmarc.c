#include <stddef.h>
#include <stdint.h>

#include "dnscheck/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[300];

	(void)dmarc_record_check((const char *)data, size, why, sizeof(why));
	return 0;
}

/* libFuzzer target: MTA-STS policy files and TXT records
 * (relayd/mtasts.c). */
#include <stddef.h>
#include <stdint.h>

#include "relayd/mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtasts_policy pol;
	struct err e;
	char id[40];

	if (mtasts_policy_parse((const char *)data, size, &pol, &e) == 0)
		(void)mtasts_mx_matches(&pol, "mx1.example.net");
	mtasts_policy_cleanup(&pol);
	(void)mtasts_txt_parse((const char *)data, size, id, sizeof(id), &e);
	return 0;
}

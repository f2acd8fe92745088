/*
 * libFuzzer target: the judgement of a DKIM key record read from DNS
 * (dnscheck/dkim_record.c): tags, v=, k=, h=, s=, t=, and the p= key
 * decoded and sized. The first byte picks whether a local key is compared.
 * Invariant: the detail is always a NUL-terminated string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnscheck/dkim_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char local_key[] =
    "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char detail[512];
	char *text;
	int compare;

	if (size == 0)
		return 0;
	compare = data[0] & 1;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	memset(detail, 'x', sizeof(detail));
	(void)dkim_record_check(text, size - 1, compare ? local_key : NULL,
	    detail, sizeof(detail));
	if (memchr(detail, '\0', sizeof(detail)) == NULL)
		abort();
	free(text);
	return 0;
}

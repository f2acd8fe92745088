#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dnscheck/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipaddr ip = { AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 } };
	struct spf_macro_ctx c = { "strong-bad@email.example.com",
		"email.example.com", &ip, "helo.example.org", NULL, 1, NULL,
		NULL };
	struct buf out;
	struct err e;
	char name[600];

	buf_init(&out, 0);
	if (spf_macro_expand((const char *)data, size, &c, size % 2 == 0, &out,
	        &e) == 0 &&
	    out.len < sizeof(name)) {
		memcpy(name, out.data, out.len + 1);
		spf_name_truncate(name);
	}
	buf_cleanup(&out);
	return 0;
}

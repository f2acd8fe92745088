/* libFuzzer target: SMTP server replies as the delivery client reads them
 * (relayd/smtp_reply.c); the input is split into lines at LF. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "relayd/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct smtp_reply r;
	char out[600];

	smtp_reply_init(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		int rc = smtp_reply_feed(&r, p, len);

		if (rc != 0) {
			smtp_reply_format(&r, out, sizeof(out));
			smtp_reply_init(&r);
		}
		p += len + (nl != NULL);
	}
	return 0;
}

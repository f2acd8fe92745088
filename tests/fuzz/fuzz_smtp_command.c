#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "relayd/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One command line: split it, parse MAIL/RCPT paths, choose replies. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_session s = { .greeted = true, .max_rcpt = 5 };
	struct smtp_cmd c;
	struct smtp_path p;
	const char *why;

	if (size > SMTP_AUTH_MAX)
		return 0;
	if (smtp_cmd_parse((const char *)data, size, &c, &why) == -1)
		return 0;
	(void)smtp_path_parse(c.arg, c.arg_len, true, &p, &why);
	(void)smtp_path_parse(c.arg, c.arg_len, false, &p, &why);
	(void)smtp_mailbox_parse(c.arg, c.arg_len, &p);
	for (unsigned bits = 0; bits < 64; bits++) {
		s.tls = bits & 1;
		s.auth_offered = bits & 2;
		s.in_mail = bits & 4;
		s.authenticated = bits & 8;
		s.starttls_offered = bits & 16;
		s.auth_required = bits & 32;
		if (smtp_choose_reply(&s, &c).act == SMTP_ACT_REPLY &&
		    smtp_choose_reply(&s, &c).text == NULL)
			__builtin_trap();
	}
	return 0;
}

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "relayd/smtp_reply.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

/* Record one EHLO keyword line (RFC 5321 4.1.1.1; SIZE from RFC 1870). */
static void
ehlo_keyword(struct smtp_ext *x, const char *p, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
		{ "STARTTLS", offsetof(struct smtp_ext, starttls) },
		{ "PIPELINING", offsetof(struct smtp_ext, pipelining) },
		{ "8BITMIME", offsetof(struct smtp_ext, eightbitmime) },
		{ "SMTPUTF8", offsetof(struct smtp_ext, smtputf8) },
		{ "CHUNKING", offsetof(struct smtp_ext, chunking) },
		{ "ENHANCEDSTATUSCODES", offsetof(struct smtp_ext, enhanced) },
	};
	size_t kw = 0;
	char num[24];
	uint64_t v;

	while (kw < len && p[kw] != ' ')
		kw++;
	for (size_t i = 0; i < NELEM(flags); i++)
		if (str_ieq(p, kw, flags[i].name))
			*(bool *)((char *)x + flags[i].off) = true;
	if (str_ieq(p, kw, "SIZE") && kw + 1 < len &&
	    len - kw - 1 < sizeof(num)) {
		memcpy(num, p + kw + 1, len - kw - 1);
		num[len - kw - 1] = '\0';
		if (parse_u64(num, 0, UINT64_MAX, &v) == 0)
			x->size = v;
	}
}

int
smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	int code;
	bool last;

	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9')
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->lines > 0 && code != r->code)
		return -1;
	if (++r->lines > SMTP_REPLY_MAX_LINES)
		return -1;
	r->code = code;
	last = len == 3 || line[3] == ' ';
	line += len > 3 ? 4 : 3;
	len -= len > 3 ? 4 : 3;
	if (r->lines > 1)
		ehlo_keyword(&r->ext, line, len);
	if (r->lines > 1 && r->len + 1 < sizeof(r->text))
		r->text[r->len++] = '\n';
	if (len > sizeof(r->text) - 1 - r->len)
		len = sizeof(r->text) - 1 - r->len;
	memcpy(r->text + r->len, line, len);
	r->len += len;
	r->text[r->len] = '\0';
	return last ? 1 : 0;
}

void
smtp_reply_format(const struct smtp_reply *r, char *dst, size_t dstlen)
{
	size_t o;

	if (dstlen == 0)
		return;
	o = (size_t)snprintf(dst, dstlen, "%03d ", r->code);
	for (size_t i = 0; i < r->len && o + 1 < dstlen; i++) {
		char c = r->text[i];

		dst[o++] = (c >= 0x20 && c < 0x7f) ? c : ' ';
	}
	dst[o < dstlen ? o : dstlen - 1] = '\0';
}

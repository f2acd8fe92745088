#ifndef POSTERN_SMTP_REPLY_H
#define POSTERN_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The SMTP client's view of a server reply (RFC 5321 4.2): lines "NNN-text"
 * then "NNN text", all with the same code. Bounded: at most
 * SMTP_REPLY_MAX_LINES lines, text kept up to SMTP_REPLY_MAX_TEXT bytes.
 */

#define SMTP_REPLY_MAX_LINES 100
#define SMTP_REPLY_MAX_TEXT 2048

struct smtp_ext {
	bool starttls;
	bool pipelining;
	bool eightbitmime;
	bool smtputf8;
	bool chunking;
	bool enhanced;
	uint64_t size; /* 0: no limit advertised */
};

struct smtp_reply {
	int code;
	unsigned lines;
	size_t len;
	char text[SMTP_REPLY_MAX_TEXT]; /* lines joined with "\n", no codes */
	struct smtp_ext ext;            /* EHLO keywords seen so far */
};

void smtp_reply_init(struct smtp_reply *r);
/*
 * Feed one line without its CRLF. Returns 1 when the reply is complete, 0
 * when more lines follow, -1 when the line is malformed (no code, a code
 * that changes, too many lines): the connection is then unusable.
 */
int smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len);
/* "250 text" on one line, printable ASCII, for logs and DSNs. */
void smtp_reply_format(const struct smtp_reply *r, char *dst, size_t dstlen);

#endif

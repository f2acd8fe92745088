#ifndef POSTERN_DATA_H
#define POSTERN_DATA_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

/*
 * The DATA stream decoder (RFC 5321 4.1.1.4, 4.5.2): bytes from the peer in
 * any chunking, the message out with CRLF line endings. Only CRLF "." CRLF
 * ends the message (a "." line after a bare LF does not: no SMTP
 * smuggling); a line ending in a bare LF counts as a CRLF line; a bare CR
 * or a NUL refuses the message; a leading dot is removed exactly once. For
 * BDAT (RFC 3030) the same decoder runs without dot handling or end marker.
 * Once an error is seen, input is still consumed up to the end but nothing
 * more is stored.
 */

enum data_err {
	DATA_OK,
	DATA_ERR_SIZE,    /* more than max bytes: 552 5.3.4 */
	DATA_ERR_LINE,    /* a line over line_max octets: 500 5.5.2 */
	DATA_ERR_BARE_CR, /* 554 5.6.0 */
	DATA_ERR_NUL      /* 554 5.6.0 */
};

struct data_dec {
	int state;
	bool bdat;
	size_t line_len; /* octets of the current line, as sent */
	size_t line_max; /* octets per line, CRLF included */
	size_t max;      /* message octets stored, at most */
	enum data_err err;
	struct buf *out; /* borrowed */
};

/* Start decoding into out (emptied); bdat: no dot handling, no end. */
void data_dec_init(struct data_dec *d, struct buf *out, size_t max,
    size_t line_max, bool bdat);
/*
 * Consume up to len bytes of p. Returns true when CRLF.CRLF ended the
 * message, with *used the bytes consumed (the rest belongs to the next
 * command); false when all of p was consumed and more is needed.
 */
bool data_dec_feed(struct data_dec *d, const char *p, size_t len, size_t *used);
/* End of the last BDAT chunk: terminate an unterminated last line. */
void data_dec_finish(struct data_dec *d);
/* The reply for an error (never NULL for d->err != DATA_OK). */
const char *data_err_reply(enum data_err err);

#endif

#include <string.h>

#include "relayd/data.h"

/*
 * States. The "CRLF" and "LF" variants of line start remember how the
 * previous line ended: only after CRLF can "." CRLF end the message.
 */
enum {
	ST_BOL_CRLF, /* start of a line after CRLF (or DATA) */
	ST_BOL_LF,   /* start of a line after a bare LF */
	ST_DOT,      /* "." at the start of a line after CRLF */
	ST_DOT_CR,   /* "." CR at the start of a line after CRLF */
	ST_MID,      /* inside a line */
	ST_CR        /* CR inside a line */
};

void
data_dec_init(struct data_dec *d, struct buf *out, size_t max, size_t line_max,
    bool bdat)
{
	memset(d, 0, sizeof(*d));
	d->state = ST_BOL_CRLF;
	d->bdat = bdat;
	d->max = max;
	d->line_max = line_max;
	d->out = out;
	buf_reset(out);
}

static void
set_err(struct data_dec *d, enum data_err err)
{
	if (d->err == DATA_OK)
		d->err = err;
}

/* Store bytes unless an error was seen; the size cap sets one. */
static void
put(struct data_dec *d, const char *p, size_t n)
{
	if (d->err != DATA_OK)
		return;
	if (d->out->len + n > d->max || buf_append(d->out, p, n) == -1) {
		set_err(d, DATA_ERR_SIZE);
		buf_reset(d->out);
	}
}

/* End the current line; crlf tells how it ended on the wire. */
static void
end_line(struct data_dec *d, bool crlf)
{
	/* line_len counts the text; the line limit includes CRLF. */
	if (d->line_len + 2 > d->line_max)
		set_err(d, DATA_ERR_LINE);
	put(d, "\r\n", 2);
	d->line_len = 0;
	d->state = crlf ? ST_BOL_CRLF : ST_BOL_LF;
}

/* An ordinary octet inside a line. */
static void
text(struct data_dec *d, char ch)
{
	if (ch == '\0')
		set_err(d, DATA_ERR_NUL);
	d->line_len++;
	put(d, &ch, 1);
	d->state = ST_MID;
}

/* One octet in a line state (MID or CR). */
static void
step_line(struct data_dec *d, char ch)
{
	if (d->state == ST_CR) {
		if (ch == '\n') {
			end_line(d, true);
			return;
		}
		set_err(d, DATA_ERR_BARE_CR);
		d->state = ST_MID;
	}
	if (ch == '\r')
		d->state = ST_CR;
	else if (ch == '\n')
		end_line(d, false);
	else
		text(d, ch);
}

/* One octet at a line start or after a leading dot; true at the end. */
static bool
step_start(struct data_dec *d, char ch)
{
	switch (d->state) {
	case ST_BOL_CRLF:
	case ST_BOL_LF:
		if (ch == '.' && !d->bdat) {
			/* The stuffing dot: dropped, counted on the wire. */
			d->line_len = 1;
			if (d->state == ST_BOL_CRLF) {
				d->state = ST_DOT;
				return false;
			}
			d->state = ST_MID;
			return false;
		}
		d->state = ST_MID;
		step_line(d, ch);
		return false;
	case ST_DOT:
		if (ch == '\r') {
			d->state = ST_DOT_CR;
			return false;
		}
		d->state = ST_MID;
		step_line(d, ch);
		return false;
	default: /* ST_DOT_CR */
		if (ch == '\n')
			return true;
		set_err(d, DATA_ERR_BARE_CR);
		d->state = ST_MID;
		step_line(d, ch);
		return false;
	}
}

/* The length of the run of ordinary octets (no CR, LF or NUL) at p. */
static size_t
text_run(const char *p, size_t len)
{
	size_t n = 0;

	while (n < len && p[n] != '\r' && p[n] != '\n' && p[n] != '\0')
		n++;
	return n;
}

bool
data_dec_feed(struct data_dec *d, const char *p, size_t len, size_t *used)
{
	for (size_t i = 0; i < len; i++) {
		if (d->state == ST_MID) {
			/* Inside a line: the ordinary octets go in one piece.
			 */
			size_t n = text_run(p + i, len - i);

			if (n > 0) {
				d->line_len += n;
				put(d, p + i, n);
				i += n - 1;
				continue;
			}
		}
		if (d->state == ST_MID || d->state == ST_CR) {
			step_line(d, p[i]);
			continue;
		}
		if (step_start(d, p[i])) {
			*used = i + 1;
			return true;
		}
	}
	*used = len;
	return false;
}

void
data_dec_finish(struct data_dec *d)
{
	if (d->state == ST_CR || d->state == ST_DOT_CR)
		set_err(d, DATA_ERR_BARE_CR);
	if (d->state != ST_BOL_CRLF && d->state != ST_BOL_LF)
		end_line(d, true);
}

const char *
data_err_reply(enum data_err err)
{
	static const char *const replies[] = {
		[DATA_OK] = "250 2.0.0 OK",
		[DATA_ERR_SIZE] = "552 5.3.4 Message too big",
		[DATA_ERR_LINE] = "500 5.5.2 Line too long",
		[DATA_ERR_BARE_CR] = "554 5.6.0 Bare CR in message; use CRLF",
		[DATA_ERR_NUL] = "554 5.6.0 NUL octet in message",
	};

	return replies[err];
}

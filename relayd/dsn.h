#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/buf.h"

/*
 * Delivery status notifications (RFC 3464): a multipart/report with a
 * human-readable part, message/delivery-status, and the original headers
 * (text/rfc822-headers), sent from <> with From: MAILER-DAEMON@hostname.
 */

struct dsn_rcpt {
	const char *addr;
	const char *status;     /* "5.1.1" */
	const char *remote_mta; /* host that answered, or NULL */
	const char *diagnostic; /* the remote reply or our reason */
	time_t last_attempt;
};

struct dsn {
	const char *hostname; /* relay.hostname */
	const char *queue_id;
	const char *sender; /* the original envelope sender: the DSN's To */
	time_t arrival;
	time_t now;
	bool delay;          /* a delay warning, not a failure */
	time_t retry_until;  /* for a delay warning */
	const char *headers; /* the original message's header block */
	size_t headers_len;
	const struct dsn_rcpt *rcpts;
	size_t nrcpts;
};

/* Append the whole DSN message (CRLF line endings) to out. */
int dsn_format(const struct dsn *d, struct buf *out) WUR;
/*
 * The RFC 3463 status in an SMTP reply ("550 5.1.1 ..." gives "5.1.1"), or
 * the class's generic one ("5.0.0", "4.0.0") when the reply has none.
 */
void dsn_status_from_reply(const char *reply, char *dst, size_t dstlen);
/* RFC 5322 date-time of t in UTC: "Sat, 28 Nov 2026 04:10:00 +0000". */
void dsn_date(time_t t, char *dst, size_t dstlen);

#endif

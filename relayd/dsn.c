#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "relayd/dsn.h"

void
dsn_date(time_t t, char *dst, size_t dstlen)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(dst, dstlen, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void
dsn_status_from_reply(const char *reply, char *dst, size_t dstlen)
{
	const char *p = reply;
	size_t n = 0;
	bool bare = (p[0] == '4' || p[0] == '5') && p[1] == '.';

	/* "550 5.1.1 text" or "550-5.1.1 text": class.subject.detail; our
	 * own reasons may be a bare "4.4.7 text". */
	if (bare || (strlen(p) >= 4 && is_digit(p[0]) &&
	                (p[3] == ' ' || p[3] == '-'))) {
		p += bare ? 0 : 4;
		if ((p[0] == '2' || p[0] == '4' || p[0] == '5') &&
		    p[1] == '.' && p[0] == reply[0]) {
			n = 2;
			while (is_digit(p[n]) && n < 5)
				n++;
			if (p[n] == '.' && n > 2) {
				size_t m = n + 1;

				while (is_digit(p[m]) && m < n + 4)
					m++;
				if (m > n + 1 &&
				    (p[m] == ' ' || p[m] == '\0')) {
					snprintf(dst, dstlen, "%.*s", (int)m,
					    p);
					return;
				}
			}
		}
	}
	snprintf(dst, dstlen, "%c.0.0", reply[0] == '4' ? '4' : '5');
}

/* Append s with anything but printable ASCII replaced, cut at max bytes. */
static int
append_clean(struct buf *out, const char *s, size_t max)
{
	for (size_t i = 0; s[i] != '\0' && i < max; i++) {
		char c = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : ' ';

		if (buf_append(out, &c, 1) == -1)
			return -1;
	}
	return 0;
}

static int
format_human(const struct dsn *d, struct buf *out)
{
	int rc = buf_printf(out,
	    "This is the mail system at host %s.\r\n\r\n%s\r\n\r\n",
	    d->hostname,
	    d->delay ? "Your message could not be delivered yet. The mail "
	               "system will keep trying;\r\nyou do not need to send "
	               "it again."
	             : "Your message could not be delivered to one or more "
	               "recipients.\r\nIt is attached below.");

	for (size_t i = 0; rc == 0 && i < d->nrcpts; i++) {
		rc = buf_printf(out, "<%s>: ", d->rcpts[i].addr);
		if (rc == 0)
			rc = append_clean(out, d->rcpts[i].diagnostic, 900);
		if (rc == 0)
			rc = buf_append_str(out, "\r\n");
	}
	return rc;
}

static int
format_status(const struct dsn *d, struct buf *out)
{
	char date[64];
	int rc;

	dsn_date(d->arrival, date, sizeof(date));
	rc = buf_printf(out,
	    "Reporting-MTA: dns; %s\r\nX-Postern-Queue-ID: %s\r\n"
	    "Arrival-Date: %s\r\n",
	    d->hostname, d->queue_id, date);
	for (size_t i = 0; rc == 0 && i < d->nrcpts; i++) {
		const struct dsn_rcpt *r = &d->rcpts[i];

		dsn_date(r->last_attempt, date, sizeof(date));
		rc = buf_printf(out,
		    "\r\nFinal-Recipient: rfc822; %s\r\nAction: %s\r\n"
		    "Status: %s\r\n",
		    r->addr, d->delay ? "delayed" : "failed", r->status);
		if (rc == 0 && r->remote_mta != NULL)
			rc = buf_printf(out, "Remote-MTA: dns; %s\r\n",
			    r->remote_mta);
		if (rc == 0)
			rc = buf_append_str(out, "Diagnostic-Code: smtp; ");
		if (rc == 0)
			rc = append_clean(out, r->diagnostic, 900);
		if (rc == 0)
			rc = buf_printf(out, "\r\nLast-Attempt-Date: %s\r\n",
			    date);
		if (rc == 0 && d->delay) {
			dsn_date(d->retry_until, date, sizeof(date));
			rc = buf_printf(out, "Will-Retry-Until: %s\r\n", date);
		}
	}
	return rc;
}

/* The original header block, with CRLF line endings, ending in CRLF. */
static int
format_headers(const struct dsn *d, struct buf *out)
{
	const char *p = d->headers, *end = d->headers + d->headers_len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0)
			break; /* the blank line that ends the headers */
		if (buf_append(out, p, len) == -1 ||
		    buf_append_str(out, "\r\n") == -1)
			return -1;
		p = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

int
dsn_format(const struct dsn *d, struct buf *out)
{
	char date[64], boundary[128];
	int rc;

	dsn_date(d->now, date, sizeof(date));
	snprintf(boundary, sizeof(boundary), "%s.%lld/%s", d->queue_id,
	    (long long)d->now, d->hostname);
	rc = buf_printf(out,
	    "From: MAILER-DAEMON@%s (Mail Delivery System)\r\n"
	    "To: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: <%s.%lld.dsn@%s>\r\nAuto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated message.\r\n\r\n--%s\r\n"
	    "Content-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
	    d->hostname, d->sender,
	    d->delay ? "Delayed Mail (still being retried)"
	             : "Undelivered Mail Returned to Sender",
	    date, d->queue_id, (long long)d->now, d->hostname, boundary,
	    boundary);
	if (rc == 0)
		rc = format_human(d, out);
	if (rc == 0)
		rc = buf_printf(out,
		    "\r\n--%s\r\nContent-Description: Delivery report\r\n"
		    "Content-Type: message/delivery-status\r\n\r\n",
		    boundary);
	if (rc == 0)
		rc = format_status(d, out);
	if (rc == 0)
		rc = buf_printf(out,
		    "\r\n--%s\r\nContent-Description: Undelivered Message "
		    "Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n",
		    boundary);
	if (rc == 0)
		rc = format_headers(d, out);
	if (rc == 0)
		rc = buf_printf(out, "\r\n--%s--\r\n", boundary);
	return rc;
}

#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "relayd/smtp_parse.h"

/*
 * The header section of a received message (CRLF line endings, as the DATA
 * decoder leaves it), checked where it matters for DKIM and DMARC: every
 * line a field or a continuation, exactly one From: with one mailbox.
 */

#define MSG_HEADER_MAX (256 * 1024)

struct msg_info {
	size_t hdr_len; /* octets of the header fields (up to the blank line) */
	bool has_date;
	bool has_message_id;
	struct smtp_path from; /* the header From's mailbox */
};

/* Parse the header of msg; -1 with *why (a full SMTP reply) on refusal. */
int msg_parse(const char *msg, size_t len, struct msg_info *out,
    const char **why);
/*
 * Extract the one mailbox of a From: field value (len bytes, folding
 * allowed): "Name <a@b>", "a@b (comment)", quoted display names. -1 when
 * there is none, more than one, or a group.
 */
int msg_from_parse(const char *v, size_t len, struct smtp_path *out);

#endif

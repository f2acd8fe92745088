#include <string.h>

#include "common/util.h"
#include "relayd/msg.h"

/* Length of a field name at p (printable, no ':'), 0 when p is no field. */
static size_t
field_name_len(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] != ':' && (unsigned char)p[i] > 32 &&
	       (unsigned char)p[i] < 127)
		i++;
	return i < len && p[i] == ':' ? i : 0;
}

/* Skip a quoted string or comment starting at v[*i]; -1 if unterminated. */
static int
skip_special(const char *v, size_t len, size_t *i)
{
	char open = v[*i], close = open == '"' ? '"' : ')';
	int depth = 1;

	for ((*i)++; *i < len; (*i)++) {
		if (v[*i] == '\\') {
			(*i)++;
		} else if (v[*i] == close && --depth == 0) {
			(*i)++;
			return 0;
		} else if (open == '(' && v[*i] == '(') {
			depth++;
		}
	}
	return -1;
}

int
msg_from_parse(const char *v, size_t len, struct smtp_path *out)
{
	char spec[SMTP_PATH_MAX + 1];
	size_t n = 0, i = 0, start;
	const char *angle = NULL, *aend = NULL;

	while (i < len) {
		if (v[i] == '"' || v[i] == '(') {
			start = i;
			if (skip_special(v, len, &i) == -1)
				return -1;
			if (v[start] == '"' && angle == NULL) {
				if (n + (i - start) > SMTP_PATH_MAX)
					return -1;
				memcpy(spec + n, v + start, i - start);
				n += i - start;
			}
			continue;
		}
		if (v[i] == ',' || v[i] == ';' || (v[i] == ':' && !angle))
			return -1; /* several mailboxes or a group */
		if (v[i] == '<') {
			if (angle != NULL)
				return -1;
			angle = v + i + 1;
			aend = memchr(angle, '>', len - i - 1);
			if (aend == NULL)
				return -1;
			i = (size_t)(aend - v) + 1;
			continue;
		}
		if (v[i] != ' ' && v[i] != '\t' && v[i] != '\r' &&
		    v[i] != '\n') {
			if (n >= SMTP_PATH_MAX)
				return -1;
			spec[n++] = v[i];
		}
		i++;
	}
	if (angle != NULL)
		return smtp_mailbox_parse(angle, (size_t)(aend - angle), out);
	return smtp_mailbox_parse(spec, n, out);
}

/* Record what one complete field (name at p, len with folding) tells. */
static int
note_field(const char *p, size_t len, size_t nlen, struct msg_info *out,
    int *nfrom)
{
	const char *v = p + nlen + 1;
	size_t vlen = len - nlen - 1;

	if (str_ieq(p, nlen, "Date"))
		out->has_date = true;
	else if (str_ieq(p, nlen, "Message-ID"))
		out->has_message_id = true;
	else if (str_ieq(p, nlen, "From")) {
		if (++*nfrom > 1)
			return -1;
		if (msg_from_parse(v, vlen, &out->from) == -1)
			return -1;
	}
	return 0;
}

int
msg_parse(const char *msg, size_t len, struct msg_info *out, const char **why)
{
	size_t pos = 0, field = 0, nlen = 0, eol;
	int nfrom = 0;
	bool in_field = false;

	memset(out, 0, sizeof(*out));
	*why = "554 5.6.0 Malformed message header";
	for (;;) {
		const char *lf = memchr(msg + pos, '\n', len - pos);

		eol = lf != NULL ? (size_t)(lf - msg) + 1 : len;
		if (pos == len ||
		    (lf != NULL && eol - pos == 2 && msg[pos] == '\r')) {
			if (in_field && note_field(msg + field, pos - 2 - field,
			                    nlen, out, &nfrom) == -1)
				return (*why = "554 5.6.0 The From: header "
				               "must hold exactly one address",
				    -1);
			break;
		}
		if (lf == NULL || eol - pos < 2 || msg[eol - 2] != '\r')
			return -1; /* the decoder ends every line in CRLF */
		if (pos > MSG_HEADER_MAX)
			return (*why = "552 5.3.4 Message header too big", -1);
		if (msg[pos] == ' ' || msg[pos] == '\t') {
			if (!in_field)
				return -1;
		} else {
			if (in_field && note_field(msg + field, pos - 2 - field,
			                    nlen, out, &nfrom) == -1)
				return (*why = "554 5.6.0 The From: header "
				               "must hold exactly one address",
				    -1);
			nlen = field_name_len(msg + pos, eol - pos);
			if (nlen == 0)
				return -1;
			field = pos;
			in_field = true;
		}
		pos = eol;
	}
	out->hdr_len = pos;
	if (nfrom == 0)
		return (*why = "554 5.6.0 Message has no From: header", -1);
	return 0;
}

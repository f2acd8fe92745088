#include <arpa/inet.h>
#include <string.h>

#include "common/util.h"
#include "relayd/smtp_parse.h"

/* Command verbs (RFC 5321 4.1.1, RFC 3207, RFC 4954, RFC 3030). */
static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_HELO },
	{ "EHLO", SMTP_EHLO },
	{ "MAIL", SMTP_MAIL },
	{ "RCPT", SMTP_RCPT },
	{ "DATA", SMTP_DATA },
	{ "BDAT", SMTP_BDAT },
	{ "RSET", SMTP_RSET },
	{ "NOOP", SMTP_NOOP },
	{ "QUIT", SMTP_QUIT },
	{ "VRFY", SMTP_VRFY },
	{ "EXPN", SMTP_EXPN },
	{ "HELP", SMTP_HELP },
	{ "STARTTLS", SMTP_STARTTLS },
	{ "AUTH", SMTP_AUTH },
};

int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *out,
    const char **why)
{
	size_t vlen = 0;

	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n') {
			*why = "500 5.5.2 Invalid character in command";
			return -1;
		}
	}
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	out->verb = SMTP_UNKNOWN;
	out->arg = line + vlen;
	out->arg_len = 0;
	if (vlen < len) {
		out->arg = line + vlen + 1;
		out->arg_len = len - vlen - 1;
	}
	for (size_t i = 0; i < NELEM(verbs); i++) {
		if (str_ieq(line, vlen, verbs[i].name)) {
			out->verb = verbs[i].verb;
			break;
		}
	}
	/* Trailing spaces are common from legacy clients: ignore them. */
	while (out->arg_len > 0 && out->arg[out->arg_len - 1] == ' ')
		out->arg_len--;
	return 0;
}

/* atext of RFC 5322 3.2.3; octets >= 0x80 count as UTF-8 (RFC 6531). */
static bool
is_atext(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch >= 0x80)
		return true;
	return strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL && ch != '\0';
}

/* Local-part at p: Dot-string or Quoted-string; returns its length or 0. */
static size_t
scan_local(const char *p, size_t len, bool *quoted)
{
	size_t i = 0;

	*quoted = len > 0 && p[0] == '"';
	if (*quoted) {
		for (i = 1; i < len && p[i] != '"'; i++) {
			unsigned char ch = (unsigned char)p[i];

			if (ch == '\\' && i + 1 < len &&
			    (unsigned char)p[i + 1] >= 32 &&
			    (unsigned char)p[i + 1] != 127)
				i++;
			else if (ch < 32 || ch == 127 || ch == '\\')
				return 0;
		}
		return i < len ? i + 1 : 0;
	}
	while (i < len) {
		size_t start = i;

		while (i < len && is_atext((unsigned char)p[i]))
			i++;
		if (i == start)
			return 0; /* empty atom: leading, trailing or ".." */
		if (i < len && p[i] == '.' && i + 1 < len && p[i + 1] != '@')
			i++;
		else
			break;
	}
	return i;
}

/* Whether d (len bytes) is a domain: LDH labels or an address literal. */
static bool
domain_is_valid(const char *d, size_t len, bool *literal)
{
	char tmp[SMTP_DOMAIN_MAX + 1];
	unsigned char ip[16];
	size_t label = 0;

	*literal = len > 0 && d[0] == '[';
	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return false;
	if (*literal) {
		if (len < 3 || d[len - 1] != ']')
			return false;
		memcpy(tmp, d + 1, len - 2);
		tmp[len - 2] = '\0';
		if (strncmp(tmp, "IPv6:", 5) == 0)
			return inet_pton(AF_INET6, tmp + 5, ip) == 1;
		return inet_pton(AF_INET, tmp, ip) == 1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)d[i];

		if (ch == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') ||
		           (ch >= 'A' && ch <= 'Z') ||
		           (ch >= '0' && ch <= '9') || ch >= 0x80 ||
		           (ch == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && d[len - 1] != '-';
}

int
smtp_mailbox_parse(const char *p, size_t len, struct smtp_path *out)
{
	size_t llen = scan_local(p, len, &out->quoted_local);

	if (llen == 0 || llen > SMTP_LOCAL_MAX || llen >= len ||
	    p[llen] != '@' || len > SMTP_PATH_MAX)
		return -1;
	if (!domain_is_valid(p + llen + 1, len - llen - 1, &out->address_lit))
		return -1;
	memcpy(out->addr, p, len);
	out->addr[len] = '\0';
	memcpy(out->domain, p + llen + 1, len - llen - 1);
	out->domain[len - llen - 1] = '\0';
	return 0;
}

/* Whether s (len bytes) holds an octet >= 0x80. */
static bool
has_8bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* One ESMTP parameter "KEY[=VALUE]" of MAIL; -1 with *why. */
static int
parse_mail_param(const char *p, size_t len, struct smtp_path *out,
    const char **why)
{
	const char *eq = memchr(p, '=', len);
	size_t klen = eq != NULL ? (size_t)(eq - p) : len;
	size_t vlen = eq != NULL ? len - klen - 1 : 0;
	char val[32];

	if (vlen >= sizeof(val))
		vlen = sizeof(val) - 1; /* long values fail the checks below */
	if (eq != NULL)
		memcpy(val, eq + 1, vlen);
	val[vlen] = '\0';
	if (str_ieq(p, klen, "SIZE") && eq != NULL) {
		out->has_size = true;
		if (parse_u64(val, 0, UINT64_MAX, &out->size) == -1 ||
		    len - klen - 1 != vlen) {
			*why = "501 5.5.4 Bad SIZE= value";
			return -1;
		}
	} else if (str_ieq(p, klen, "BODY") && eq != NULL) {
		if (str_ieq(val, vlen, "7BIT"))
			out->body = SMTP_BODY_7BIT;
		else if (str_ieq(val, vlen, "8BITMIME"))
			out->body = SMTP_BODY_8BITMIME;
		else {
			*why = "501 5.5.4 BODY= must be 7BIT or 8BITMIME";
			return -1;
		}
	} else if (str_ieq(p, klen, "SMTPUTF8") && eq == NULL) {
		out->smtputf8 = true;
	} else if (str_ieq(p, klen, "AUTH") && eq != NULL) {
		/* RFC 4954 section 5: accepted; the identity is ours. */
	} else {
		*why = "555 5.5.4 Unsupported MAIL parameter";
		return -1;
	}
	return 0;
}

/* The "FROM:" or "TO:" keyword and the spaces legacy clients add. */
static int
skip_keyword(const char *arg, size_t len, bool mail, size_t *pos)
{
	const char *kw = mail ? "FROM:" : "TO:";
	size_t klen = strlen(kw), i;

	if (len < klen || !str_ieq(arg, klen, kw))
		return -1;
	i = klen;
	while (i < len && arg[i] == ' ')
		i++;
	*pos = i;
	return 0;
}

/* The path at arg[*pos]: "<...>", or a bare address legacy clients send. */
static int
parse_path_part(const char *arg, size_t len, size_t *pos, bool mail,
    struct smtp_path *out, const char **why)
{
	const char *bad = mail ? "501 5.1.7 Bad sender address syntax"
	                       : "501 5.1.3 Bad recipient address syntax";
	const char *p = arg + *pos, *end;
	size_t rest = len - *pos, plen;
	bool angle = rest > 0 && p[0] == '<';

	if (angle) {
		p++;
		rest--;
		end = memchr(p, '>', rest);
		if (end == NULL)
			return (*why = bad, -1);
		plen = (size_t)(end - p);
		*pos += plen + 2;
	} else {
		end = memchr(p, ' ', rest);
		plen = end != NULL ? (size_t)(end - p) : rest;
		*pos += plen;
	}
	if (plen > 0 && p[0] == '@') {
		*why = "553 5.1.3 Source routes are not accepted";
		return -1;
	}
	if (plen == 0 && angle && mail) {
		out->null = true;
		return 0;
	}
	if (smtp_mailbox_parse(p, plen, out) == -1)
		return (*why = bad, -1);
	return 0;
}

int
smtp_path_parse(const char *arg, size_t len, bool mail, struct smtp_path *out,
    const char **why)
{
	size_t pos, start;

	memset(out, 0, sizeof(*out));
	if (skip_keyword(arg, len, mail, &pos) == -1) {
		*why = mail ? "501 5.5.4 Syntax: MAIL FROM:<address>"
		            : "501 5.5.4 Syntax: RCPT TO:<address>";
		return -1;
	}
	if (parse_path_part(arg, len, &pos, mail, out, why) == -1)
		return -1;
	while (pos < len) {
		if (arg[pos] != ' ') {
			*why = "501 5.5.4 Syntax error after the address";
			return -1;
		}
		while (pos < len && arg[pos] == ' ')
			pos++;
		start = pos;
		while (pos < len && arg[pos] != ' ')
			pos++;
		if (pos == start)
			break;
		if (!mail) {
			*why = "555 5.5.4 Unsupported RCPT parameter";
			return -1;
		}
		if (parse_mail_param(arg + start, pos - start, out, why) == -1)
			return -1;
	}
	if (mail && has_8bit(out->addr, strlen(out->addr)) && !out->smtputf8) {
		*why = "553 5.6.7 Non-ASCII address needs SMTPUTF8";
		return -1;
	}
	return 0;
}

const char *
smtp_relay_refusal(const struct smtp_session *s)
{
	if (s->authenticated || (s->allow_listed && !s->auth_required))
		return NULL;
	if (s->auth_offered || (s->starttls_offered && !s->tls))
		return "530 5.7.0 Authentication required";
	return "554 5.7.1 Relay access denied";
}

/* MAIL: sequence and authentication checks. */
static struct smtp_choice
choose_mail(const struct smtp_session *s)
{
	struct smtp_choice r = { SMTP_ACT_MAIL, NULL };

	if (!s->greeted)
		r.text = "503 5.5.1 Send EHLO first";
	else if (s->in_mail)
		r.text = "503 5.5.1 Nested MAIL command";
	else if (s->auth_required && !s->authenticated)
		r.text = s->starttls_offered && !s->tls
		             ? "530 5.7.0 Must issue a STARTTLS command first"
		             : "530 5.7.0 Authentication required";
	if (r.text != NULL)
		r.act = SMTP_ACT_REPLY;
	return r;
}

/* RCPT: sequence, relaying and recipient limit. */
static struct smtp_choice
choose_rcpt(const struct smtp_session *s)
{
	struct smtp_choice r = { SMTP_ACT_RCPT, NULL };

	if (!s->in_mail)
		r.text = "503 5.5.1 Need MAIL before RCPT";
	else if ((r.text = smtp_relay_refusal(s)) != NULL)
		;
	else if (s->nrcpt >= s->max_rcpt)
		r.text = "452 4.5.3 Too many recipients";
	if (r.text != NULL)
		r.act = SMTP_ACT_REPLY;
	return r;
}

/* DATA and BDAT: a transaction with recipients must be open. */
static const char *
data_refusal(const struct smtp_session *s)
{
	if (!s->in_mail)
		return "503 5.5.1 Need MAIL command";
	if (s->nrcpt == 0)
		return "554 5.5.1 No valid recipients";
	return NULL;
}

/* STARTTLS (RFC 3207). */
static const char *
starttls_refusal(const struct smtp_session *s, const struct smtp_cmd *c)
{
	if (s->tls)
		return "503 5.5.1 TLS already active";
	if (!s->starttls_offered)
		return "502 5.5.1 STARTTLS not available";
	if (c->arg_len != 0)
		return "501 5.5.4 Syntax: STARTTLS";
	if (!s->greeted)
		return "503 5.5.1 Send EHLO first";
	return NULL;
}

/* AUTH (RFC 4954 section 4). */
static const char *
auth_refusal(const struct smtp_session *s)
{
	if (!s->greeted)
		return "503 5.5.1 Send EHLO first";
	if (s->authenticated)
		return "503 5.5.1 Already authenticated";
	if (s->in_mail)
		return "503 5.5.1 AUTH not allowed during a mail transaction";
	if (!s->auth_offered && s->starttls_offered && !s->tls)
		return "538 5.7.11 Encryption required for requested "
		       "authentication mechanism";
	if (!s->auth_offered)
		return "503 5.5.1 AUTH not available";
	return NULL;
}

/* Wrap an optional refusal: NULL means "perform act". */
static struct smtp_choice
refuse_or(const char *refusal, enum smtp_action act)
{
	struct smtp_choice r = { act, refusal };

	if (refusal != NULL)
		r.act = SMTP_ACT_REPLY;
	return r;
}

struct smtp_choice
smtp_choose_reply(const struct smtp_session *s, const struct smtp_cmd *c)
{
	struct smtp_choice r = { SMTP_ACT_REPLY, NULL };

	switch (c->verb) {
	case SMTP_HELO:
	case SMTP_EHLO:
		return refuse_or(c->arg_len == 0
		                     ? "501 5.5.4 Syntax: EHLO hostname"
		                     : NULL,
		    c->verb == SMTP_HELO ? SMTP_ACT_HELO : SMTP_ACT_EHLO);
	case SMTP_MAIL:
		return choose_mail(s);
	case SMTP_RCPT:
		return choose_rcpt(s);
	case SMTP_DATA:
		if (c->arg_len != 0)
			return refuse_or("501 5.5.4 Syntax: DATA", 0);
		if (s->in_bdat)
			return refuse_or(
			    "503 5.5.1 DATA not allowed after BDAT", 0);
		return refuse_or(data_refusal(s), SMTP_ACT_DATA);
	case SMTP_BDAT:
		/* The chunk is read whatever the answer (RFC 3030 2). */
		r.act = SMTP_ACT_BDAT;
		r.text = data_refusal(s);
		return r;
	case SMTP_RSET:
		return refuse_or(c->arg_len != 0 ? "501 5.5.4 Syntax: RSET"
		                                 : NULL,
		    SMTP_ACT_RSET);
	case SMTP_NOOP:
		r.text = "250 2.0.0 OK";
		return r;
	case SMTP_QUIT:
		r.act = SMTP_ACT_QUIT;
		return r;
	case SMTP_VRFY:
		r.text = "502 5.5.1 VRFY command is disabled";
		return r;
	case SMTP_EXPN:
		r.text = "502 5.5.1 EXPN command is disabled";
		return r;
	case SMTP_HELP:
		r.text = "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT "
		         "RSET NOOP QUIT HELP VRFY STARTTLS AUTH";
		return r;
	case SMTP_STARTTLS:
		return refuse_or(starttls_refusal(s, c), SMTP_ACT_STARTTLS);
	case SMTP_AUTH:
		return refuse_or(auth_refusal(s), SMTP_ACT_AUTH);
	case SMTP_UNKNOWN:
		break;
	}
	r.text = "500 5.5.2 Command not recognized";
	return r;
}

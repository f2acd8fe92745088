#ifndef POSTERN_SMTP_PARSE_H
#define POSTERN_SMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Pure parsing of SMTP command lines (RFC 5321 section 4.1) and the reply
 * chooser: bytes and session state in, structs and reply text out. Nothing
 * here touches a socket, the clock or the configuration.
 */

#define SMTP_CMD_MAX 512   /* octets, CRLF included (RFC 5321 4.5.3.1.4) */
#define SMTP_AUTH_MAX 2048 /* AUTH lines may be longer (RFC 4954 section 4) */
#define SMTP_LOCAL_MAX 64
#define SMTP_DOMAIN_MAX 255
#define SMTP_PATH_MAX 256

enum smtp_verb {
	SMTP_HELO,
	SMTP_EHLO,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_BDAT,
	SMTP_RSET,
	SMTP_NOOP,
	SMTP_QUIT,
	SMTP_VRFY,
	SMTP_EXPN,
	SMTP_HELP,
	SMTP_STARTTLS,
	SMTP_AUTH,
	SMTP_UNKNOWN
};

/* A command line split into verb and argument (borrowed from the line). */
struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg; /* after the verb and one space; "" when none */
	size_t arg_len;
};

enum smtp_body { SMTP_BODY_7BIT, SMTP_BODY_8BITMIME, SMTP_BODY_BINARYMIME };

/* A parsed MAIL FROM or RCPT TO path with its ESMTP parameters. */
struct smtp_path {
	bool null;                    /* <> */
	char addr[SMTP_PATH_MAX + 1]; /* local@domain as sent, "" for <> */
	char domain[SMTP_DOMAIN_MAX + 1];
	bool quoted_local; /* the local part is a quoted string */
	bool address_lit;  /* the domain is [IP] */
	bool has_size;
	uint64_t size;       /* SIZE= */
	enum smtp_body body; /* BODY= */
	bool smtputf8;
};

/*
 * Split line (len bytes, no CRLF) into verb and argument. -1 when the line
 * holds a NUL, CR or LF, or when the verb is not followed by a space or the
 * end; *why then says what is wrong. An unknown verb is not an error.
 */
int smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *out,
    const char **why);

/*
 * Parse the argument of MAIL ("FROM:<a@b> SIZE=1") or RCPT ("TO:<a@b>").
 * -1 with *why (a full reply such as "501 5.1.7 Bad sender address syntax")
 * on any syntax error, source route, unknown parameter or oversize part.
 */
int smtp_path_parse(const char *arg, size_t len, bool mail,
    struct smtp_path *out, const char **why);

/*
 * A mailbox "local@domain" of exactly len bytes (no angle brackets) into
 * out->addr, out->domain and the flags; -1 when it is not one.
 */
int smtp_mailbox_parse(const char *p, size_t len, struct smtp_path *out);

/* What the session looks like to the reply chooser. */
struct smtp_session {
	bool greeted;          /* HELO or EHLO seen */
	bool esmtp;            /* EHLO rather than HELO */
	bool tls;              /* the connection is encrypted now */
	bool starttls_offered; /* listener tls: starttls */
	bool auth_offered;     /* AUTH is offered on this connection now */
	bool auth_required;    /* listener auth: required */
	bool authenticated;
	bool allow_listed; /* the client is in allow_networks */
	bool in_mail;      /* MAIL accepted, transaction open */
	size_t nrcpt;      /* accepted recipients */
	size_t max_rcpt;
	bool in_bdat; /* BDAT chunks were accepted */
};

enum smtp_action {
	SMTP_ACT_REPLY, /* send the reply, nothing else */
	SMTP_ACT_HELO,
	SMTP_ACT_EHLO,
	SMTP_ACT_MAIL,
	SMTP_ACT_RCPT,
	SMTP_ACT_DATA,
	SMTP_ACT_BDAT,
	SMTP_ACT_RSET,
	SMTP_ACT_QUIT,
	SMTP_ACT_STARTTLS,
	SMTP_ACT_AUTH
};

struct smtp_choice {
	enum smtp_action act;
	const char *text; /* full reply line without CRLF, for SMTP_ACT_REPLY */
};

/*
 * Choose the reply to cmd in session s: either a final reply (act
 * SMTP_ACT_REPLY) or the action the connection must perform, whose reply
 * depends on its arguments.
 */
struct smtp_choice smtp_choose_reply(const struct smtp_session *s,
    const struct smtp_cmd *cmd);

/*
 * The relaying decision, which never looks at the address: only a client
 * that authenticated, or that is allow-listed on a listener that lets it
 * relay without AUTH, may relay. NULL when allowed, else the refusal.
 */
const char *smtp_relay_refusal(const struct smtp_session *s);

#endif

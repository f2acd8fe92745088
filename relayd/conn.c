#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/addr.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "relayd/auth.h"
#include "relayd/conn.h"
#include "relayd/gate.h"
#include "relayd/metrics.h"
#include "relayd/data.h"
#include "relayd/dkim_sign.h"
#include "relayd/msg.h"
#include "relayd/queue.h"
#include "relayd/smtp_parse.h"
#include "relayd/tls.h"
#include "relayd/worker.h"

#define CONN_LINE_MAX 1000        /* text lines, CRLF included */
#define CONN_OUT_HIGH (64 * 1024) /* stop reading above this much output */
#define CONN_CLOSE_TIMEOUT 30

enum conn_state {
	CONN_TLS_ACCEPT, /* implicit TLS handshake before the greeting */
	CONN_COMMAND,
	CONN_AUTH,     /* waiting for an AUTH response line */
	CONN_DATA,     /* DATA: message bytes */
	CONN_BDAT,     /* BDAT: chunk bytes */
	CONN_WAIT,     /* async work pending (queue write, auth delay) */
	CONN_STARTTLS, /* TLS handshake after STARTTLS */
	CONN_CLOSING   /* last reply queued; freed once it has drained */
};

static const char *const state_names[] = { "tls_accept", "command", "auth",
	"data", "bdat", "wait", "starttls", "closing" };

enum auth_step { AUTH_PLAIN_RESP, AUTH_LOGIN_USER, AUTH_LOGIN_PASS };

struct conn {
	TAILQ_ENTRY(conn) entry;
	uint64_t id;
	struct server *srv;
	struct snapshot *snap; /* counted reference */
	struct listener *lst;
	struct bufferevent *bev;
	enum conn_state state;
	struct ipaddr ip;
	char ipstr[64];
	struct smtp_session s;
	char helo[256];
	unsigned errors;
	bool out_blocked; /* reading paused: too much output queued */
	bool tls_pending; /* STARTTLS: the TLS layer starts once the 220 is out
	                   */
	char line[SMTP_AUTH_MAX + 1];
	/* AUTH */
	enum auth_step auth_step;
	char auth_user[AUTH_NAME_MAX];
	const struct user_cfg *user; /* in snap->cfg */
	/* TLS, once established */
	const char *tls_version, *tls_cipher;
	/* the transaction */
	struct smtp_path from;
	char **rcpt;
	struct data_dec dec;
	struct buf msg;
	uint64_t bdat_left;
	bool bdat_last;
	const char *bdat_refusal;
	char qid[QUEUE_ID_LEN + 1];
	size_t qlen;               /* size of the message handed to the queue */
	struct event *timer;       /* auth failure delay */
	struct event *close_timer; /* waits for TLS output to drain */
	struct event *free_ev;     /* deferred free */
};

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);
static void conn_close(struct conn *c, const char *reply);
static void conn_close_check_cb(evutil_socket_t fd, short what, void *arg);

static const struct config *
cfg_of(const struct conn *c)
{
	return c->snap->cfg;
}

/* The only place the state changes: logs it and sets its timeouts. */
static void
conn_set_state(struct conn *c, enum conn_state st)
{
	const struct limits_cfg *lim = &cfg_of(c)->relay.limits;
	struct timeval tv = { (time_t)lim->command_timeout, 0 };

	log_debug("event=state conn=%llu from=%s to=%s",
	    (unsigned long long)c->id, state_names[c->state], state_names[st]);
	c->state = st;
	if (st == CONN_DATA || st == CONN_BDAT)
		tv.tv_sec = (time_t)lim->data_timeout;
	else if (st == CONN_CLOSING)
		tv.tv_sec = CONN_CLOSE_TIMEOUT;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* Queue one reply line (text without CRLF); counts errors. */
static void
conn_reply(struct conn *c, const char *text)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	evbuffer_add_printf(out, "%s\r\n", text);
	if ((text[0] == '4' || text[0] == '5') && text[1] != '2') {
		if (++c->errors > cfg_of(c)->relay.limits.errors &&
		    c->state != CONN_CLOSING) {
			conn_close(c, "421 4.7.0 Too many errors");
			return;
		}
	}
	if (evbuffer_get_length(out) > CONN_OUT_HIGH && !c->out_blocked) {
		c->out_blocked = true;
		bufferevent_disable(c->bev, EV_READ);
	}
}

/* Forget the transaction (RSET, EHLO, after the message). */
static void
conn_reset(struct conn *c)
{
	for (size_t i = 0; i < c->s.nrcpt; i++)
		free(c->rcpt[i]);
	free(c->rcpt);
	c->rcpt = NULL;
	c->s.nrcpt = 0;
	c->s.in_mail = false;
	c->s.in_bdat = false;
	buf_cleanup(&c->msg);
	memset(&c->from, 0, sizeof(c->from));
	c->qid[0] = '\0';
}

static void
conn_unlink_free(struct conn *c)
{
	struct server *srv = c->srv;

	TAILQ_REMOVE(&srv->conns, c, entry);
	log_info("event=disconnect conn=%llu client=%s",
	    (unsigned long long)c->id, c->ipstr);
	conn_reset(c);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	event_free(c->timer);
	event_free(c->close_timer);
	event_free(c->free_ev);
	snapshot_unref(c->snap);
	OPENSSL_cleanse(c->line, sizeof(c->line));
	free(c);
	server_conn_gone(srv);
}

static void
conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_unlink_free(arg);
}

/* Free from a fresh callback, never under a caller that still uses c. */
static void
conn_free_later(struct conn *c)
{
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	if (c->state != CONN_CLOSING)
		conn_set_state(c, CONN_CLOSING);
	event_active(c->free_ev, 0, 0);
}

/* Send a last reply (if any), stop reading, free once it has drained. */
static void
conn_close(struct conn *c, const char *reply)
{
	if (c->state == CONN_CLOSING)
		return;
	conn_set_state(c, CONN_CLOSING);
	if (reply != NULL)
		evbuffer_add_printf(bufferevent_get_output(c->bev), "%s\r\n",
		    reply);
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
	conn_close_check_cb(-1, 0, c);
}

/* Octets still waiting to go out, below the TLS filter too. */
static size_t
conn_pending_out(struct conn *c)
{
	struct bufferevent *under = bufferevent_get_underlying(c->bev);
	size_t n = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (under != NULL)
		n += evbuffer_get_length(bufferevent_get_output(under));
	return n;
}

/* Plain text of the EHLO name, kept for Received: (printable only). */
static void
conn_set_helo(struct conn *c, const char *arg, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < sizeof(c->helo); i++) {
		unsigned char ch = (unsigned char)arg[i];

		if (ch > 32 && ch < 127 && ch != '(' && ch != ')' && ch != ';')
			c->helo[n++] = (char)ch;
	}
	c->helo[n] = '\0';
	if (n == 0)
		snprintf(c->helo, sizeof(c->helo), "unknown");
}

static void
do_helo(struct conn *c, const struct smtp_cmd *cmd)
{
	char text[600];

	conn_reset(c);
	conn_set_helo(c, cmd->arg, cmd->arg_len);
	c->s.greeted = true;
	c->s.esmtp = false;
	snprintf(text, sizeof(text), "250 %s", cfg_of(c)->relay.hostname);
	conn_reply(c, text);
}

/* RFC 5321 4.1.1.1 and the extensions of RFC 2920, 1870, 6152, 2034,
 * 3207, 4954, 6531, 3030. */
static void
do_ehlo(struct conn *c, const struct smtp_cmd *cmd)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	conn_reset(c);
	conn_set_helo(c, cmd->arg, cmd->arg_len);
	c->s.greeted = c->s.esmtp = true;
	evbuffer_add_printf(out, "250-%s Hello [%s]\r\n",
	    cfg_of(c)->relay.hostname, c->ipstr);
	evbuffer_add_printf(out,
	    "250-PIPELINING\r\n250-SIZE %llu\r\n250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n",
	    (unsigned long long)cfg_of(c)->relay.max_message_size);
	if (c->s.starttls_offered && !c->s.tls)
		evbuffer_add_printf(out, "250-STARTTLS\r\n");
	if (c->s.auth_offered)
		evbuffer_add_printf(out, "250-AUTH PLAIN LOGIN\r\n");
	evbuffer_add_printf(out, "250-SMTPUTF8\r\n250 CHUNKING\r\n");
}

/* Whether addr matches one of the user's senders patterns. */
static bool
sender_allowed(const struct user_cfg *u, const char *addr)
{
	for (size_t i = 0; i < u->senders.n; i++)
		if (str_glob_match(u->senders.v[i], addr))
			return true;
	return false;
}

static void
do_mail(struct conn *c, const struct smtp_cmd *cmd)
{
	const char *why, *dom;
	char esc[300], gate_why[400];

	if (smtp_path_parse(cmd->arg, cmd->arg_len, true, &c->from, &why) ==
	    -1) {
		conn_reply(c, why);
		return;
	}
	if (c->from.has_size &&
	    c->from.size > cfg_of(c)->relay.max_message_size) {
		conn_reply(c, "552 5.3.4 Message size exceeds fixed maximum "
		              "message size");
		return;
	}
	if (c->user != NULL && !c->from.null &&
	    !sender_allowed(c->user, c->from.addr)) {
		log_warn("event=rejected conn=%llu client=%s user=%s from=<%s> "
		         "reason=\"sender not allowed\"",
		    (unsigned long long)c->id, c->ipstr, c->user->name,
		    log_escape(esc, sizeof(esc), c->from.addr,
		        strlen(c->from.addr)));
		conn_reply(c, "553 5.7.1 Sender address not allowed for this "
		              "user");
		return;
	}
	if (!c->from.null && (dom = strrchr(c->from.addr, '@')) != NULL &&
	    !gate_accepts(c->srv->gate, dom + 1, gate_why, sizeof(gate_why))) {
		log_info("event=gate conn=%llu client=%s from=<%s> "
		         "decision=defer reason=\"%s\"",
		    (unsigned long long)c->id, c->ipstr,
		    log_escape(esc, sizeof(esc), c->from.addr,
		        strlen(c->from.addr)),
		    gate_why);
		conn_reply(c, gate_why);
		return;
	}
	if (!queue_has_room(cfg_of(c)->relay.queue.path,
	        c->from.has_size ? c->from.size : 0)) {
		log_warn("event=rejected conn=%llu client=%s "
		         "reason=\"queue file system full\"",
		    (unsigned long long)c->id, c->ipstr);
		conn_reply(c, "452 4.3.1 Insufficient system storage");
		return;
	}
	c->s.in_mail = true;
	conn_reply(c, "250 2.1.0 OK");
}

static void
do_rcpt(struct conn *c, const struct smtp_cmd *cmd)
{
	struct smtp_path p;
	const char *why;

	if (smtp_path_parse(cmd->arg, cmd->arg_len, false, &p, &why) == -1) {
		conn_reply(c, why);
		return;
	}
	c->rcpt = xrealloc(c->rcpt, (c->s.nrcpt + 1) * sizeof(*c->rcpt));
	c->rcpt[c->s.nrcpt++] = xstrdup(p.addr);
	conn_reply(c, "250 2.1.5 OK");
}

static void
do_data(struct conn *c, const struct smtp_cmd *cmd)
{
	(void)cmd;
	buf_init(&c->msg, 0);
	data_dec_init(&c->dec, &c->msg, cfg_of(c)->relay.max_message_size,
	    CONN_LINE_MAX, false);
	conn_reply(c, "354 End data with <CR><LF>.<CR><LF>");
	conn_set_state(c, CONN_DATA);
}

static void
do_rset(struct conn *c, const struct smtp_cmd *cmd)
{
	(void)cmd;
	conn_reset(c);
	conn_reply(c, "250 2.0.0 OK");
}

static void
do_quit(struct conn *c, const struct smtp_cmd *cmd)
{
	(void)cmd;
	conn_close(c, "221 2.0.0 Bye");
}

/* "BDAT SIZE [LAST]" (RFC 3030 section 2); the chunk follows the line. */
static void
do_bdat(struct conn *c, const struct smtp_cmd *cmd, const char *refusal)
{
	char num[24];
	const char *sp = memchr(cmd->arg, ' ', cmd->arg_len);
	size_t nlen = sp != NULL ? (size_t)(sp - cmd->arg) : cmd->arg_len;
	bool last =
	    sp != NULL && str_ieq(sp + 1, cmd->arg_len - nlen - 1, "LAST");

	if (nlen == 0 || nlen >= sizeof(num) || (sp != NULL && !last)) {
		/* The chunk length is unknown: the stream is lost. */
		conn_close(c, "501 5.5.4 Syntax: BDAT size [LAST]");
		return;
	}
	memcpy(num, cmd->arg, nlen);
	num[nlen] = '\0';
	if (parse_u64(num, 0, UINT64_MAX, &c->bdat_left) == -1) {
		conn_close(c, "501 5.5.4 Syntax: BDAT size [LAST]");
		return;
	}
	c->bdat_last = last;
	c->bdat_refusal = refusal;
	if (refusal == NULL && !c->s.in_bdat) {
		buf_init(&c->msg, 0);
		data_dec_init(&c->dec, &c->msg,
		    cfg_of(c)->relay.max_message_size, CONN_LINE_MAX, true);
		c->s.in_bdat = true;
	}
	conn_set_state(c, CONN_BDAT);
}

/* Replace the socket bufferevent by a TLS filter over it. */
static int
conn_start_tls(struct conn *c, enum bufferevent_ssl_state st)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	struct bufferevent *bev;
	SSL *ssl;

	/*
	 * TLS in socket mode on the same descriptor, not as a filter: libevent
	 * 2.1's filter leaves output unsent until the peer sends something.
	 * Called with the plain output drained and reading off, so no byte of
	 * the handshake was read by the plain bufferevent.
	 */
	if (evbuffer_get_length(out) > 0)
		return -1; /* BUG: callers wait until the 220 has gone out */
	if ((ssl = SSL_new(c->snap->ssl)) == NULL)
		return -1;
	bev = bufferevent_openssl_socket_new(c->srv->base, fd, ssl, st,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return -1;
	}
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_setfd(c->bev, -1);
	bufferevent_free(c->bev);
	c->bev = bev;
	bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return 0;
}

/* RFC 3207 section 4: the 220, then the handshake; no buffered input. */
static void
do_starttls(struct conn *c, const struct smtp_cmd *cmd)
{
	(void)cmd;
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		log_warn("event=starttls conn=%llu client=%s result=refused "
		         "reason=\"commands pipelined after STARTTLS\"",
		    (unsigned long long)c->id, c->ipstr);
		conn_close(c, "501 5.5.1 Commands after STARTTLS are not "
		              "allowed");
		return;
	}
	/*
	 * Stop reading before the 220: the client's handshake must stay in the
	 * socket for the TLS bufferevent, which takes over once the 220 is out
	 * (conn_write_cb).
	 */
	bufferevent_disable(c->bev, EV_READ);
	evbuffer_add_printf(bufferevent_get_output(c->bev),
	    "220 2.0.0 Ready to start TLS\r\n");
	c->tls_pending = true;
	conn_reset(c);
	c->s.greeted = c->s.esmtp = false;
	conn_set_state(c, CONN_STARTTLS);
}

/* After the auth failure delay: answer and read on. */
static void
conn_auth_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	conn_set_state(c, CONN_COMMAND);
	conn_reply(c, "535 5.7.8 Authentication credentials invalid");
	if (c->srv->draining) {
		conn_close(c, "421 4.3.2 Service shutting down");
		return;
	}
	if (c->state == CONN_COMMAND) {
		bufferevent_enable(c->bev, EV_READ);
		conn_read_cb(c->bev, c);
	}
}

/* A password check on a worker thread: crypt(3) is slow by design. */
struct auth_job {
	struct server *srv;
	uint64_t conn_id; /* the connection may be gone when it is done */
	struct snapshot *snap;
	char user[AUTH_NAME_MAX];
	char pass[AUTH_PASS_MAX];
	const struct user_cfg *result; /* in snap->cfg */
};

static void
auth_work(void *arg)
{
	struct auth_job *j = arg;

	j->result = auth_check(&j->snap->cfg->relay, j->user, j->pass);
	OPENSSL_cleanse(j->pass, sizeof(j->pass));
}

/* The verdict: success now, failure after a delay. */
static void
conn_auth_result(struct conn *c, const char *user, const struct user_cfg *u)
{
	struct timeval tv = { AUTH_FAIL_DELAY, 0 };
	char esc[AUTH_NAME_MAX * 4];

	log_escape(esc, sizeof(esc), user, strlen(user));
	if (u != NULL) {
		c->user = u;
		c->s.authenticated = true;
		log_info("event=auth conn=%llu client=%s user=%s result=ok",
		    (unsigned long long)c->id, c->ipstr, esc);
		conn_set_state(c, CONN_COMMAND);
		conn_reply(c, "235 2.7.0 Authentication successful");
		if (c->srv->draining)
			conn_close(c, "421 4.3.2 Service shutting down");
		if (c->state == CONN_COMMAND && !c->out_blocked) {
			bufferevent_enable(c->bev, EV_READ);
			conn_read_cb(c->bev, c);
		}
		return;
	}
	metrics_count(c->srv->metrics, M_AUTH_FAILURES);
	log_warn("event=auth conn=%llu client=%s user=\"%s\" result=failed",
	    (unsigned long long)c->id, c->ipstr, esc);
	auth_fails_note(c->srv->fails, &c->ip, (int64_t)time(NULL));
	evtimer_add(c->timer, &tv);
}

static void
auth_done(void *arg)
{
	struct auth_job *j = arg;
	struct conn *c = conn_find(j->srv, j->conn_id);

	if (c != NULL && c->state == CONN_WAIT)
		conn_auth_result(c, j->user, j->result);
	snapshot_unref(j->snap);
	free(j);
}

/* Check the credentials off the loop; reading pauses meanwhile. */
static void
conn_auth_finish(struct conn *c, const char *user, char *pass)
{
	struct auth_job *j = xcalloc(1, sizeof(*j));

	j->srv = c->srv;
	j->conn_id = c->id;
	j->snap = snapshot_ref(c->snap);
	/* The decoders cap both below these sizes; a cut one cannot match. */
	if (str_copy(j->user, sizeof(j->user), user) == -1 ||
	    str_copy(j->pass, sizeof(j->pass), pass) == -1)
		j->user[0] = '\0';
	OPENSSL_cleanse(pass, strlen(pass));
	bufferevent_disable(c->bev, EV_READ);
	conn_set_state(c, CONN_WAIT);
	workers_submit(c->srv->auth_workers, auth_work, auth_done, j);
}

/* One AUTH response line (or initial response) for the current step. */
static void
conn_auth_step(struct conn *c, const char *p, size_t len)
{
	char user[AUTH_NAME_MAX], pass[AUTH_PASS_MAX];

	if (len == 1 && p[0] == '*') {
		conn_set_state(c, CONN_COMMAND);
		conn_reply(c, "501 5.7.0 Authentication cancelled");
		return;
	}
	if (c->auth_step == AUTH_PLAIN_RESP) {
		if (auth_plain_decode(p, len, user, pass) == -1)
			goto bad;
		conn_auth_finish(c, user, pass);
	} else if (c->auth_step == AUTH_LOGIN_USER) {
		if (auth_login_decode(p, len, c->auth_user,
		        sizeof(c->auth_user)) == -1)
			goto bad;
		c->auth_step = AUTH_LOGIN_PASS;
		conn_set_state(c, CONN_AUTH);
		conn_reply(c, "334 UGFzc3dvcmQ6"); /* "Password:" */
	} else {
		if (auth_login_decode(p, len, pass, sizeof(pass)) == -1)
			goto bad;
		conn_auth_finish(c, c->auth_user, pass);
	}
	OPENSSL_cleanse(pass, sizeof(pass));
	return;
bad:
	conn_set_state(c, CONN_COMMAND);
	conn_reply(c, "501 5.5.2 Cannot decode AUTH response");
}

/* AUTH PLAIN|LOGIN [initial-response] (RFC 4954 section 4). */
static void
do_auth(struct conn *c, const struct smtp_cmd *cmd)
{
	const char *sp = memchr(cmd->arg, ' ', cmd->arg_len);
	size_t mlen = sp != NULL ? (size_t)(sp - cmd->arg) : cmd->arg_len;
	const char *ir = sp != NULL ? sp + 1 : NULL;
	size_t irlen = sp != NULL ? cmd->arg_len - mlen - 1 : 0;

	if (auth_fails_is_locked(c->srv->fails, &c->ip, (int64_t)time(NULL))) {
		conn_reply(c, "454 4.7.0 Too many failed authentications; "
		              "try again later");
		return;
	}
	if (str_ieq(cmd->arg, mlen, "PLAIN"))
		c->auth_step = AUTH_PLAIN_RESP;
	else if (str_ieq(cmd->arg, mlen, "LOGIN"))
		c->auth_step = AUTH_LOGIN_USER;
	else {
		conn_reply(c, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	if (ir != NULL && !(irlen == 1 && ir[0] == '=')) {
		conn_auth_step(c, ir, irlen);
		return;
	}
	conn_set_state(c, CONN_AUTH);
	conn_reply(c,
	    c->auth_step == AUTH_PLAIN_RESP ? "334 " : "334 VXNlcm5hbWU6");
}

/* "with" of Received: (RFC 3848). */
static const char *
conn_protocol(const struct conn *c)
{
	static const char *const p[] = { "SMTP", "ESMTP", "ESMTPS", "ESMTPA",
		"ESMTPSA" };

	if (!c->s.esmtp)
		return p[0];
	return p[1 + (c->s.tls ? 1 : 0) + (c->s.authenticated ? 2 : 0)];
}

/* Received:, and Date: / Message-ID: when missing (RFC 5322 3.6). */
static int
conn_trace_headers(struct conn *c, const struct msg_info *mi, struct buf *b)
{
	char date[64];
	struct tm tm;
	time_t now = time(NULL);
	int rc;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	rc = buf_printf(b,
	    "Received: from %s ([%s])\r\n\tby %s (Postern) with "
	    "%s id %s",
	    c->helo, c->ipstr, cfg_of(c)->relay.hostname, conn_protocol(c),
	    c->qid);
	if (rc == 0 && c->s.tls)
		rc = buf_printf(b, "\r\n\t(version=%s cipher=%s)",
		    c->tls_version, c->tls_cipher);
	if (rc == 0 && c->s.nrcpt == 1)
		rc = buf_printf(b, "\r\n\tfor <%s>", c->rcpt[0]);
	if (rc == 0)
		rc = buf_printf(b, "; %s\r\n", date);
	if (rc == 0 && !mi->has_date)
		rc = buf_printf(b, "Date: %s\r\n", date);
	if (rc == 0 && !mi->has_message_id)
		rc = buf_printf(b, "Message-ID: <%s.%lld@%s>\r\n", c->qid,
		    (long long)now, cfg_of(c)->relay.hostname);
	return rc;
}

/* Refusal of the header From for an authenticated user, or NULL. */
static const char *
conn_from_refusal(struct conn *c, const struct msg_info *mi)
{
	if (c->user == NULL || sender_allowed(c->user, mi->from.addr))
		return NULL;
	log_warn("event=rejected conn=%llu id=%s client=%s user=%s "
	         "reason=\"header From not allowed\"",
	    (unsigned long long)c->id, c->qid, c->ipstr, c->user->name);
	return "550 5.7.1 From: header address not allowed for this user";
}

/*
 * Signing runs on the server's worker threads, off the event loop: the job
 * holds everything it needs (the connection may go away meanwhile; it is
 * found again by id when the job is done).
 */
struct sign_job {
	struct server *srv;
	uint64_t conn_id;
	struct snapshot *snap; /* counted reference */
	char qid[QUEUE_ID_LEN + 1];
	char *domain;
	struct buf trace; /* trace fields and the message */
	struct buf out;   /* signatures, then trace */
	const char *why;  /* refusal, or NULL */
};

static void
sign_work(void *arg)
{
	struct sign_job *j = arg;
	struct err e;
	int n;

	n = dkim_signer_sign(j->snap->dkim, j->domain, j->trace.data,
	    j->trace.len, j->qid, &j->out, &e);
	if (n == -1)
		log_error("event=dkim id=%s domain=%s result=failed "
		          "error=\"%s\"",
		    j->qid, j->domain, e.msg);
	else if (n == 0)
		log_warn("event=dkim id=%s domain=%s result=unsigned "
		         "reason=\"no DKIM key for the domain\"",
		    j->qid, j->domain);
	if (n == -1 || buf_append(&j->out, j->trace.data, j->trace.len) == -1)
		j->why = "451 4.7.0 Cannot sign the message; try again later";
	buf_cleanup(&j->trace);
}

static void conn_submit(struct conn *c, struct buf *final);
static void conn_resume(struct conn *c);

static void
sign_done(void *arg)
{
	struct sign_job *j = arg;
	struct conn *c = conn_find(j->srv, j->conn_id);

	if (c != NULL && c->state == CONN_WAIT && strcmp(c->qid, j->qid) == 0) {
		if (j->why != NULL) {
			log_warn("event=rejected conn=%llu id=%s client=%s "
			         "reply=\"%s\"",
			    (unsigned long long)c->id, c->qid, c->ipstr,
			    j->why);
			conn_reset(c);
			conn_set_state(c, CONN_COMMAND);
			conn_reply(c, j->why);
			conn_resume(c);
		} else {
			conn_submit(c, &j->out);
		}
	}
	buf_cleanup(&j->out);
	snapshot_unref(j->snap);
	free(j->domain);
	free(j);
}

/* Start signing the message: trace fields built here, the rest on a
 * worker. NULL, or the refusal. */
static const char *
conn_build(struct conn *c, const struct msg_info *mi)
{
	struct sign_job *j = xcalloc(1, sizeof(*j));

	buf_init(&j->trace, 0);
	buf_init(&j->out, 0);
	if (conn_trace_headers(c, mi, &j->trace) == -1 ||
	    buf_append(&j->trace, c->msg.data, c->msg.len) == -1) {
		buf_cleanup(&j->trace);
		free(j);
		return "451 4.3.0 Internal error";
	}
	j->srv = c->srv;
	j->conn_id = c->id;
	j->snap = snapshot_ref(c->snap);
	memcpy(j->qid, c->qid, sizeof(j->qid));
	j->domain = str_lower(xstrdup(mi->from.domain));
	bufferevent_disable(c->bev, EV_READ);
	conn_set_state(c, CONN_WAIT);
	workers_submit(c->srv->signers, sign_work, sign_done, j);
	return NULL;
}

/* The whole message is in: check it, then sign it (see conn_build). */
static void
conn_message(struct conn *c)
{
	const char *why = NULL;
	struct msg_info mi;

	queue_id_new(c->qid);
	if (c->dec.err != DATA_OK)
		why = data_err_reply(c->dec.err);
	else if (msg_parse(c->msg.data, c->msg.len, &mi, &why) == 0 &&
	         (why = conn_from_refusal(c, &mi)) == NULL)
		why = conn_build(c, &mi);
	if (why != NULL) {
		log_warn("event=rejected conn=%llu id=%s client=%s "
		         "reply=\"%s\"",
		    (unsigned long long)c->id, c->qid, c->ipstr, why);
		conn_reset(c);
		conn_set_state(c, CONN_COMMAND);
		conn_reply(c, why);
	}
}

/* The signed message goes to the queue. */
static void
conn_submit(struct conn *c, struct buf *final)
{
	struct queue_env env;
	char *data;
	size_t len;

	memset(&env, 0, sizeof(env));
	memcpy(env.id, c->qid, sizeof(env.id));
	env.created = (int64_t)time(NULL);
	env.state = QUEUE_QUEUED;
	env.size = final->len;
	env.from = c->from.addr;
	env.client = c->ipstr;
	env.user = c->user != NULL ? c->user->name : NULL;
	for (size_t i = 0; i < c->s.nrcpt; i++)
		queue_env_add_rcpt(&env, c->rcpt[i]);
	data = buf_steal(final, &len);
	c->qlen = len;
	queue_submit(c->srv->queue, c->id, &env, data, len);
	env.from = env.client = env.user = NULL;
	queue_env_cleanup(&env);
}

void
conn_queued(struct conn *c, const char *id, bool ok)
{
	char from[300];

	log_escape(from, sizeof(from), c->from.addr, strlen(c->from.addr));
	if (ok)
		metrics_count(c->srv->metrics, M_RECEIVED);
	if (ok)
		log_info("event=queued id=%s conn=%llu client=%s user=%s "
		         "from=<%s> rcpts=%zu result=ok",
		    id, (unsigned long long)c->id, c->ipstr,
		    c->user != NULL ? c->user->name : "-", from, c->s.nrcpt);
	else
		log_error("event=queued id=%s conn=%llu client=%s "
		          "result=failed",
		    id, (unsigned long long)c->id, c->ipstr);
	conn_reset(c);
	conn_set_state(c, CONN_COMMAND);
	if (ok) {
		char text[80];

		snprintf(text, sizeof(text), "250 2.0.0 OK queued as %s", id);
		conn_reply(c, text);
	} else if (!queue_has_room(cfg_of(c)->relay.queue.path, c->qlen)) {
		conn_reply(c, "452 4.3.1 Insufficient system storage");
	} else {
		conn_reply(c, "451 4.3.0 Cannot queue the message; try again "
		              "later");
	}
	conn_resume(c);
}

/* After the wait for the signer or the queue: close when draining, else
 * read (and run what the client pipelined) again. */
static void
conn_resume(struct conn *c)
{
	if (c->srv->draining) {
		conn_close(c, "421 4.3.2 Service shutting down");
		return;
	}
	if (c->state == CONN_COMMAND && !c->out_blocked) {
		bufferevent_enable(c->bev, EV_READ);
		conn_read_cb(c->bev, c);
	}
}

typedef void action_fn(struct conn *, const struct smtp_cmd *);

static action_fn *const actions[] = {
	[SMTP_ACT_HELO] = do_helo,
	[SMTP_ACT_EHLO] = do_ehlo,
	[SMTP_ACT_MAIL] = do_mail,
	[SMTP_ACT_RCPT] = do_rcpt,
	[SMTP_ACT_DATA] = do_data,
	[SMTP_ACT_RSET] = do_rset,
	[SMTP_ACT_QUIT] = do_quit,
	[SMTP_ACT_STARTTLS] = do_starttls,
	[SMTP_ACT_AUTH] = do_auth,
};

/* One command line (len octets, CRLF removed). */
static void
conn_line(struct conn *c, const char *line, size_t len)
{
	struct smtp_cmd cmd;
	struct smtp_choice r;
	const char *why;

	if (c->state == CONN_AUTH) {
		conn_auth_step(c, line, len);
		return;
	}
	if (smtp_cmd_parse(line, len, &cmd, &why) == -1) {
		conn_reply(c, why);
		return;
	}
	if (len + 2 > SMTP_CMD_MAX && cmd.verb != SMTP_AUTH) {
		conn_reply(c, "500 5.5.2 Line too long");
		return;
	}
	r = smtp_choose_reply(&c->s, &cmd);
	if (r.act == SMTP_ACT_BDAT)
		do_bdat(c, &cmd, r.text);
	else if (r.act == SMTP_ACT_REPLY)
		conn_reply(c, r.text != NULL ? r.text : "221 2.0.0 Bye");
	else
		actions[r.act](c, &cmd);
}

/* DATA bytes: feed the decoder; false when more input is needed. */
static bool
conn_data_in(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_iovec v;
	size_t used;

	if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
		return false;
	if (data_dec_feed(&c->dec, v.iov_base, v.iov_len, &used)) {
		evbuffer_drain(in, used);
		conn_message(c);
		return true;
	}
	evbuffer_drain(in, used);
	return evbuffer_get_length(in) > 0;
}

/* BDAT chunk bytes; false when more input is needed. */
static bool
conn_bdat_in(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_iovec v;
	size_t n, used;
	char text[80];

	while (c->bdat_left > 0 && evbuffer_peek(in, -1, NULL, &v, 1) > 0) {
		n = v.iov_len < c->bdat_left ? v.iov_len : (size_t)c->bdat_left;
		if (c->bdat_refusal == NULL)
			(void)data_dec_feed(&c->dec, v.iov_base, n, &used);
		evbuffer_drain(in, n);
		c->bdat_left -= n;
	}
	if (c->bdat_left > 0)
		return false;
	if (c->bdat_refusal != NULL) {
		conn_set_state(c, CONN_COMMAND);
		conn_reply(c, c->bdat_refusal);
	} else if (c->bdat_last) {
		data_dec_finish(&c->dec);
		conn_message(c);
	} else {
		conn_set_state(c, CONN_COMMAND);
		snprintf(text, sizeof(text), "250 2.0.0 %zu octets so far",
		    c->msg.len);
		conn_reply(c, text);
	}
	return true;
}

/* Whether the read loop may go on. */
static bool
conn_reading(const struct conn *c)
{
	return !c->out_blocked &&
	       (c->state == CONN_COMMAND || c->state == CONN_AUTH ||
	           c->state == CONN_DATA || c->state == CONN_BDAT);
}

/* Frame complete CRLF lines for the state machine, or pass data on. */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t eol_len, len;

	while (conn_reading(c) && evbuffer_get_length(in) > 0) {
		if (c->state == CONN_DATA || c->state == CONN_BDAT) {
			if (!(c->state == CONN_DATA ? conn_data_in(c, in)
			                            : conn_bdat_in(c, in)))
				return;
			continue;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len,
		    EVBUFFER_EOL_CRLF_STRICT);
		if (eol.pos < 0) {
			/* Partial line: give up once its CRLF cannot fit. */
			if (evbuffer_get_length(in) >= SMTP_AUTH_MAX)
				conn_close(c, "500 5.5.2 Line too long");
			return;
		}
		len = (size_t)eol.pos;
		if (len + eol_len > SMTP_AUTH_MAX) {
			conn_close(c, "500 5.5.2 Line too long");
			return;
		}
		if (evbuffer_remove(in, c->line, len) != (int)len ||
		    evbuffer_drain(in, eol_len) == -1) {
			conn_close(c, "421 4.3.0 Internal error");
			return;
		}
		c->line[len] = '\0';
		conn_line(c, c->line, len);
	}
}

/* Closing under TLS: wait until the socket layer has sent everything. */
static void
conn_close_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = { 0, 20000 };

	(void)fd;
	(void)what;
	if (conn_pending_out(c) == 0) {
		conn_free_later(c);
		return;
	}
	evtimer_add(c->close_timer, &tv);
}

/* Output drained: free a closing connection, or read on. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_CLOSING) {
		conn_close_check_cb(-1, 0, c);
		return;
	}
	if (c->tls_pending &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		c->tls_pending = false;
		if (conn_start_tls(c, BUFFEREVENT_SSL_ACCEPTING) == -1)
			conn_free_later(c);
		return;
	}
	if (c->out_blocked) {
		c->out_blocked = false;
		if (conn_reading(c)) {
			bufferevent_enable(bev, EV_READ);
			conn_read_cb(bev, c);
		}
	}
}

/* TLS established, timeouts, end of stream, errors. */
static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	char why[256];
	SSL *ssl;

	if (what & BEV_EVENT_CONNECTED) {
		ssl = bufferevent_openssl_get_ssl(bev);
		if (ssl != NULL)
			tls_describe(ssl, &c->tls_version, &c->tls_cipher);
		c->s.tls = true;
		c->s.auth_offered = c->lst->auth != LISTEN_AUTH_NONE;
		log_info("event=tls conn=%llu client=%s version=%s cipher=%s",
		    (unsigned long long)c->id, c->ipstr, c->tls_version,
		    c->tls_cipher);
		conn_set_state(c, CONN_COMMAND);
		conn_read_cb(bev, c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_info("event=timeout conn=%llu client=%s state=%s",
		    (unsigned long long)c->id, c->ipstr, state_names[c->state]);
		if (c->state == CONN_CLOSING || c->state == CONN_TLS_ACCEPT ||
		    c->state == CONN_STARTTLS) {
			conn_free_later(c);
			return;
		}
		snprintf(why, sizeof(why),
		    "421 4.4.2 %s Error: timeout exceeded",
		    cfg_of(c)->relay.hostname);
		conn_close(c, why);
		return;
	}
	if ((what & BEV_EVENT_ERROR) && bufferevent_openssl_get_ssl(bev))
		log_info("event=tls conn=%llu client=%s result=failed "
		         "error=\"%s\"",
		    (unsigned long long)c->id, c->ipstr,
		    tls_error_text(why, sizeof(why)));
	/* EOF or error: the peer is gone; nothing more can be sent. */
	conn_free_later(c);
}

/* Count the connections from ip (the new one included). */
static size_t
conn_count_ip(struct server *srv, const struct ipaddr *ip)
{
	struct conn *o;
	size_t n = 0;

	TAILQ_FOREACH (o, &srv->conns, entry)
		if (ip_equal(&o->ip, ip))
			n++;
	return n;
}

/* The limits on connections; the refusal or NULL. */
static const char *
conn_limit_refusal(struct conn *c)
{
	const struct limits_cfg *lim = &cfg_of(c)->relay.limits;

	if (c->srv->draining)
		return "421 4.3.2 Service shutting down";
	if (c->srv->nconns > lim->connections)
		return "421 4.7.0 Too many connections; try again later";
	if (conn_count_ip(c->srv, &c->ip) > lim->connections_per_ip)
		return "421 4.7.0 Too many connections from your address";
	if (auth_fails_is_locked(c->srv->fails, &c->ip, (int64_t)time(NULL)) &&
	    c->lst->auth != LISTEN_AUTH_NONE && !c->s.allow_listed)
		return "421 4.7.0 Too many failed authentications; try again "
		       "later";
	return NULL;
}

/* Session flags the listener and client address decide. */
static void
conn_init_session(struct conn *c)
{
	const struct relay_cfg *r = &cfg_of(c)->relay;

	c->s.max_rcpt = (size_t)r->limits.recipients;
	for (size_t i = 0; i < r->allow_networks.n; i++)
		if (cidr_contains(&r->allow_net[i], &c->ip))
			c->s.allow_listed = true;
	c->s.starttls_offered = c->lst->tls == LISTEN_TLS_STARTTLS;
	c->s.auth_required = c->lst->auth == LISTEN_AUTH_REQUIRED;
	/* Without TLS, AUTH only on tls: none, and only to allow-listed. */
	c->s.auth_offered = c->lst->auth != LISTEN_AUTH_NONE &&
	                    c->lst->tls == LISTEN_TLS_NONE && c->s.allow_listed;
}

void
conn_new(struct server *srv, struct listener *l, int fd,
    const struct sockaddr *sa)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	const char *refusal;
	char greet[300];

	c->id = ++srv->next_conn_id;
	c->srv = srv;
	c->snap = snapshot_ref(srv->snap);
	c->lst = l;
	if (ip_from_sockaddr(sa, &c->ip) == -1)
		memset(&c->ip, 0, sizeof(c->ip));
	ip_format(&c->ip, c->ipstr, sizeof(c->ipstr));
	c->timer = evtimer_new(srv->base, conn_auth_fail_cb, c);
	c->close_timer = evtimer_new(srv->base, conn_close_check_cb, c);
	c->free_ev = event_new(srv->base, -1, 0, conn_free_cb, c);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	c->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_init_session(c);
	log_info("event=connect conn=%llu client=%s listener=%s",
	    (unsigned long long)c->id, c->ipstr, l->name);
	c->state = CONN_COMMAND;
	if (l->tls == LISTEN_TLS_IMPLICIT &&
	    conn_start_tls(c, BUFFEREVENT_SSL_ACCEPTING) == -1) {
		conn_close(c, NULL);
		return;
	}
	if ((refusal = conn_limit_refusal(c)) != NULL) {
		conn_close(c, refusal);
		return;
	}
	snprintf(greet, sizeof(greet), "220 %s ESMTP Postern",
	    cfg_of(c)->relay.hostname);
	conn_set_state(c,
	    l->tls == LISTEN_TLS_IMPLICIT ? CONN_TLS_ACCEPT : CONN_COMMAND);
	conn_reply(c, greet);
}

struct conn *
conn_find(struct server *srv, uint64_t id)
{
	struct conn *c;

	TAILQ_FOREACH (c, &srv->conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

void
conn_drain_all(struct server *srv)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if ((c->state == CONN_COMMAND || c->state == CONN_AUTH ||
		        c->state == CONN_TLS_ACCEPT ||
		        c->state == CONN_STARTTLS) &&
		    !c->s.in_mail)
			conn_close(c, "421 4.3.2 Service shutting down");
	}
}

void
conn_free_all(struct server *srv)
{
	while (!TAILQ_EMPTY(&srv->conns))
		conn_unlink_free(TAILQ_FIRST(&srv->conns));
}

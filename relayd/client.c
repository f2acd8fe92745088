#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/util.h"
#include "relayd/client.h"
#include "relayd/smtp_reply.h"

/* A reply line longer than this is garbage (RFC 5321 4.5.3.1.5: 512). */
#define CLIENT_LINE_MAX 4096

enum cstate {
	CS_IDLE,
	CS_CONNECTING,
	CS_BANNER,
	CS_EHLO,
	CS_HELO,
	CS_STARTTLS,
	CS_HANDSHAKE,
	CS_MAIL,
	CS_RCPT,
	CS_DATA,
	CS_BODY,
	CS_RSET,
	CS_QUIT,
	CS_DEAD,
};

static const char *const cstate_names[] = { "idle", "connecting", "banner",
	"ehlo", "helo", "starttls", "tls-handshake", "mail", "rcpt", "data",
	"end-of-data", "rset", "quit", "dead" };

struct client {
	struct client_params p;
	char helo[256];
	char peer[256];
	struct dane_host dane; /* a copy of p.dane (CLIENT_TLS_DANE) */
	char next_hop[256];
	const char *verified; /* how the TLS peer was authenticated */
	client_cb *cb;
	void *arg;
	struct bufferevent *bev;
	struct event *done_ev;
	enum cstate state;
	struct smtp_reply reply;
	struct smtp_ext ext;
	bool connected;
	bool tls_active;
	bool pipelined; /* MAIL, RCPTs (and DATA) went out together */
	bool need_rset;
	struct client_msg *m;
	struct client_result *res;
	bool *rcpt_ok; /* accepted at RCPT, awaiting the end of data */
	size_t rcpt_next;
	size_t accepted;
	int mail_code;
	char mail_reply[512];
};

static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);

static void
set_state(struct client *c, enum cstate s)
{
	struct timeval tv = { (time_t)c->p.command_timeout, 0 };

	log_debug("event=client-state peer=%s from=%s to=%s", c->peer,
	    cstate_names[c->state], cstate_names[s]);
	c->state = s;
	if (s == CS_BODY)
		tv.tv_sec = (time_t)c->p.data_timeout;
	else if (s == CS_CONNECTING)
		tv.tv_sec = (time_t)c->p.connect_timeout;
	if (c->bev != NULL)
		bufferevent_set_timeouts(c->bev, &tv, &tv);
	smtp_reply_init(&c->reply);
}

static void send_line(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
send_line(struct client *c, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
}

/* The callback runs from the loop's top level, never inside our own. */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	(void)fd;
	(void)what;
	if (c->cb != NULL)
		c->cb(c, c->arg);
}

static void
finish(struct client *c)
{
	free(c->rcpt_ok);
	c->rcpt_ok = NULL;
	c->m = NULL;
	c->res = NULL;
	if (c->state != CS_DEAD)
		set_state(c, CS_IDLE);
	event_active(c->done_ev, EV_TIMEOUT, 0);
}

/*
 * The attempt failed as a whole: recipients without a final answer share
 * code and reason; the connection is closed.
 */
static void fail(struct client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct client *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->connected = false;
	c->tls_active = false;
	if (c->res == NULL) { /* idle: nothing to report */
		c->state = CS_DEAD;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(c->res->reply, sizeof(c->res->reply), fmt, ap);
	va_end(ap);
	c->res->code = code;
	c->res->reusable = false;
	log_info("event=client-fail peer=%s state=%s code=%d reason=\"%s\"",
	    c->peer, cstate_names[c->state], code, c->res->reply);
	c->state = CS_DEAD;
	finish(c);
}

struct client *
client_new(const struct client_params *p, client_cb *cb, void *arg)
{
	struct client *c = xcalloc(1, sizeof(*c));

	c->p = *p;
	snprintf(c->helo, sizeof(c->helo), "%s", p->helo);
	snprintf(c->peer, sizeof(c->peer), "%s",
	    p->peer_name != NULL ? p->peer_name : "?");
	c->p.helo = c->helo;
	c->p.peer_name = c->peer;
	c->verified = "no";
	if (p->tls == CLIENT_TLS_DANE && p->dane != NULL) {
		c->dane = *p->dane;
		c->dane.tlsa =
		    xcalloc(p->dane->ntlsa + 1, sizeof(*c->dane.tlsa));
		for (size_t i = 0; i < p->dane->ntlsa; i++) {
			c->dane.tlsa[i] = p->dane->tlsa[i];
			c->dane.tlsa[i].data =
			    xmalloc(p->dane->tlsa[i].len + 1);
			memcpy(c->dane.tlsa[i].data, p->dane->tlsa[i].data,
			    p->dane->tlsa[i].len);
		}
		snprintf(c->next_hop, sizeof(c->next_hop), "%s",
		    p->next_hop != NULL ? p->next_hop : "");
	} else if (p->tls == CLIENT_TLS_DANE) {
		c->p.tls = CLIENT_TLS_REQUIRED; /* no records: TLS at least */
	}
	c->p.dane = NULL;
	c->p.next_hop = NULL;
	c->cb = cb;
	c->arg = arg;
	c->done_ev = event_new(p->base, -1, 0, done_cb, c);
	if (c->done_ev == NULL)
		die(1, "event_new failed");
	c->state = CS_IDLE;
	return c;
}

static void
start_connect(struct client *c)
{
	c->bev = bufferevent_socket_new(c->p.base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL) {
		fail(c, 451, "4.3.0 cannot make a socket");
		return;
	}
	bufferevent_setcb(c->bev, client_read_cb, NULL, client_event_cb, c);
	set_state(c, CS_CONNECTING);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&c->p.addr,
	        (int)c->p.addrlen) == -1)
		fail(c, 451, "4.4.1 connect to %s failed: %s", c->peer,
		    strerror(errno));
}

/* Send MAIL FROM with the parameters the server understands. */
static void
send_mail(struct client *c)
{
	const struct client_msg *m = c->m;
	char size[40] = "";

	if (c->ext.size != 0)
		snprintf(size, sizeof(size), " SIZE=%zu", m->len);
	send_line(c, "MAIL FROM:<%s>%s%s%s", m->sender, size,
	    m->eightbit && c->ext.eightbitmime ? " BODY=8BITMIME" : "",
	    m->smtputf8 && c->ext.smtputf8 ? " SMTPUTF8" : "");
}

/* Start the transaction for c->m: checks, then MAIL (and more if pipelining).
 */
static void
start_transaction(struct client *c)
{
	const struct client_msg *m = c->m;

	if (c->ext.size != 0 && m->len > c->ext.size) {
		fail(c, 552,
		    "5.3.4 message size %zu exceeds the fixed maximum "
		    "of %s (%llu)",
		    m->len, c->peer, (unsigned long long)c->ext.size);
		return;
	}
	if (m->eightbit && !c->ext.eightbitmime) {
		fail(c, 554,
		    "5.6.3 the message has 8-bit content and %s does "
		    "not offer 8BITMIME",
		    c->peer);
		return;
	}
	if (m->smtputf8 && !c->ext.smtputf8) {
		fail(c, 553,
		    "5.6.7 the message needs SMTPUTF8 and %s does not "
		    "offer it",
		    c->peer);
		return;
	}
	c->rcpt_ok = xcalloc(m->nrcpts == 0 ? 1 : m->nrcpts, sizeof(bool));
	c->rcpt_next = 0;
	c->accepted = 0;
	c->mail_code = 0;
	c->pipelined = c->ext.pipelining;
	set_state(c, CS_MAIL);
	send_mail(c);
	if (!c->pipelined)
		return;
	for (size_t i = 0; i < m->nrcpts; i++)
		send_line(c, "RCPT TO:<%s>", m->rcpts[i].addr);
	if (!c->ext.chunking)
		send_line(c, "DATA");
}

static void
copy_reply(const struct smtp_reply *r, char *dst, size_t len)
{
	smtp_reply_format(r, dst, len);
}

static void
send_ehlo(struct client *c)
{
	set_state(c, CS_EHLO);
	send_line(c, "EHLO %s", c->helo);
}

static void
on_banner(struct client *c)
{
	if (c->reply.code / 100 != 2) {
		char r[512];

		copy_reply(&c->reply, r, sizeof(r));
		fail(c, c->reply.code / 100 == 5 ? 554 : 421, "%s", r);
		return;
	}
	send_ehlo(c);
}

/* TLS is in place or will not be: go on, or give up when it is needed. */
static void
after_ehlo(struct client *c)
{
	bool want = c->p.tls != CLIENT_TLS_NEVER;
	bool need = c->p.tls >= CLIENT_TLS_REQUIRED;

	if (!c->tls_active && want && c->ext.starttls) {
		set_state(c, CS_STARTTLS);
		send_line(c, "STARTTLS");
		return;
	}
	if (!c->tls_active && need) {
		fail(c, 451,
		    c->p.tls == CLIENT_TLS_DANE
		        ? "4.7.5 DANE: %s does not offer STARTTLS and has "
		          "TLSA records"
		        : "4.7.5 %s does not offer STARTTLS and TLS is "
		          "required",
		    c->peer);
		return;
	}
	start_transaction(c);
}

static void
on_ehlo(struct client *c)
{
	if (c->reply.code == 250) {
		c->ext = c->reply.ext;
		after_ehlo(c);
		return;
	}
	if (c->reply.code / 100 == 5) {
		/* No ESMTP: fall back to HELO (RFC 5321 3.2). */
		set_state(c, CS_HELO);
		send_line(c, "HELO %s", c->helo);
		return;
	}
	fail(c, 451, "4.4.0 EHLO refused by %s: %d", c->peer, c->reply.code);
}

static void
on_helo(struct client *c)
{
	if (c->reply.code != 250) {
		fail(c, 451, "4.4.0 HELO refused by %s: %d", c->peer,
		    c->reply.code);
		return;
	}
	memset(&c->ext, 0, sizeof(c->ext));
	after_ehlo(c);
}

/*
 * Arm OpenSSL's DANE verifier (RFC 7671, RFC 7672 3) for ssl: SNI and the
 * first reference identifier are the TLSA base domain, the MX host name and
 * the next-hop domain are accepted too (DANE-TA); the records are the
 * usable ones. -1 when none could be added.
 */
static int
dane_setup(struct client *c, SSL *ssl)
{
	const struct dane_host *h = &c->dane;
	size_t added = 0;

	if (SSL_set_tlsext_host_name(ssl, c->dane.base) != 1 ||
	    SSL_dane_enable(ssl, h->base) <= 0)
		return -1;
	/* RFC 7672 3.2.3: a wildcard is only a whole leftmost label. */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (strcasecmp(c->peer, h->base) != 0)
		(void)SSL_add1_host(ssl, c->peer);
	if (c->next_hop[0] != '\0' && strcasecmp(c->next_hop, h->base) != 0)
		(void)SSL_add1_host(ssl, c->next_hop);
	for (size_t i = 0; i < h->ntlsa; i++)
		if (SSL_dane_tlsa_add(ssl, h->tlsa[i].usage,
		        h->tlsa[i].selector, h->tlsa[i].mtype, h->tlsa[i].data,
		        h->tlsa[i].len) > 0)
			added++;
	return added > 0 ? 0 : -1;
}

static void
on_starttls(struct client *c)
{
	struct bufferevent *filter;
	struct ipaddr ip;
	evutil_socket_t fd;
	SSL *ssl;

	if (c->reply.code != 220) {
		if (c->p.tls >= CLIENT_TLS_REQUIRED) {
			fail(c, 451,
			    "4.7.5 %s refused STARTTLS (%d) and TLS is "
			    "required",
			    c->peer, c->reply.code);
			return;
		}
		start_transaction(c); /* opportunistic: go on in plain text */
		return;
	}
	ssl = SSL_new(c->p.ssl_ctx);
	if (ssl == NULL) {
		fail(c, 451, "4.3.0 SSL_new failed");
		return;
	}
	if (c->p.tls == CLIENT_TLS_DANE) {
		if (dane_setup(c, ssl) == -1) {
			SSL_free(ssl);
			fail(c, 451,
			    "4.7.5 DANE: cannot use the TLSA records of %s",
			    c->peer);
			return;
		}
	} else if (ip_parse(c->peer, &ip) == -1) {
		SSL_set_tlsext_host_name(ssl, c->peer);
		SSL_set1_host(ssl, c->peer);
	}
	/* The result is checked once the handshake is done (before any
	 * command goes out): tls_established(). */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	/* Socket mode on the same descriptor: libevent 2.1's TLS filter can
	 * leave pipelined commands unsent. */
	fd = bufferevent_getfd(c->bev);
	filter = bufferevent_openssl_socket_new(c->p.base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (filter == NULL) {
		SSL_free(ssl);
		fail(c, 451, "4.3.0 cannot start TLS");
		return;
	}
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_setfd(c->bev, -1);
	bufferevent_free(c->bev);
	c->bev = filter;
	bufferevent_setcb(c->bev, client_read_cb, NULL, client_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	set_state(c, CS_HANDSHAKE);
}

/* How the peer of ssl was authenticated: dane-ee, dane-ta, pkix or no. */
static const char *
tls_verified(struct client *c, SSL *ssl)
{
	long vr = SSL_get_verify_result(ssl);
	uint8_t usage = 0, selector = 0, mtype = 0;
	int depth;

	if (vr != X509_V_OK || SSL_get0_peer_certificate(ssl) == NULL)
		return "no";
	if (c->p.tls != CLIENT_TLS_DANE)
		return "pkix";
	depth = SSL_get0_dane_tlsa(ssl, &usage, &selector, &mtype, NULL, NULL);
	if (depth < 0)
		return "no";
	log_info("event=dane-match peer=%s base=%s tlsa=\"%u %u %u\" "
	         "depth=%d",
	    c->peer, c->dane.base, usage, selector, mtype, depth);
	return dane_usage_name(usage);
}

/* The handshake is done: record what it gave, then EHLO again. */
static void
tls_established(struct client *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	long vr = SSL_get_verify_result(ssl);

	c->tls_active = true;
	c->verified = tls_verified(c, ssl);
	if (c->res != NULL)
		snprintf(c->res->tls, sizeof(c->res->tls), "%s %s verified=%s",
		    SSL_get_version(ssl), SSL_get_cipher_name(ssl),
		    c->verified);
	if (c->p.tls == CLIENT_TLS_VERIFY && strcmp(c->verified, "pkix") != 0) {
		fail(c, 451, "4.7.5 the certificate of %s is not valid: %s",
		    c->peer, X509_verify_cert_error_string(vr));
		return;
	}
	if (c->p.tls == CLIENT_TLS_DANE && strcmp(c->verified, "no") == 0) {
		fail(c, 451,
		    "4.7.5 DANE: the certificate of %s matches none of its "
		    "TLSA records (base %s): %s",
		    c->peer, c->dane.base,
		    vr == X509_V_OK ? "no match"
		                    : X509_verify_cert_error_string(vr));
		return;
	}
	send_ehlo(c);
}

static void
on_mail(struct client *c)
{
	c->mail_code = c->reply.code;
	copy_reply(&c->reply, c->mail_reply, sizeof(c->mail_reply));
	set_state(c, CS_RCPT);
	if (c->pipelined)
		return;
	if (c->mail_code / 100 != 2) {
		c->need_rset = true;
		for (size_t i = 0; i < c->m->nrcpts; i++) {
			c->m->rcpts[i].code = c->mail_code;
			snprintf(c->m->rcpts[i].reply,
			    sizeof(c->m->rcpts[i].reply), "%s", c->mail_reply);
		}
		c->res->code = 0;
		c->res->reusable = true;
		finish(c);
		return;
	}
	send_line(c, "RCPT TO:<%s>", c->m->rcpts[0].addr);
}

static void send_body(struct client *c);

/* All RCPT replies are in: DATA (or BDAT), or give up when none passed. */
static void
after_rcpts(struct client *c)
{
	bool mail_ok = c->mail_code / 100 == 2;

	if (!mail_ok || c->accepted == 0) {
		c->need_rset = true;
		if (c->pipelined && !c->ext.chunking) {
			set_state(c, CS_DATA); /* a DATA reply is coming */
			return;
		}
		c->res->code = 0;
		c->res->reusable = true;
		finish(c);
		return;
	}
	if (c->ext.chunking) {
		set_state(c, CS_BODY);
		send_line(c, "BDAT %zu LAST", c->m->len);
		evbuffer_add_reference(bufferevent_get_output(c->bev),
		    c->m->data, c->m->len, NULL, NULL);
		return;
	}
	set_state(c, CS_DATA);
	if (!c->pipelined)
		send_line(c, "DATA");
}

static void
on_rcpt(struct client *c)
{
	struct client_rcpt *r = &c->m->rcpts[c->rcpt_next];

	if (c->reply.code / 100 == 2 && c->mail_code / 100 == 2) {
		c->rcpt_ok[c->rcpt_next] = true;
		c->accepted++;
	} else if (c->mail_code / 100 != 2) {
		r->code = c->mail_code;
		snprintf(r->reply, sizeof(r->reply), "%s", c->mail_reply);
	} else {
		r->code = c->reply.code;
		copy_reply(&c->reply, r->reply, sizeof(r->reply));
	}
	c->rcpt_next++;
	smtp_reply_init(&c->reply);
	if (c->rcpt_next < c->m->nrcpts) {
		if (!c->pipelined)
			send_line(c, "RCPT TO:<%s>",
			    c->m->rcpts[c->rcpt_next].addr);
		return;
	}
	after_rcpts(c);
}

static void
on_data(struct client *c)
{
	if (c->mail_code / 100 != 2 || c->accepted == 0) {
		if (c->reply.code == 354) {
			/* Some servers say 354 anyway: end an empty body. */
			send_line(c, ".");
			set_state(c, CS_BODY);
			return;
		}
		c->res->code = 0;
		c->res->reusable = true;
		finish(c);
		return;
	}
	if (c->reply.code != 354) {
		char r[512];

		copy_reply(&c->reply, r, sizeof(r));
		for (size_t i = 0; i < c->m->nrcpts; i++) {
			if (!c->rcpt_ok[i])
				continue;
			c->m->rcpts[i].code = c->reply.code;
			snprintf(c->m->rcpts[i].reply,
			    sizeof(c->m->rcpts[i].reply), "%s", r);
		}
		c->need_rset = true;
		c->res->code = 0;
		c->res->reusable = true;
		finish(c);
		return;
	}
	set_state(c, CS_BODY);
	send_body(c);
}

/* The message, dot-stuffed (RFC 5321 4.5.2) without copying it. */
static void
send_body(struct client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *p = c->m->data, *end = p + c->m->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl != NULL ? nl + 1 : end;

		if (*p == '.')
			evbuffer_add(out, ".", 1);
		evbuffer_add_reference(out, p, (size_t)(next - p), NULL, NULL);
		p = next;
	}
	if (c->m->len > 0 && end[-1] != '\n')
		evbuffer_add(out, "\r\n", 2);
	evbuffer_add(out, ".\r\n", 3);
}

static void
on_body(struct client *c)
{
	char r[512];

	copy_reply(&c->reply, r, sizeof(r));
	for (size_t i = 0; c->accepted > 0 && i < c->m->nrcpts; i++) {
		if (!c->rcpt_ok[i])
			continue;
		c->m->rcpts[i].code = c->reply.code;
		snprintf(c->m->rcpts[i].reply, sizeof(c->m->rcpts[i].reply),
		    "%s", r);
	}
	c->need_rset = c->accepted == 0 || c->reply.code / 100 != 2;
	c->res->code = 0;
	c->res->reusable = true;
	finish(c);
}

static void
on_rset(struct client *c)
{
	if (c->reply.code != 250) {
		fail(c, 451, "4.4.0 RSET refused by %s", c->peer);
		return;
	}
	c->need_rset = false;
	start_transaction(c);
}

typedef void reply_fn(struct client *);

static reply_fn *const reply_handlers[] = {
	[CS_BANNER] = on_banner,
	[CS_EHLO] = on_ehlo,
	[CS_HELO] = on_helo,
	[CS_STARTTLS] = on_starttls,
	[CS_MAIL] = on_mail,
	[CS_RCPT] = on_rcpt,
	[CS_DATA] = on_data,
	[CS_BODY] = on_body,
	[CS_RSET] = on_rset,
};

/* Frame reply lines; hand each complete reply to its state's handler. */
static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char line[CLIENT_LINE_MAX];
	size_t len;
	int rc;

	while (c->bev == bev) {
		char *l = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);

		if (l == NULL) {
			if (evbuffer_get_length(in) > CLIENT_LINE_MAX)
				fail(c, 451,
				    "4.4.0 %s sent a reply line over "
				    "%d bytes",
				    c->peer, CLIENT_LINE_MAX);
			return;
		}
		if (len >= sizeof(line)) {
			free(l);
			fail(c, 451, "4.4.0 %s sent an overlong reply line",
			    c->peer);
			return;
		}
		memcpy(line, l, len + 1);
		free(l);
		if (c->state == CS_QUIT) {
			client_free(c);
			return;
		}
		rc = smtp_reply_feed(&c->reply, line, len);
		if (rc == -1 || (size_t)c->state >= NELEM(reply_handlers) ||
		    reply_handlers[c->state] == NULL) {
			fail(c, 451,
			    "4.4.0 unexpected reply from %s in state %s",
			    c->peer, cstate_names[c->state]);
			return;
		}
		if (rc == 1)
			reply_handlers[c->state](c);
	}
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	unsigned long ssl_err;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == CS_HANDSHAKE) {
			tls_established(c);
			return;
		}
		c->connected = true;
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		set_state(c, CS_BANNER);
		return;
	}
	if (c->state == CS_QUIT) {
		client_free(c);
		return;
	}
	if (c->state == CS_HANDSHAKE) {
		ssl_err = bufferevent_get_openssl_error(c->bev);
		if (c->res != NULL && c->p.tls == CLIENT_TLS_OPPORTUNISTIC)
			c->res->retry_plain = true;
		fail(c, 451, "4.7.0 TLS handshake with %s failed: %s", c->peer,
		    ssl_err != 0 ? ERR_reason_error_string(ssl_err)
		                 : "connection closed");
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		fail(c, 451, "4.4.2 timeout waiting for %s in state %s",
		    c->peer, cstate_names[c->state]);
	else if (what & BEV_EVENT_EOF)
		fail(c, 451, "4.4.2 %s closed the connection in state %s",
		    c->peer, cstate_names[c->state]);
	else
		fail(c, 451, "4.4.1 connection to %s failed in state %s: %s",
		    c->peer, cstate_names[c->state],
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

void
client_send(struct client *c, struct client_msg *m, struct client_result *res)
{
	memset(res, 0, sizeof(*res));
	snprintf(res->tls, sizeof(res->tls), "%s", "none");
	c->m = m;
	c->res = res;
	if (c->tls_active && c->bev != NULL) {
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);

		if (ssl != NULL)
			snprintf(res->tls, sizeof(res->tls),
			    "%s %s verified=%s", SSL_get_version(ssl),
			    SSL_get_cipher_name(ssl), c->verified);
	}
	if (c->state == CS_DEAD || !c->connected) {
		start_connect(c);
	} else if (c->need_rset) {
		set_state(c, CS_RSET);
		send_line(c, "RSET");
	} else {
		start_transaction(c);
	}
}

void
client_set_callback(struct client *c, client_cb *cb, void *arg)
{
	c->cb = cb;
	c->arg = arg;
}

void
client_quit(struct client *c)
{
	struct timeval tv = { 10, 0 };

	if (c == NULL)
		return;
	c->cb = NULL;
	if (c->bev == NULL || !c->connected || c->state != CS_IDLE) {
		client_free(c);
		return;
	}
	c->state = CS_QUIT;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	send_line(c, "QUIT");
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	event_free(c->done_ev);
	free(c->rcpt_ok);
	for (size_t i = 0; i < c->dane.ntlsa; i++)
		free(c->dane.tlsa[i].data);
	free(c->dane.tlsa);
	free(c);
}

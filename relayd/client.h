#ifndef POSTERN_CLIENT_H
#define POSTERN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "relayd/dane.h"

/*
 * The outbound SMTP client (RFC 5321): one connection to one host, which
 * delivers one message at a time and can be reused for the next. It speaks
 * ESMTP with PIPELINING, STARTTLS, SIZE, 8BITMIME, SMTPUTF8 and CHUNKING
 * (BDAT) when the server offers them, dot-stuffs DATA, and bounds every
 * wait with the RFC 5321 4.5.3.2 timeouts. Runs on the caller's event loop.
 */

enum client_tls {
	CLIENT_TLS_NEVER,         /* never STARTTLS (the plain-text retry) */
	CLIENT_TLS_OPPORTUNISTIC, /* STARTTLS when offered */
	CLIENT_TLS_REQUIRED,      /* no STARTTLS: defer */
	CLIENT_TLS_VERIFY,        /* required, and the certificate verified
	                             against peer_name (MTA-STS) */
	CLIENT_TLS_DANE,          /* required, and the certificate matching
	                             a TLSA record (RFC 7672) */
};

struct client_rcpt {
	const char *addr;
	int code;        /* 0 until answered; then the final reply's code */
	char reply[512]; /* that reply on one line */
};

struct client_msg {
	const char *sender; /* "" for the null sender */
	struct client_rcpt *rcpts;
	size_t nrcpts;
	const char *data; /* CRLF lines, not dot-stuffed; borrowed until the
	                     callback */
	size_t len;
	bool eightbit; /* needs 8BITMIME */
	bool smtputf8; /* needs SMTPUTF8 */
};

/*
 * What happened to the attempt. When code is 0, each recipient's code says
 * its fate; otherwise the whole attempt failed with code (4xx: try again,
 * 5xx: bounce) and reply, and recipients without a code share it.
 */
struct client_result {
	int code;
	char reply[512];
	char tls[160];    /* "TLSv1.3 TLS_AES_256_GCM_SHA384 verified=no" or
	                     "none"; verified=dane-ee|dane-ta|pkix|no */
	bool retry_plain; /* opportunistic TLS failed its handshake */
	bool reusable;    /* the connection can take another message */
};

struct client_params {
	struct event_base *base;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const char *helo;      /* relay.hostname, borrowed */
	const char *peer_name; /* the MX host name, borrowed (SNI, verify) */
	enum client_tls tls;
	SSL_CTX *ssl_ctx; /* borrowed; NULL only with CLIENT_TLS_NEVER; with
	                     CLIENT_TLS_DANE, SSL_CTX_dane_enable()d */
	/* CLIENT_TLS_DANE: the host's TLSA base domain and records, and the
	 * next-hop domain (another accepted name, or NULL); copied */
	const struct dane_host *dane;
	const char *next_hop;
	unsigned connect_timeout;
	unsigned command_timeout; /* banner, EHLO, MAIL, RCPT: 5 min */
	unsigned data_timeout;    /* end of data: 10 min */
};

struct client;
typedef void client_cb(struct client *c, void *arg);

/* A session to params->addr; nothing happens until client_send(). */
struct client *client_new(const struct client_params *p, client_cb *cb,
    void *arg);
/* Change where the session reports (a connection reused for a new job). */
void client_set_callback(struct client *c, client_cb *cb, void *arg);
/*
 * Deliver m (connecting first when needed); cb runs once when it is done,
 * with m's recipients and *res filled. m and res are borrowed until then.
 */
void client_send(struct client *c, struct client_msg *m,
    struct client_result *res);
/* Say QUIT (when connected) and free the session; no callback follows. */
void client_quit(struct client *c);
/* Free at once, without QUIT. */
void client_free(struct client *c);

#endif

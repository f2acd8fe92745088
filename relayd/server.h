#ifndef POSTERN_SERVER_H
#define POSTERN_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <openssl/ssl.h>

#include "common/config.h"
#include "common/err.h"

/*
 * The receiving half of posternd: listeners, connections, the queue writer
 * and the control socket on one event_base (STYLE.md section 7).
 */

struct event_base;
struct conn;
struct dkim_signer;

/*
 * What a connection needs from the configuration, shared and counted: a
 * reload makes a new snapshot and open connections keep theirs.
 */
struct snapshot {
	int refs;
	struct config *cfg;
	SSL_CTX *ssl;
	struct dkim_signer *dkim;
};

struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);

/* One listening socket and its modes (fixed at start). */
struct listener {
	struct server *srv;
	struct evconnlistener *l;
	char name[300]; /* "127.0.0.1:587" */
	enum listen_tls tls;
	enum listen_auth auth;
};

TAILQ_HEAD(conn_list, conn);

struct server {
	struct event_base *base;
	struct snapshot *snap; /* the current one */
	const char *config_path;
	struct listener *listeners;
	size_t nlisteners;
	struct conn_list conns;
	size_t nconns;
	uint64_t next_conn_id;
	struct auth_fails *fails;
	struct workers *auth_workers; /* password checks */
	struct queue *queue;
	struct workers *signers; /* DKIM signing off the loop (conn.c) */
	char *queue_path;
	struct delivery *delivery;
	struct gate *gate;
	struct metrics *metrics;
	struct control *control;
	bool draining;
	struct event *sig_hup, *sig_term, *sig_int, *drain_timer;
};

/*
 * Set up everything that needs privileges: queue recovery, TLS, DKIM keys,
 * the listening sockets and the control socket. -1 with e on failure.
 */
int server_init(struct server *srv, struct event_base *base, struct config *cfg,
    const char *config_path, struct err *e) WUR;
/* Run the loop until SIGTERM has drained every connection. */
int server_run(struct server *srv);
void server_cleanup(struct server *srv);
/* Reload the configuration, TLS and keys (SIGHUP). */
void server_reload(struct server *srv);
/* A connection ended (called by conn.c after unlinking it). */
void server_conn_gone(struct server *srv);

#endif

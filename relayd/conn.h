#ifndef POSTERN_CONN_H
#define POSTERN_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "relayd/server.h"

/*
 * One SMTP connection: its bufferevent and explicit state machine
 * (STYLE.md section 7). Owned by the server's list; freed by itself once
 * its last reply has drained or the peer is gone.
 */

/* Take over the accepted socket fd from sa on listener l. */
void conn_new(struct server *srv, struct listener *l, int fd,
    const struct sockaddr *sa);
/* The connection with id, or NULL (async work carries ids). */
struct conn *conn_find(struct server *srv, uint64_t id);
/* The queue finished writing this connection's message. */
void conn_queued(struct conn *c, const char *id, bool ok);
/* SIGTERM: close idle connections now, the others after their transaction. */
void conn_drain_all(struct server *srv);
/* Free every connection now (shutdown). */
void conn_free_all(struct server *srv);

#endif

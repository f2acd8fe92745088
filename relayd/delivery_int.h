#ifndef POSTERN_DELIVERY_INT_H
#define POSTERN_DELIVERY_INT_H

/* Inside the delivery engine: delivery.c (loop side) and attempt.c (the
 * worker side: reading, resolving, recording results, DSNs). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "relayd/client.h"
#include "relayd/dane.h"
#include "relayd/mx.h"
#include "relayd/queue.h"
#include "relayd/route.h"

struct attempt;

/* The recipients of one message that go to one destination. */
struct group {
	struct attempt *a;
	char key[300]; /* route_dest_key() */
	char domain[256];
	struct route_dest dest;
	size_t *rcpts; /* indexes into a->env.rcpt */
	size_t nrcpts;
	struct mx_result mx;
	size_t target;
	bool plain_retry;
	struct client *client;
	struct client_msg msg;
	struct client_rcpt *crcpt;
	struct client_result res;
	char mx_used[330]; /* "host[ip]" of the last try */
	bool sts_enforce; /* MTA-STS enforce: TLS with a verified certificate */
	struct dane_dest dane; /* tls: dane: the hosts' TLSA state */
	int *code;             /* per recipient of the group: final code */
	char **reply;          /* and reply */
};

struct attempt {
	struct delivery *d;
	struct snapshot *snap;
	char id[QUEUE_ID_LEN + 1];
	int64_t now;
	bool skip;       /* nothing due (held, gated, not yet) */
	bool gone;       /* the message is no longer in the queue */
	char error[300]; /* loading failed */
	struct queue_env env;
	char *data;
	size_t len;
	bool eightbit, smtputf8;
	struct group *groups;
	size_t ngroups;
	size_t open;    /* groups still being delivered */
	bool forgotten; /* every recipient delivered: ID.env unlinked */
	/* finalize's results */
	int64_t next_due; /* INT64_MAX: nothing pending */
	bool removed;
	char *dsn; /* a DSN to queue (NULL: none) */
	size_t dsn_len;
	struct queue_env dsn_env;
};

/* Worker side (attempt.c). */
void attempt_load(struct attempt *a, const struct config *cfg);
void attempt_finalize(struct attempt *a, const struct config *cfg);
void attempt_free(struct attempt *a);
/* Forget the attempt's destinations (nothing will be sent this time). */
void attempt_drop_groups(struct attempt *a);
/* The earliest next_attempt of env's pending recipients (INT64_MAX: none). */
int64_t attempt_env_due(const struct queue_env *env);

#endif

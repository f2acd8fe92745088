#ifndef POSTERN_DELIVERY_H
#define POSTERN_DELIVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

/*
 * The delivery engine: takes messages from the queue (relayd/queue.h) and
 * delivers each recipient to its destination (relay.routes: a smart host,
 * or the domain's MX), on the server's event loop; DNS look-ups, file
 * reads and envelope updates run on worker threads. Recipients are
 * tracked one by one: 2xx done, 4xx retried on relay.queue.retry until
 * relay.queue.max_age, 5xx bounced with a DSN to the sender (never for a
 * null sender); one delay warning after relay.queue.warn_after.
 */

struct server;
struct delivery;

/* Tokens with this bit are the engine's own queue submissions (DSNs). */
#define DELIVERY_TOKEN_BIT (UINT64_C(1) << 63)

/* Scan the queue and start; NULL and e on failure. */
struct delivery *delivery_new(struct server *srv, struct err *e);
/* Stop: sessions in flight are cut (their recipients stay pending). */
void delivery_free(struct delivery *d);
/* A message was committed to the queue: deliver it now. */
void delivery_notify(struct delivery *d, const char *id);
/* The queue changed on disk (flush, release): rescan it now. */
void delivery_kick(struct delivery *d);
/* A DSN the engine submitted was committed (or not). */
void delivery_queued(struct delivery *d, const char *id, bool ok);
/* Messages the engine knows and the acceptance time of the oldest (0). */
void delivery_stats(const struct delivery *d, size_t *queued, int64_t *oldest);
/*
 * Whether mail from domain may leave now (the gate); set by the gate,
 * NULL means always. arg is passed back.
 */
void delivery_set_gate(struct delivery *d,
    bool (*ready)(void *arg, const char *domain), void *arg);

#endif

#ifndef POSTERN_METRICS_H
#define POSTERN_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

/*
 * Prometheus metrics over HTTP (relay.metrics, libevent's evhttp): GET
 * /metrics (text format 0.0.4) and GET /healthz. Counters are bumped on
 * the event loop by the code that sees the event.
 */

struct server;
struct domain_report;
struct metrics;

enum metric_counter {
	M_RECEIVED,      /* messages accepted (250 after DATA) */
	M_DELIVERED,     /* recipients delivered */
	M_DEFERRED,      /* recipient attempts deferred */
	M_BOUNCED,       /* recipients bounced */
	M_AUTH_FAILURES, /* failed AUTH attempts */
	M_TLS_OUT,       /* outbound sessions with TLS */
	M_PLAIN_OUT,     /* outbound sessions without TLS */
	M_NCOUNTERS,
};

/* NULL (and no error) when relay.metrics is "". */
struct metrics *metrics_new(struct server *srv, struct err *e);
void metrics_free(struct metrics *m);
void metrics_count(struct metrics *m, enum metric_counter c);
/* A recipient delivered `seconds` after its message was accepted. */
void metrics_latency(struct metrics *m, double seconds);
/* The gate held a message of domain. */
void metrics_held(struct metrics *m, const char *domain);
/* A gate run's result for one domain. */
void metrics_domain(struct metrics *m, const struct domain_report *d,
    int64_t now);

#endif

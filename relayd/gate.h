#ifndef POSTERN_GATE_H
#define POSTERN_GATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The compliance gate: the checks of `postern check` for every configured
 * domain, at start and every relay.gate.interval, on a worker thread (DNS
 * asked afresh each run). The result goes to state_dir/health.json and
 * every change of a domain's readiness is logged. A temporary DNS failure
 * keeps the last known state; a domain never checked is not ready.
 * relay.gate.mode: hold (delivery waits), defer (451 at MAIL FROM), off.
 */

struct server;
struct gate;

struct gate *gate_new(struct server *srv);
void gate_free(struct gate *g);
/* Whether mail from domain may leave now (mode off: always). */
bool gate_ready(void *g, const char *domain);
/*
 * For MAIL FROM: false with an SMTP reply in why when the mode is defer
 * and domain is not ready.
 */
bool gate_accepts(struct gate *g, const char *domain, char *why, size_t len);
/* Run the checks now (SIGHUP, tests). */
void gate_run_now(struct gate *g);

#endif

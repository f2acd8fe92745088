#ifndef POSTERN_WORKER_H
#define POSTERN_WORKER_H

/*
 * Worker threads for what must not run on the event loop (DNS look-ups,
 * file reads and fsyncs, HTTPS fetches): work(arg) runs on a worker thread,
 * then done(arg) runs on the loop's thread. Jobs run in any order.
 */

struct event_base;
struct workers;

typedef void worker_fn(void *arg);

/* nthreads threads reporting to base (evthread must be enabled). */
struct workers *workers_new(struct event_base *base, unsigned nthreads);
void workers_submit(struct workers *w, worker_fn *work, worker_fn *done,
    void *arg);
/* Jobs submitted and not yet done. */
unsigned workers_pending(const struct workers *w);
/* Finish every queued job, work and done callback, then stop. */
void workers_free(struct workers *w);

#endif

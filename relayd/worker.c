#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>

#include "common/util.h"
#include "relayd/worker.h"

struct job {
	worker_fn *work;
	worker_fn *done;
	void *arg;
	struct job *next;
};

struct workers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *todo, *todo_tail; /* FIFO */
	struct job *finished;         /* LIFO, drained on the loop */
	pthread_t *threads;
	unsigned nthreads;
	unsigned pending;
	bool stop;
	struct event *ev; /* activated when finished is not empty */
};

static void *
worker_main(void *arg)
{
	struct workers *w = arg;
	struct job *j;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->todo == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->todo == NULL)
			break;
		j = w->todo;
		w->todo = j->next;
		if (w->todo == NULL)
			w->todo_tail = NULL;
		pthread_mutex_unlock(&w->mu);
		j->work(j->arg);
		pthread_mutex_lock(&w->mu);
		j->next = w->finished;
		w->finished = j;
		event_active(w->ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* On the loop: run the done callbacks of finished jobs. */
static void
finished_cb(evutil_socket_t fd, short what, void *arg)
{
	struct workers *w = arg;
	struct job *list, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->mu);
	list = w->finished;
	w->finished = NULL;
	pthread_mutex_unlock(&w->mu);
	for (; list != NULL; list = next) {
		next = list->next;
		pthread_mutex_lock(&w->mu);
		w->pending--;
		pthread_mutex_unlock(&w->mu);
		if (list->done != NULL)
			list->done(list->arg);
		free(list);
	}
}

struct workers *
workers_new(struct event_base *base, unsigned nthreads)
{
	struct workers *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->ev = event_new(base, -1, 0, finished_cb, w);
	if (w->ev == NULL)
		die(1, "event_new failed");
	w->threads = xcalloc(nthreads, sizeof(*w->threads));
	for (; w->nthreads < nthreads; w->nthreads++)
		if (pthread_create(&w->threads[w->nthreads], NULL, worker_main,
		        w) != 0)
			die(1, "cannot start a worker thread");
	return w;
}

void
workers_submit(struct workers *w, worker_fn *work, worker_fn *done, void *arg)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w->mu);
	if (w->todo_tail != NULL)
		w->todo_tail->next = j;
	else
		w->todo = j;
	w->todo_tail = j;
	w->pending++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

unsigned
workers_pending(const struct workers *w)
{
	return w->pending;
}

void
workers_free(struct workers *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	finished_cb(-1, 0, w); /* the callers free what their jobs hold */
	event_free(w->ev);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->threads);
	free(w);
}

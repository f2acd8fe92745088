#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "common/util.h"
#include "relayd/delivery.h"
#include "relayd/delivery_int.h"
#include "relayd/dkim_sign.h"
#include "relayd/metrics.h"
#include "relayd/server.h"
#include "relayd/worker.h"

#define IDLE_MAX_SECONDS 10 /* an idle connection kept for reuse */
#define GATE_RECHECK 60     /* a gated message looks again after this */
#define DEST_MAX 20         /* sessions at once to one destination */

struct sched {
	char id[QUEUE_ID_LEN + 1];
	int64_t due;
	int64_t created; /* 0 until the envelope was read */
	bool busy;
	bool seen; /* found by the last directory scan */
};

struct idle {
	char key[700]; /* destination key and address */
	struct client *c;
	int64_t since;
};

struct tls_ctx {
	char *cert, *key; /* NULL: the default context */
	SSL_CTX *ctx;
};

struct delivery {
	struct server *srv;
	struct event_base *base;
	struct workers *workers;
	struct event *tick, *kick_ev;
	struct sched *s;
	size_t ns, caps;
	size_t active; /* SMTP sessions in flight */
	size_t loading;
	struct idle *idle;
	size_t nidle;
	struct tls_ctx *tls;
	size_t ntls;
	bool rescan;
	bool stopping;
	unsigned ticks;
	struct attempt **live; /* attempts in flight, to cut them at stop */
	size_t nlive, caplive;
	struct group *
	    *waiting; /* groups held back by the per-destination cap */
	size_t nwaiting, capwaiting;
	bool (*gate)(void *, const char *);
	void *gate_arg;
};

static void schedule(struct delivery *d);

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static struct sched *
sched_find(struct delivery *d, const char *id)
{
	for (size_t i = 0; i < d->ns; i++)
		if (strcmp(d->s[i].id, id) == 0)
			return &d->s[i];
	return NULL;
}

static struct sched *
sched_add(struct delivery *d, const char *id, int64_t due)
{
	struct sched *s = sched_find(d, id);

	if (s != NULL) {
		if (due < s->due)
			s->due = due;
		return s;
	}
	d->s = xreallocarray(d->s, &d->caps, d->ns + 1, sizeof(*d->s));
	s = &d->s[d->ns++];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->due = due;
	return s;
}

static void
sched_remove(struct delivery *d, const char *id)
{
	struct sched *s = sched_find(d, id);

	if (s != NULL)
		*s = d->s[--d->ns];
}

/* Every ID.env in the queue is a message; forget those no longer there. */
static void
scan_queue(struct delivery *d)
{
	const char *path = d->srv->snap->cfg->relay.queue.path;
	DIR *dir = opendir(path);
	struct dirent *de;

	if (dir == NULL) {
		log_error_errno("event=delivery-scan path=%s", path);
		return;
	}
	for (size_t i = 0; i < d->ns; i++)
		d->s[i].seen = d->s[i].busy;
	while ((de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name);
		char id[QUEUE_ID_LEN + 1];

		if (n != QUEUE_ID_LEN + 4 ||
		    strcmp(de->d_name + QUEUE_ID_LEN, ".env") != 0)
			continue;
		memcpy(id, de->d_name, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		if (queue_id_is_valid(id))
			sched_add(d, id, 0)->seen = true;
	}
	closedir(dir);
	for (size_t i = 0; i < d->ns;)
		if (!d->s[i].seen)
			d->s[i] = d->s[--d->ns];
		else
			i++;
}

static SSL_CTX *
tls_ctx_for(struct delivery *d, const struct route_cfg *r)
{
	const char *cert = r != NULL ? r->client_certificate : NULL;
	const char *key = r != NULL ? r->client_key : NULL;
	const char *ca = d->srv->snap->cfg->relay.delivery.ca_file;
	struct tls_ctx *t;

	for (size_t i = 0; i < d->ntls; i++) {
		t = &d->tls[i];
		if ((t->cert == NULL) == (cert == NULL) &&
		    (cert == NULL || (strcmp(t->cert, cert) == 0 &&
		                         strcmp(t->key, key) == 0)))
			return t->ctx;
	}
	d->tls = xrealloc(d->tls, (d->ntls + 1) * sizeof(*d->tls));
	t = &d->tls[d->ntls++];
	memset(t, 0, sizeof(*t));
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL || SSL_CTX_dane_enable(t->ctx) <= 0)
		die(1, "SSL_CTX_new failed");
	/* RFC 7672 3.1.1: a DANE-EE match authenticates the key alone, with
	 * no name check (OpenSSL skips the expiry check for it). */
	SSL_CTX_dane_set_flags(t->ctx, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	if (ca == NULL)
		SSL_CTX_set_default_verify_paths(t->ctx);
	else if (SSL_CTX_load_verify_locations(t->ctx, ca, NULL) != 1)
		log_error("event=tls-ca file=%s result=failed", ca);
	if (cert != NULL) {
		t->cert = xstrdup(cert);
		t->key = xstrdup(key);
		if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(t->ctx, key,
		        SSL_FILETYPE_PEM) != 1)
			log_error("event=tls-client-cert cert=%s key=%s "
			          "result=failed",
			    cert, key);
	}
	return t->ctx;
}

static enum client_tls
client_tls_of(enum tls_policy p)
{
	switch (p) {
	case TLS_POLICY_REQUIRED:
		return CLIENT_TLS_REQUIRED;
	case TLS_POLICY_NONE:
		return CLIENT_TLS_NEVER;
	default: /* dane: per host, see group_client_tls() */
		return CLIENT_TLS_OPPORTUNISTIC;
	}
}

/* The client's TLS mode for the group's current target. */
static enum client_tls
group_client_tls(const struct group *g, const struct dane_host **dane)
{
	const struct dane_host *h =
	    dane_dest_host(&g->dane, g->mx.t[g->target].name);

	*dane = NULL;
	if (g->plain_retry)
		return CLIENT_TLS_NEVER;
	if (g->sts_enforce)
		return CLIENT_TLS_VERIFY;
	if (h != NULL && h->verdict == DANE_AUTH) {
		*dane = h;
		return CLIENT_TLS_DANE;
	}
	if (h != NULL && h->verdict == DANE_TLS_ONLY)
		return CLIENT_TLS_REQUIRED;
	return client_tls_of(g->dest.tls);
}

static struct client *
idle_take(struct delivery *d, const char *key)
{
	for (size_t i = 0; i < d->nidle; i++) {
		if (strcmp(d->idle[i].key, key) == 0) {
			struct client *c = d->idle[i].c;

			d->idle[i] = d->idle[--d->nidle];
			return c;
		}
	}
	return NULL;
}

static void
idle_put(struct delivery *d, const char *key, struct client *c)
{
	if (d->stopping || d->nidle >= 64) {
		client_quit(c);
		return;
	}
	d->idle = xrealloc(d->idle, (d->nidle + 1) * sizeof(*d->idle));
	snprintf(d->idle[d->nidle].key, sizeof(d->idle[d->nidle].key), "%s",
	    key);
	d->idle[d->nidle].c = c;
	d->idle[d->nidle].since = now_s();
	d->nidle++;
}

static void group_try(struct group *g);
static void group_sent(struct client *c, void *arg);
static void group_done(struct group *g);

/* A reused connection must match in address, TLS policy and client
 * certificate, not only in destination. */
static void
target_key(const struct group *g, char *dst, size_t len)
{
	const struct route_cfg *r = g->dest.route;

	const struct dane_host *h =
	    dane_dest_host(&g->dane, g->mx.t[g->target].name);

	snprintf(dst, len, "%s|%s|%d|%d|%d|%s", g->key, g->mx.t[g->target].ip,
	    g->plain_retry, (int)g->dest.tls, h != NULL ? (int)h->verdict : -1,
	    r != NULL && r->client_certificate != NULL ? r->client_certificate
	                                               : "-");
}

/* Send the group's message to its current target. */
static void
group_try(struct group *g)
{
	struct delivery *d = g->a->d;
	const struct mx_target *t = &g->mx.t[g->target];
	const struct config *cfg = g->a->snap->cfg;
	struct client_params p;
	char key[700];

	target_key(g, key, sizeof(key));
	snprintf(g->mx_used, sizeof(g->mx_used), "%s[%s]", t->name, t->ip);
	for (size_t k = 0; k < g->nrcpts; k++)
		g->crcpt[k].code = 0;
	g->client = idle_take(d, key);
	if (g->client == NULL) {
		memset(&p, 0, sizeof(p));
		p.base = d->base;
		p.addr = t->addr;
		p.addrlen = t->addrlen;
		p.helo = cfg->relay.hostname;
		p.peer_name = t->name;
		p.tls = group_client_tls(g, &p.dane);
		p.next_hop = g->dest.mx ? g->domain : NULL;
		p.ssl_ctx = tls_ctx_for(d, g->dest.route);
		p.connect_timeout =
		    (unsigned)cfg->relay.delivery.connect_timeout;
		p.command_timeout = 300;
		p.data_timeout = 600;
		g->client = client_new(&p, group_sent, g);
	} else {
		client_set_callback(g->client, group_sent, g);
	}
	client_send(g->client, &g->msg, &g->res);
}

/* Copy the client's per-recipient answers into the group's results. */
static void
group_record(struct group *g)
{
	for (size_t k = 0; k < g->nrcpts; k++) {
		const struct client_rcpt *cr = &g->crcpt[k];
		int code = cr->code != 0 ? cr->code : g->res.code;
		const char *reply = cr->code != 0 ? cr->reply : g->res.reply;

		g->code[k] = code;
		free(g->reply[k]);
		/* Our own reasons ("4.4.2 timeout...") get their code too. */
		if (reply[0] >= '2' && reply[0] <= '5' && reply[1] >= '0' &&
		    reply[1] <= '9' && reply[3] == ' ')
			g->reply[k] = xstrdup(reply);
		else
			g->reply[k] = xasprintf("%d %s", code, reply);
		/* What DANE found goes with a deferral (postern queue show). */
		if (code / 100 != 2 && g->dane.note[0] != '\0' &&
		    strstr(g->reply[k], g->dane.note) == NULL) {
			char *r =
			    xasprintf("%s (%s)", g->reply[k], g->dane.note);

			free(g->reply[k]);
			g->reply[k] = r;
		}
		reply = g->reply[k];
		metrics_count(g->a->d->srv->metrics,
		    code / 100 == 2   ? M_DELIVERED
		    : code / 100 == 5 ? M_BOUNCED
		                      : M_DEFERRED);
		if (code / 100 == 2)
			metrics_latency(g->a->d->srv->metrics,
			    (double)(now_s() - g->a->env.created));
		log_info("event=delivery qid=%s rcpt=%s mx=%s tls=\"%s\" "
		         "status=%s reply=\"%s\"",
		    g->a->id, g->msg.rcpts[k].addr, g->mx_used, g->res.tls,
		    code / 100 == 2   ? "sent"
		    : code / 100 == 5 ? "bounced"
		                      : "deferred",
		    reply);
	}
}

static void
group_sent(struct client *c, void *arg)
{
	struct group *g = arg;
	struct delivery *d = g->a->d;
	char key[700];

	target_key(g, key, sizeof(key));
	g->client = NULL;
	if (g->res.retry_plain && !g->plain_retry && !g->sts_enforce) {
		log_warn("event=tls-fallback qid=%s mx=%s reason=\"%s\" "
		         "note=\"retrying once without TLS\"",
		    g->a->id, g->mx_used, g->res.reply);
		client_free(c);
		g->plain_retry = true;
		group_try(g);
		return;
	}
	if (g->res.code != 0 && g->target + 1 < g->mx.n) {
		log_info("event=delivery-try qid=%s mx=%s result=\"%s\" "
		         "note=\"trying the next host\"",
		    g->a->id, g->mx_used, g->res.reply);
		client_free(c);
		g->target++;
		g->plain_retry = false;
		group_try(g);
		return;
	}
	group_record(g);
	if (g->res.code == 0)
		metrics_count(d->srv->metrics,
		    strcmp(g->res.tls, "none") != 0 ? M_TLS_OUT : M_PLAIN_OUT);
	if (g->res.code == 0 && g->res.reusable)
		idle_put(d, key, c);
	else
		client_free(c);
	group_done(g);
}

static void finalize_work(void *arg);
static void finalize_done(void *arg);

/* Sessions in flight to the destination key (a small linear count). */
static size_t
dest_active(const struct delivery *d, const char *key)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nlive; i++) {
		const struct attempt *a = d->live[i];

		for (size_t g = 0; g < a->ngroups; g++)
			n += a->groups[g].client != NULL &&
			     strcmp(a->groups[g].key, key) == 0;
	}
	return n;
}

/*
 * Every recipient of the message now delivered (or final before this
 * attempt): unlink its envelope at once (queue_forget()), so that a crash
 * between the destination's 250 and the worker's clean-up cannot send it
 * again after the restart.
 */
static void
forget_if_delivered(struct attempt *a)
{
	bool *done = xcalloc(a->env.nrcpt + 1, sizeof(*done));
	bool all = true;
	struct err e;

	for (size_t i = 0; i < a->env.nrcpt; i++)
		done[i] = a->env.rcpt[i].state != QUEUE_RCPT_PENDING;
	for (size_t g = 0; g < a->ngroups; g++) {
		const struct group *gr = &a->groups[g];

		for (size_t k = 0; gr->code != NULL && k < gr->nrcpts; k++)
			if (gr->code[k] / 100 == 2 &&
			    gr->rcpts[k] < a->env.nrcpt)
				done[gr->rcpts[k]] = true;
	}
	for (size_t i = 0; i < a->env.nrcpt; i++)
		all = all && done[i];
	free(done);
	if (!all)
		return;
	if (queue_forget(a->snap->cfg->relay.queue.path, a->id, &e) == 0)
		a->forgotten = true;
	else
		log_error("event=queue-remove id=%s error=\"%s\"", a->id,
		    e.msg);
}

static void
group_done(struct group *g)
{
	struct attempt *a = g->a;
	struct delivery *d = a->d;
	char key[300];

	snprintf(key, sizeof(key), "%s", g->key);
	d->active--;
	/* A place to that destination is free: start a waiting group. */
	for (size_t i = 0; i < d->nwaiting; i++) {
		if (strcmp(d->waiting[i]->key, key) == 0) {
			struct group *w = d->waiting[i];

			memmove(&d->waiting[i], &d->waiting[i + 1],
			    (d->nwaiting - i - 1) * sizeof(*d->waiting));
			d->nwaiting--;
			d->active++;
			group_try(w);
			break;
		}
	}
	if (--a->open > 0)
		return;
	forget_if_delivered(a);
	workers_submit(d->workers, finalize_work, finalize_done, a);
}

/* Prepare group g (its recipients as the client wants them) and start it,
 * or record the resolution's failure for all of them. */
static void
group_start(struct group *g)
{
	struct attempt *a = g->a;

	g->crcpt = xcalloc(g->nrcpts + 1, sizeof(*g->crcpt));
	g->code = xcalloc(g->nrcpts + 1, sizeof(*g->code));
	g->reply = xcalloc(g->nrcpts + 1, sizeof(*g->reply));
	for (size_t k = 0; k < g->nrcpts; k++)
		g->crcpt[k].addr = a->env.rcpt[g->rcpts[k]].addr;
	g->msg = (struct client_msg){ a->env.from, g->crcpt, g->nrcpts, a->data,
		a->len, a->eightbit, a->smtputf8 };
	if (g->mx.code == 0 && dest_active(a->d, g->key) >= DEST_MAX) {
		/* Over the per-destination cap: wait for a place. */
		a->d->waiting = xreallocarray(a->d->waiting, &a->d->capwaiting,
		    a->d->nwaiting + 1, sizeof(*a->d->waiting));
		a->d->waiting[a->d->nwaiting++] = g;
		return;
	}
	a->d->active++;
	if (g->mx.code != 0) {
		g->res.code = g->mx.code;
		snprintf(g->res.reply, sizeof(g->res.reply), "%s", g->mx.reply);
		snprintf(g->res.tls, sizeof(g->res.tls), "none");
		snprintf(g->mx_used, sizeof(g->mx_used), "none");
		group_record(g);
		group_done(g);
		return;
	}
	group_try(g);
}

static void
attempt_end(struct attempt *a)
{
	struct delivery *d = a->d;
	struct sched *s = sched_find(d, a->id);

	for (size_t i = 0; i < d->nlive; i++)
		if (d->live[i] == a)
			d->live[i] = d->live[--d->nlive];
	if (s != NULL) {
		s->busy = false;
		if (a->env.created > 0)
			s->created = a->env.created;
		if (a->removed || a->gone)
			sched_remove(d, a->id);
		else
			s->due = a->next_due;
	}
	snapshot_unref(a->snap);
	attempt_free(a);
	if (!d->stopping)
		event_active(d->kick_ev, EV_TIMEOUT, 0);
}

static void
finalize_work(void *arg)
{
	struct attempt *a = arg;

	attempt_finalize(a, a->snap->cfg);
}

/* Queue the DSN the attempt made, DKIM-signed when the relay's domain has
 * a key (DESIGN.md: bounces are signed). */
static void
submit_dsn(struct attempt *a)
{
	const struct config *cfg = a->snap->cfg;
	const char *host = cfg->relay.hostname;
	struct buf sig;
	struct err e;
	char *msg;

	buf_init(&sig, 0);
	for (size_t i = 0; i < cfg->ndomains; i++) {
		const char *dom = cfg->domains[i].name;
		size_t hl = strlen(host), dl = strlen(dom);

		if (strcmp(host, dom) != 0 &&
		    !(hl > dl && host[hl - dl - 1] == '.' &&
		        strcmp(host + hl - dl, dom) == 0))
			continue;
		if (dkim_signer_sign(a->snap->dkim, dom, a->dsn, a->dsn_len,
		        a->dsn_env.id, &sig, &e) == -1)
			log_warn("event=dsn-sign qid=%s error=\"%s\"",
			    a->dsn_env.id, e.msg);
		break;
	}
	msg = xmalloc(sig.len + a->dsn_len + 1);
	if (sig.len > 0)
		memcpy(msg, sig.data, sig.len);
	memcpy(msg + sig.len, a->dsn, a->dsn_len);
	a->dsn_env.size = sig.len + a->dsn_len;
	log_info("event=dsn qid=%s orig=%s to=<%s> size=%zu", a->dsn_env.id,
	    a->id, a->dsn_env.rcpt[0].addr, sig.len + a->dsn_len);
	queue_submit(a->d->srv->queue, DELIVERY_TOKEN_BIT, &a->dsn_env, msg,
	    sig.len + a->dsn_len);
	buf_cleanup(&sig);
}

static void
finalize_done(void *arg)
{
	struct attempt *a = arg;

	if (a->dsn != NULL && !a->d->stopping)
		submit_dsn(a);
	if (a->removed && !a->gone)
		log_info("event=removed qid=%s", a->id);
	attempt_end(a);
}

static void
load_work(void *arg)
{
	struct attempt *a = arg;

	attempt_load(a, a->snap->cfg);
}

static const char *
sender_domain(const char *from)
{
	const char *at = strrchr(from, '@');

	return at != NULL ? at + 1 : NULL;
}

static void
load_done(void *arg)
{
	struct attempt *a = arg;
	struct delivery *d = a->d;
	const char *dom;

	d->loading--;
	if (d->stopping || a->skip || a->gone || a->error[0] != '\0') {
		if (a->error[0] != '\0' && !a->gone)
			log_error("event=delivery-load qid=%s error=\"%s\"",
			    a->id, a->error);
		a->next_due = a->skip ? attempt_env_due(&a->env) : now_s() + 60;
		attempt_end(a);
		return;
	}
	dom = sender_domain(a->env.from);
	if (dom != NULL && d->gate != NULL && !d->gate(d->gate_arg, dom)) {
		log_info("event=gate qid=%s domain=%s decision=hold", a->id,
		    dom);
		metrics_held(d->srv->metrics, dom);
		int64_t expires =
		    a->env.created + (int64_t)a->snap->cfg->relay.queue.max_age;

		if (a->now < expires) {
			/* Look again soon, and no later than its expiry. */
			a->next_due = now_s() + GATE_RECHECK < expires
			                  ? now_s() + GATE_RECHECK
			                  : expires;
			attempt_end(a);
			return;
		}
		/* Held past relay.queue.max_age: finalize bounces it. */
		attempt_drop_groups(a);
	}
	a->open = a->ngroups;
	if (a->ngroups == 0) {
		workers_submit(d->workers, finalize_work, finalize_done, a);
		return;
	}
	for (size_t i = 0; i < a->ngroups; i++)
		group_start(&a->groups[i]);
}

static void
start_attempt(struct delivery *d, struct sched *s)
{
	struct attempt *a = xcalloc(1, sizeof(*a));

	s->busy = true;
	a->d = d;
	a->snap = snapshot_ref(d->srv->snap);
	a->now = now_s();
	a->next_due = INT64_MAX;
	snprintf(a->id, sizeof(a->id), "%s", s->id);
	d->live =
	    xreallocarray(d->live, &d->caplive, d->nlive + 1, sizeof(*d->live));
	d->live[d->nlive++] = a;
	d->loading++;
	workers_submit(d->workers, load_work, load_done, a);
}

/* Start every due message while there is room. */
static void
schedule(struct delivery *d)
{
	const struct config *cfg = d->srv->snap->cfg;
	size_t limit = (size_t)cfg->relay.delivery.concurrency;
	int64_t now = now_s();

	if (d->stopping)
		return;
	if (d->rescan) {
		d->rescan = false;
		scan_queue(d);
	}
	for (size_t i = 0; i < d->ns && d->active + d->loading < limit; i++)
		if (!d->s[i].busy && d->s[i].due <= now)
			start_attempt(d, &d->s[i]);
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	schedule(arg);
}

/* Once a second: close idle connections past their time, schedule. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct delivery *d = arg;
	int64_t now = now_s();

	(void)fd;
	(void)what;
	for (size_t i = 0; i < d->nidle;) {
		if (now - d->idle[i].since >= IDLE_MAX_SECONDS) {
			client_quit(d->idle[i].c);
			d->idle[i] = d->idle[--d->nidle];
		} else {
			i++;
		}
	}
	if (++d->ticks % 30 == 0)
		d->rescan = true; /* pick up what changed on disk */
	schedule(d);
}

struct delivery *
delivery_new(struct server *srv, struct err *e)
{
	struct delivery *d = xcalloc(1, sizeof(*d));
	struct timeval one = { 1, 0 };

	(void)e;
	d->srv = srv;
	d->base = srv->base;
	d->workers = workers_new(d->base, 4);
	d->tick = event_new(d->base, -1, EV_PERSIST, tick_cb, d);
	d->kick_ev = event_new(d->base, -1, 0, kick_cb, d);
	if (d->tick == NULL || d->kick_ev == NULL)
		die(1, "event_new failed");
	event_add(d->tick, &one);
	d->rescan = true;
	event_active(d->kick_ev, EV_TIMEOUT, 0);
	return d;
}

void
delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	d->stopping = true;
	for (size_t i = 0; i < d->nidle; i++)
		client_free(d->idle[i].c);
	d->nidle = 0;
	workers_free(d->workers); /* runs the pending done callbacks */
	/* What is left is on the wire: cut it; its recipients stay pending. */
	for (size_t i = 0; i < d->nlive; i++) {
		struct attempt *a = d->live[i];

		for (size_t g = 0; g < a->ngroups; g++)
			client_free(a->groups[g].client);
		snapshot_unref(a->snap);
		attempt_free(a);
	}
	free(d->live);
	free(d->waiting);
	event_free(d->tick);
	event_free(d->kick_ev);
	for (size_t i = 0; i < d->ntls; i++) {
		SSL_CTX_free(d->tls[i].ctx);
		free(d->tls[i].cert);
		free(d->tls[i].key);
	}
	free(d->tls);
	free(d->idle);
	free(d->s);
	free(d);
}

void
delivery_notify(struct delivery *d, const char *id)
{
	if (d == NULL)
		return;
	sched_add(d, id, 0);
	event_active(d->kick_ev, EV_TIMEOUT, 0);
}

void
delivery_kick(struct delivery *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->ns; i++)
		if (!d->s[i].busy)
			d->s[i].due =
			    0; /* loading re-reads the real schedule */
	d->rescan = true;
	event_active(d->kick_ev, EV_TIMEOUT, 0);
}

void
delivery_queued(struct delivery *d, const char *id, bool ok)
{
	if (!ok) {
		log_error("event=dsn id=%s result=failed note=\"not queued\"",
		    id);
		return;
	}
	delivery_notify(d, id);
}

void
delivery_stats(const struct delivery *d, size_t *queued, int64_t *oldest)
{
	*queued = d != NULL ? d->ns : 0;
	*oldest = 0;
	for (size_t i = 0; d != NULL && i < d->ns; i++)
		if (d->s[i].created > 0 &&
		    (*oldest == 0 || d->s[i].created < *oldest))
			*oldest = d->s[i].created;
}

void
delivery_set_gate(struct delivery *d,
    bool (*ready)(void *arg, const char *domain), void *arg)
{
	d->gate = ready;
	d->gate_arg = arg;
}

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"
#include "common/util.h"
#include "relayd/auth.h"
#include "relayd/conn.h"
#include "relayd/control.h"
#include "relayd/daemon.h"
#include "relayd/dkim_sign.h"
#include "relayd/queue.h"
#include "relayd/delivery.h"
#include "relayd/gate.h"
#include "relayd/metrics.h"
#include "relayd/server.h"
#include "relayd/tls.h"
#include "relayd/worker.h"

#define SERVER_DRAIN_MAX 60 /* seconds SIGTERM waits for transactions */

struct snapshot *
snapshot_ref(struct snapshot *s)
{
	s->refs++;
	return s;
}

void
snapshot_unref(struct snapshot *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	dkim_signer_free(s->dkim);
	SSL_CTX_free(s->ssl);
	config_free(s->cfg);
	free(s);
}

/* A snapshot of cfg (taken over) with its TLS context and keys. */
static struct snapshot *
snapshot_new(struct config *cfg, struct err *e)
{
	struct snapshot *s;
	SSL_CTX *ssl = tls_server_ctx_new(cfg, e);

	if (ssl == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->refs = 1;
	s->cfg = cfg;
	s->ssl = ssl;
	s->dkim = dkim_signer_new(cfg);
	return s;
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct listener *lst = arg;

	(void)l;
	(void)salen;
	conn_new(lst->srv, lst, fd, sa);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct listener *lst = arg;

	(void)l;
	log_error_errno("event=accept listener=%s result=failed", lst->name);
}

/* Bind one relay.listen entry. */
static int
bind_listener(struct server *srv, const struct listen_cfg *lc,
    struct listener *lst, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	char port[8];
	struct evutil_addrinfo hints = { 0 }, *ai = NULL;

	lst->srv = srv;
	lst->tls = lc->tls;
	lst->auth = lc->auth;
	hostport_format(&lc->addr, lst->name, sizeof(lst->name));
	snprintf(port, sizeof(port), "%u", lc->addr.port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICHOST;
	if (evutil_getaddrinfo(lc->addr.host, port, &hints, &ai) != 0 ||
	    ai == NULL)
		return err_set(e, "relay.listen: \"%s\": not an IP address",
		    lc->address);
	slen = (socklen_t)ai->ai_addrlen;
	memcpy(&ss, ai->ai_addr, slen);
	evutil_freeaddrinfo(ai);
	lst->l = evconnlistener_new_bind(srv->base, accept_cb, lst,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC |
	        (ss.ss_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0),
	    1024, (struct sockaddr *)&ss, (int)slen);
	if (lst->l == NULL)
		return err_set(e, "relay.listen: cannot listen on %s: %s",
		    lst->name, strerror(errno));
	evconnlistener_set_error_cb(lst->l, accept_error_cb);
	log_info("event=listen address=%s tls=%s auth=%s", lst->name,
	    lc->tls == LISTEN_TLS_NONE       ? "none"
	    : lc->tls == LISTEN_TLS_STARTTLS ? "starttls"
	                                     : "implicit",
	    lc->auth == LISTEN_AUTH_REQUIRED   ? "required"
	    : lc->auth == LISTEN_AUTH_OPTIONAL ? "optional"
	                                       : "none");
	return 0;
}

static void
queue_done(uint64_t token, const char *id, bool ok, void *arg)
{
	struct server *srv = arg;
	struct conn *c;

	if (token & DELIVERY_TOKEN_BIT) {
		delivery_queued(srv->delivery, id, ok);
		return;
	}
	if (ok)
		delivery_notify(srv->delivery, id);
	c = conn_find(srv, token);
	if (c != NULL)
		conn_queued(c, id, ok);
	else if (ok)
		log_info("event=queued id=%s result=ok note=\"client gone\"",
		    id);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = { SERVER_DRAIN_MAX, 0 };

	(void)what;
	if (sig == SIGHUP) {
		server_reload(srv);
		return;
	}
	if (srv->draining)
		return;
	log_info("event=stop signal=%s connections=%zu",
	    sig == SIGTERM ? "TERM" : "INT", srv->nconns);
	srv->draining = true;
	for (size_t i = 0; i < srv->nlisteners; i++) {
		evconnlistener_free(srv->listeners[i].l); /* refuse at once */
		srv->listeners[i].l = NULL;
	}
	conn_drain_all(srv);
	evtimer_add(srv->drain_timer, &tv);
	if (srv->nconns == 0)
		event_base_loopexit(srv->base, NULL);
}

static void
drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	log_warn("event=stop result=timeout connections=%zu", srv->nconns);
	event_base_loopexit(srv->base, NULL);
}

void
server_conn_gone(struct server *srv)
{
	srv->nconns--;
	if (srv->draining && srv->nconns == 0)
		event_base_loopexit(srv->base, NULL);
}

void
server_reload(struct server *srv)
{
	struct config *cfg;
	struct snapshot *snap;
	struct buf errors;
	struct err e;

	buf_init(&errors, 1024 * 1024);
	if (config_load(srv->config_path, &cfg, &errors) == -1) {
		log_error("event=reload result=failed config=%s error=\"%s\"",
		    srv->config_path,
		    errors.data != NULL ? errors.data : "unknown");
		buf_cleanup(&errors);
		return;
	}
	buf_cleanup(&errors);
	snap = snapshot_new(cfg, &e);
	if (snap == NULL) {
		log_error("event=reload result=failed error=\"%s\"", e.msg);
		config_free(cfg);
		return;
	}
	if (strcmp(cfg->relay.queue.path, srv->queue_path) != 0 ||
	    cfg->relay.nlisten != srv->nlisteners)
		log_warn("event=reload note=\"relay.listen and relay.queue "
		         "take effect at restart\"");
	snapshot_unref(srv->snap);
	srv->snap = snap;
	log_info("event=reload result=ok config=%s", srv->config_path);
	if (srv->gate != NULL)
		gate_run_now(srv->gate);
}

int
server_init(struct server *srv, struct event_base *base, struct config *cfg,
    const char *config_path, struct err *e)
{
	long n;

	memset(srv, 0, sizeof(*srv));
	TAILQ_INIT(&srv->conns);
	srv->base = base;
	srv->config_path = config_path;
	srv->queue_path = xstrdup(cfg->relay.queue.path);
	n = queue_recover(srv->queue_path, e);
	if (n < 0) {
		config_free(cfg);
		return err_prefix(e, "relay.queue.path");
	}
	log_info("event=queue_recover path=%s messages=%ld", srv->queue_path,
	    n);
	srv->snap = snapshot_new(cfg, e);
	if (srv->snap == NULL) {
		config_free(cfg);
		return -1;
	}
	srv->fails = auth_fails_new();
	srv->listeners = xcalloc(cfg->relay.nlisten, sizeof(*srv->listeners));
	for (size_t i = 0; i < cfg->relay.nlisten; i++) {
		if (bind_listener(srv, &cfg->relay.listen[i],
		        &srv->listeners[i], e) == -1)
			return -1;
		srv->nlisteners++;
	}
	if (cfg->relay.metrics[0] != '\0' &&
	    (srv->metrics = metrics_new(srv, e)) == NULL)
		return -1;
	if (cfg->relay.control[0] != '\0') {
		srv->control = control_new(srv, cfg->relay.control, e);
		if (srv->control == NULL)
			return -1;
	}
	return 0;
}

/* What must start after daemonising: the writer thread and signals. */
static int
server_start(struct server *srv, struct err *e)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	srv->queue = queue_new(srv->base, srv->queue_path, queue_done, srv, e);
	if (srv->queue == NULL)
		return -1;
	srv->auth_workers = workers_new(srv->base, 2);
	if (srv->auth_workers == NULL)
		return err_set(e, "cannot start the password check threads");
	/* One signer per core (RSA signing is CPU-bound), 1 to 8. */
	srv->signers = workers_new(srv->base, ncpu < 1   ? 1
	                                      : ncpu > 8 ? 8
	                                                 : (unsigned)ncpu);
	srv->delivery = delivery_new(srv, e);
	if (srv->delivery == NULL)
		return -1;
	srv->gate = gate_new(srv);
	delivery_set_gate(srv->delivery, gate_ready, srv->gate);
	srv->sig_hup = evsignal_new(srv->base, SIGHUP, signal_cb, srv);
	srv->sig_term = evsignal_new(srv->base, SIGTERM, signal_cb, srv);
	srv->sig_int = evsignal_new(srv->base, SIGINT, signal_cb, srv);
	srv->drain_timer = evtimer_new(srv->base, drain_timeout_cb, srv);
	evsignal_add(srv->sig_hup, NULL);
	evsignal_add(srv->sig_term, NULL);
	evsignal_add(srv->sig_int, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
server_run(struct server *srv)
{
	struct err e;

	if (server_start(srv, &e) == -1) {
		log_error("event=start result=failed error=\"%s\"", e.msg);
		return -1;
	}
	log_info("event=ready hostname=%s listeners=%zu",
	    srv->snap->cfg->relay.hostname, srv->nlisteners);
	daemon_notify_ready();
	event_base_dispatch(srv->base);
	return 0;
}

void
server_cleanup(struct server *srv)
{
	uint64_t batches, messages;

	if (srv->signers != NULL)
		workers_free(
		    srv->signers); /* runs the pending done callbacks */
	conn_free_all(srv);
	if (srv->auth_workers != NULL)
		workers_free(srv->auth_workers);
	gate_free(srv->gate);
	metrics_free(srv->metrics);
	delivery_free(srv->delivery);
	if (srv->queue != NULL) {
		queue_stats(srv->queue, &batches, &messages);
		log_info("event=queue_stats batches=%llu messages=%llu",
		    (unsigned long long)batches, (unsigned long long)messages);
	}
	queue_free(srv->queue);
	control_free(srv->control);
	for (size_t i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].l != NULL)
			evconnlistener_free(srv->listeners[i].l);
	free(srv->listeners);
	if (srv->sig_hup != NULL) {
		event_free(srv->sig_hup);
		event_free(srv->sig_term);
		event_free(srv->sig_int);
		event_free(srv->drain_timer);
	}
	auth_fails_free(srv->fails);
	snapshot_unref(srv->snap);
	free(srv->queue_path);
	memset(srv, 0, sizeof(*srv));
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/log.h"
#include "common/util.h"
#include "dnscheck/report.h"
#include "keys/keys.h"
#include "relayd/delivery.h"
#include "relayd/gate.h"
#include "relayd/metrics.h"
#include "relayd/server.h"
#include "relayd/worker.h"

struct gate_domain {
	char *name;
	bool ready;
	bool known; /* checked at least once */
	char reason[300];
};

struct gate {
	struct server *srv;
	struct workers *worker; /* one thread: runs never overlap */
	struct event *timer;
	bool running;
	struct gate_domain *d;
	size_t n;
};

/* One run's inputs and outputs, carried to the worker and back. */
struct gate_run {
	struct gate *g;
	struct snapshot *snap;
	struct report rep;
	bool ok;
};

static struct gate_domain *
find(struct gate *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (str_ieq(name, strlen(name), g->d[i].name))
			return &g->d[i];
	return NULL;
}

/* The first failing check of a domain, for logs and 451 replies. */
static void
reason_of(const struct domain_report *dr, char *dst, size_t len)
{
	snprintf(dst, len, "%s", dr->ready ? "ready" : "not checked yet");
	for (size_t i = 0; i < dr->n; i++) {
		const struct check_item *it = &dr->items[i];

		if (it->status != CHECK_FAIL && it->status != CHECK_TEMPERROR)
			continue;
		snprintf(dst, len, "%s%s%s: %.200s", report_kind_name(it->kind),
		    it->selector != NULL ? " " : "",
		    it->selector != NULL ? it->selector : "", it->detail);
		return;
	}
}

static void
write_health(const struct config *cfg, const struct report *rep)
{
	json_t *j = report_json(rep);
	char *text = json_dumps(j, JSON_INDENT(2));
	char *path = xasprintf("%s/health.json", cfg->state_dir);
	struct err e;

	if (text != NULL &&
	    (mkdir_p(cfg->state_dir, 0700, &e) == -1 ||
	        file_write_atomic(path, text, strlen(text), 0644, &e) == -1))
		log_warn("event=gate-health path=%s error=\"%s\"", path, e.msg);
	free(text);
	free(path);
	json_decref(j);
}

static void
run_work(void *arg)
{
	struct gate_run *r = arg;
	const struct config *cfg = r->snap->cfg;
	struct resolver_opts ro;
	struct report_opts o;
	struct resolver *res;
	struct err e;

	resolver_opts_from_config(&ro, cfg);
	if ((res = resolver_new(&ro, &e)) == NULL) {
		log_warn("event=gate result=temperror error=\"%s\"", e.msg);
		return;
	}
	o = (struct report_opts){ cfg, res, (uint64_t)time(NULL), NULL,
		keys_local_public_b64, (void *)(uintptr_t)cfg->state_dir };
	r->ok = report_run(&o, &r->rep, &e) == 0;
	resolver_free(res);
	if (r->ok)
		write_health(cfg, &r->rep);
}

/* Fold one domain's fresh report into the gate; true when it became ready. */
static bool
update_domain(struct gate *g, const struct domain_report *dr)
{
	struct gate_domain *gd = find(g, dr->name);
	char why[300];

	if (gd == NULL) {
		g->d = xrealloc(g->d, (g->n + 1) * sizeof(*g->d));
		gd = &g->d[g->n++];
		memset(gd, 0, sizeof(*gd));
		gd->name = xstrdup(dr->name);
	}
	reason_of(dr, why, sizeof(why));
	metrics_domain(g->srv->metrics, dr, (int64_t)time(NULL));
	if (!dr->ready_known) {
		log_info("event=gate domain=%s ready=%s note=\"temporary DNS "
		         "failure: keeping the last state\" reason=\"%s\"",
		    dr->name, gd->ready ? "yes" : "no", why);
		return false;
	}
	snprintf(gd->reason, sizeof(gd->reason), "%s", why);
	if (gd->known && gd->ready == dr->ready)
		return false;
	log_info("event=gate domain=%s ready=%s%s reason=\"%s\"", dr->name,
	    dr->ready ? "yes" : "no", gd->known ? " change=yes" : "", why);
	gd->known = true;
	gd->ready = dr->ready;
	return dr->ready;
}

static void
run_done(void *arg)
{
	struct gate_run *r = arg;
	struct gate *g = r->g;
	bool opened = false;

	g->running = false;
	for (size_t i = 0; r->ok && i < r->rep.n; i++)
		opened |= update_domain(g, &r->rep.domains[i]);
	if (opened)
		delivery_kick(g->srv->delivery); /* release held mail now */
	if (r->ok)
		report_cleanup(&r->rep);
	snapshot_unref(r->snap);
	free(r);
}

void
gate_run_now(struct gate *g)
{
	struct gate_run *r;

	if (g->running)
		return;
	r = xcalloc(1, sizeof(*r));
	r->g = g;
	r->snap = snapshot_ref(g->srv->snap);
	g->running = true;
	workers_submit(g->worker, run_work, run_done, r);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	gate_run_now(arg);
}

struct gate *
gate_new(struct server *srv)
{
	struct gate *g = xcalloc(1, sizeof(*g));
	struct timeval tv = { (time_t)srv->snap->cfg->relay.gate.interval, 0 };

	g->srv = srv;
	g->worker = workers_new(srv->base, 1);
	g->timer = event_new(srv->base, -1, EV_PERSIST, timer_cb, g);
	if (g->timer == NULL)
		die(1, "event_new failed");
	if (srv->snap->cfg->relay.gate.mode != GATE_OFF) {
		event_add(g->timer, &tv);
		gate_run_now(g);
	}
	return g;
}

void
gate_free(struct gate *g)
{
	if (g == NULL)
		return;
	workers_free(g->worker);
	event_free(g->timer);
	for (size_t i = 0; i < g->n; i++)
		free(g->d[i].name);
	free(g->d);
	free(g);
}

bool
gate_ready(void *arg, const char *domain)
{
	struct gate *g = arg;
	const struct gate_domain *gd;

	if (g->srv->snap->cfg->relay.gate.mode == GATE_OFF)
		return true;
	gd = find(g, domain);
	return gd != NULL && gd->known && gd->ready;
}

bool
gate_accepts(struct gate *g, const char *domain, char *why, size_t len)
{
	const struct gate_domain *gd;

	if (g == NULL || g->srv->snap->cfg->relay.gate.mode != GATE_DEFER ||
	    gate_ready(g, domain))
		return true;
	gd = find(g, domain);
	snprintf(why, len,
	    "451 4.7.0 %s is not ready to send through this relay: %s", domain,
	    gd == NULL ? (config_domain(g->srv->snap->cfg, domain) != NULL
	                         ? "its DNS has not been checked yet"
	                         : "it is not a configured domain")
	               : gd->reason);
	return false;
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "dnscheck/report.h"
#include "relayd/delivery.h"
#include "relayd/metrics.h"
#include "relayd/server.h"

static const double lat_bounds[] = { 0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600,
	14400 };
#define NLAT (sizeof(lat_bounds) / sizeof(lat_bounds[0]))
#define NCHECKS 6

static const struct {
	const char *name, *help, *type;
} counters[M_NCOUNTERS] = {
	[M_RECEIVED] = { "postern_messages_received_total",
	    "Messages accepted for delivery", "counter" },
	[M_DELIVERED] = { "postern_recipients_delivered_total",
	    "Recipients delivered (2xx from the destination)", "counter" },
	[M_DEFERRED] = { "postern_recipients_deferred_total",
	    "Recipient attempts deferred (4xx, no connection, TLS policy)",
	    "counter" },
	[M_BOUNCED] = { "postern_recipients_bounced_total",
	    "Recipients bounced (5xx or expired)", "counter" },
	[M_AUTH_FAILURES] = { "postern_auth_failures_total",
	    "Failed SMTP AUTH attempts", "counter" },
	[M_TLS_OUT] = { "postern_outbound_sessions_tls_total",
	    "Outbound SMTP sessions that used TLS", "counter" },
	[M_PLAIN_OUT] = { "postern_outbound_sessions_plain_total",
	    "Outbound SMTP sessions without TLS", "counter" },
};

struct held {
	char domain[256];
	uint64_t n;
};

struct mdomain {
	char name[256];
	bool ready;
	int status[NCHECKS]; /* worst enum check_status per kind; -1: none */
	int64_t checked;
};

struct metrics {
	struct server *srv;
	struct evhttp *http;
	uint64_t c[M_NCOUNTERS];
	uint64_t lat[NLAT + 1];
	double lat_sum;
	struct held *held;
	size_t nheld;
	struct mdomain *dom;
	size_t ndom;
};

void
metrics_count(struct metrics *m, enum metric_counter c)
{
	if (m != NULL)
		m->c[c]++;
}

void
metrics_latency(struct metrics *m, double seconds)
{
	size_t i = 0;

	if (m == NULL)
		return;
	while (i < NLAT && seconds > lat_bounds[i])
		i++;
	m->lat[i]++;
	m->lat_sum += seconds;
}

void
metrics_held(struct metrics *m, const char *domain)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nheld; i++)
		if (strcmp(m->held[i].domain, domain) == 0) {
			m->held[i].n++;
			return;
		}
	if (m->nheld >= 1000)
		return; /* bounded: held mail is from configured domains */
	m->held = xrealloc(m->held, (m->nheld + 1) * sizeof(*m->held));
	snprintf(m->held[m->nheld].domain, sizeof(m->held[0].domain), "%s",
	    domain);
	m->held[m->nheld++].n = 1;
}

void
metrics_domain(struct metrics *m, const struct domain_report *d, int64_t now)
{
	struct mdomain *md = NULL;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->ndom && md == NULL; i++)
		if (strcmp(m->dom[i].name, d->name) == 0)
			md = &m->dom[i];
	if (md == NULL) {
		m->dom = xrealloc(m->dom, (m->ndom + 1) * sizeof(*m->dom));
		md = &m->dom[m->ndom++];
		snprintf(md->name, sizeof(md->name), "%s", d->name);
	}
	md->ready = d->ready;
	md->checked = now;
	for (size_t k = 0; k < NCHECKS; k++)
		md->status[k] = -1;
	for (size_t i = 0; i < d->n; i++) {
		int *s = &md->status[d->items[i].kind];

		if ((int)d->items[i].status > *s)
			*s = (int)d->items[i].status;
	}
}

static int
format_counters(struct metrics *m, struct buf *b)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < M_NCOUNTERS; i++)
		rc = buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
		    counters[i].name, counters[i].help, counters[i].name,
		    counters[i].type, counters[i].name,
		    (unsigned long long)m->c[i]);
	if (rc == 0)
		rc = buf_printf(b,
		    "# HELP postern_held_total Messages held by the gate, by "
		    "sender domain\n# TYPE postern_held_total counter\n");
	for (size_t i = 0; rc == 0 && i < m->nheld; i++)
		rc = buf_printf(b, "postern_held_total{domain=\"%s\"} %llu\n",
		    m->held[i].domain, (unsigned long long)m->held[i].n);
	return rc;
}

static int
format_latency(struct metrics *m, struct buf *b)
{
	uint64_t cum = 0;
	int rc = buf_printf(b,
	    "# HELP postern_delivery_latency_seconds From acceptance to "
	    "delivery, per recipient\n# TYPE postern_delivery_latency_seconds "
	    "histogram\n");

	for (size_t i = 0; rc == 0 && i <= NLAT; i++) {
		cum += m->lat[i];
		if (i < NLAT)
			rc = buf_printf(b,
			    "postern_delivery_latency_seconds_bucket{le=\"%g\"}"
			    " "
			    "%llu\n",
			    lat_bounds[i], (unsigned long long)cum);
		else
			rc = buf_printf(b,
			    "postern_delivery_latency_seconds_bucket{le=\"+"
			    "Inf\"}"
			    " %llu\npostern_delivery_latency_seconds_sum %g\n"
			    "postern_delivery_latency_seconds_count %llu\n",
			    (unsigned long long)cum, m->lat_sum,
			    (unsigned long long)cum);
	}
	return rc;
}

static int
format_domains(struct metrics *m, struct buf *b)
{
	int rc = buf_printf(b,
	    "# HELP postern_domain_ready 1 when the gate lets the domain's "
	    "mail out\n# TYPE postern_domain_ready gauge\n"
	    "# HELP postern_check_status Each check's status: 0 ok, 1 warn, "
	    "2 temperror, 3 fail\n# TYPE postern_check_status gauge\n"
	    "# HELP postern_check_timestamp_seconds When the domain was last "
	    "checked\n# TYPE postern_check_timestamp_seconds gauge\n");

	for (size_t i = 0; rc == 0 && i < m->ndom; i++) {
		const struct mdomain *d = &m->dom[i];

		rc = buf_printf(b,
		    "postern_domain_ready{domain=\"%s\"} %d\n"
		    "postern_check_timestamp_seconds{domain=\"%s\"} %lld\n",
		    d->name, d->ready, d->name, (long long)d->checked);
		for (size_t k = 0; rc == 0 && k < NCHECKS; k++)
			if (d->status[k] >= 0)
				rc = buf_printf(b,
				    "postern_check_status{domain=\"%s\","
				    "check=\"%s\"} %d\n",
				    d->name,
				    report_kind_name((enum check_kind)k),
				    d->status[k]);
	}
	return rc;
}

static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	struct evbuffer *out = evbuffer_new();
	size_t queued = 0;
	int64_t oldest = 0;
	struct buf b;

	buf_init(&b, 0);
	delivery_stats(m->srv->delivery, &queued, &oldest);
	if (format_counters(m, &b) == -1 || format_latency(m, &b) == -1 ||
	    format_domains(m, &b) == -1 ||
	    buf_printf(&b,
	        "# HELP postern_queue_messages Messages in the queue\n"
	        "# TYPE postern_queue_messages gauge\npostern_queue_messages "
	        "%zu\n# HELP postern_queue_oldest_age_seconds Age of the "
	        "oldest queued message\n# TYPE "
	        "postern_queue_oldest_age_seconds "
	        "gauge\npostern_queue_oldest_age_seconds %lld\n",
	        queued,
	        (long long)(oldest > 0 ? (int64_t)time(NULL) - oldest : 0)) ==
	        -1)
		die(1, "BUG: uncapped buffer");
	evbuffer_add(out, b.data, b.len);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
	buf_cleanup(&b);
}

static void
healthz_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = evbuffer_new();

	(void)arg;
	evbuffer_add_printf(out, "ok\n");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

struct metrics *
metrics_new(struct server *srv, struct err *e)
{
	const struct relay_cfg *r = &srv->snap->cfg->relay;
	struct metrics *m;

	if (r->metrics[0] == '\0')
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->srv = srv;
	m->http = evhttp_new(srv->base);
	if (m->http == NULL || evhttp_bind_socket(m->http, r->metrics_hp.host,
	                           r->metrics_hp.port) != 0) {
		err_set(e, "relay.metrics: cannot listen on %s", r->metrics);
		metrics_free(m);
		return NULL;
	}
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_cb(m->http, "/metrics", metrics_cb, m);
	evhttp_set_cb(m->http, "/healthz", healthz_cb, m);
	log_info("event=listen metrics=%s", r->metrics);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m->held);
	free(m->dom);
	free(m);
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/addr.h"
#include "common/log.h"
#include "common/util.h"
#include "dnscheck/resolver.h"
#include "relayd/delivery_int.h"
#include "relayd/dsn.h"
#include "relayd/mtasts_fetch.h"

/* The worker side of one delivery attempt of one message. */

int64_t
attempt_env_due(const struct queue_env *env)
{
	int64_t due = INT64_MAX;

	for (size_t i = 0; i < env->nrcpt; i++)
		if (env->rcpt[i].state == QUEUE_RCPT_PENDING &&
		    env->rcpt[i].next_attempt < due)
			due = env->rcpt[i].next_attempt;
	return due;
}

static const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : addr;
}

/* Put recipient i in the group for its destination, making it if new. */
static void
group_add(struct attempt *a, const struct config *cfg, size_t i)
{
	const char *domain = addr_domain(a->env.rcpt[i].addr);
	struct route_dest dest;
	char key[300];
	struct group *g = NULL;

	route_lookup(&cfg->relay, domain, &dest);
	route_dest_key(&dest, domain, key, sizeof(key));
	for (size_t j = 0; j < a->ngroups && g == NULL; j++)
		if (strcmp(a->groups[j].key, key) == 0)
			g = &a->groups[j];
	if (g == NULL) {
		a->groups =
		    xrealloc(a->groups, (a->ngroups + 1) * sizeof(*a->groups));
		g = &a->groups[a->ngroups++];
		memset(g, 0, sizeof(*g));
		g->a = a;
		g->dest = dest;
		snprintf(g->key, sizeof(g->key), "%s", key);
		snprintf(g->domain, sizeof(g->domain), "%s", domain);
		str_lower(g->domain);
	}
	g->rcpts = xrealloc(g->rcpts, (g->nrcpts + 1) * sizeof(*g->rcpts));
	g->rcpts[g->nrcpts++] = i;
}

/* Keep only the MX hosts an enforced MTA-STS policy names (RFC 8461 4). */
static void
apply_mtasts(struct attempt *a, struct resolver *r, const struct config *cfg,
    struct group *g)
{
	struct mtasts_policy pol;
	char why[300];
	size_t n = 0;

	if (mtasts_lookup(r, cfg, g->domain, a->now, &pol, why, sizeof(why)) ==
	    0) {
		log_info("event=mta-sts qid=%s domain=%s policy=none "
		         "reason=\"%s\"",
		    a->id, g->domain, why);
		return;
	}
	log_info("event=mta-sts qid=%s domain=%s mode=%s", a->id, g->domain,
	    pol.mode == MTASTS_ENFORCE   ? "enforce"
	    : pol.mode == MTASTS_TESTING ? "testing"
	                                 : "none");
	if (pol.mode == MTASTS_ENFORCE) {
		g->sts_enforce = true;
		for (size_t i = 0; i < g->mx.n; i++)
			if (mtasts_mx_matches(&pol, g->mx.t[i].name))
				g->mx.t[n++] = g->mx.t[i];
		g->mx.n = n;
		if (n == 0) {
			g->mx.code = 451;
			snprintf(g->mx.reply, sizeof(g->mx.reply),
			    "4.7.5 no MX host of %.200s matches its MTA-STS "
			    "policy",
			    g->domain);
		}
	}
	mtasts_policy_cleanup(&pol);
}

/* The resolver as the DANE logs name it. */
static void
resolver_name(const struct config *cfg, char *dst, size_t len)
{
	if (cfg->dns.resolver_system)
		snprintf(dst, len, "system (/etc/resolv.conf)");
	else
		hostport_format(&cfg->dns.resolver_hp, dst, len);
}

/* DANE (RFC 7672) for a group with tls: dane, on its MX or smart host. */
static void
apply_dane(struct attempt *a, struct resolver *r, const struct config *cfg,
    struct group *g)
{
	char rname[300];

	resolver_name(cfg, rname, sizeof(rname));
	dane_resolve(r, rname, a->id, g->dest.mx ? g->domain : g->dest.host,
	    g->dest.mx, g->dest.port, &g->mx, &g->dane);
}

/* Look up each group's targets (the only DNS of an attempt). */
static void
resolve_groups(struct attempt *a, const struct config *cfg)
{
	struct resolver_opts ro;
	struct resolver *r;
	struct err e;

	resolver_opts_from_config(&ro, cfg);
	/* DANE needs the AD bit; the other groups do not mind it. */
	for (size_t i = 0; i < a->ngroups; i++)
		ro.dnssec |= a->groups[i].dest.tls == TLS_POLICY_DANE;
	r = resolver_new(&ro, &e);
	for (size_t i = 0; i < a->ngroups; i++) {
		struct group *g = &a->groups[i];

		if (r == NULL) {
			g->mx.code = 451;
			snprintf(g->mx.reply, sizeof(g->mx.reply),
			    "4.4.3 no resolver: %.200s", e.msg);
		} else if (g->dest.mx) {
			mx_resolve(r, g->domain, g->dest.port, &g->mx);
			if (g->dest.tls == TLS_POLICY_MTA_STS &&
			    g->mx.code == 0)
				apply_mtasts(a, r, cfg, g);
		} else {
			mx_resolve_host(r, g->dest.host, g->dest.port, &g->mx);
		}
		if (r != NULL && g->dest.tls == TLS_POLICY_DANE &&
		    g->mx.code == 0)
			apply_dane(a, r, cfg, g);
	}
	resolver_free(r);
}

/* Whether the message needs 8BITMIME / SMTPUTF8 (RFC 6152, RFC 6531). */
static void
scan_needs(struct attempt *a)
{
	for (size_t i = 0; i < a->len && !a->eightbit; i++)
		a->eightbit = (unsigned char)a->data[i] >= 0x80;
	for (const char *p = a->env.from; *p != '\0'; p++)
		a->smtputf8 |= (unsigned char)*p >= 0x80;
	for (size_t i = 0; i < a->env.nrcpt; i++)
		for (const char *p = a->env.rcpt[i].addr; *p != '\0'; p++)
			a->smtputf8 |= (unsigned char)*p >= 0x80;
}

void
attempt_load(struct attempt *a, const struct config *cfg)
{
	const char *qpath = cfg->relay.queue.path;
	char *path;
	struct err e;

	if (queue_env_read(qpath, a->id, &a->env, &e) == -1) {
		a->gone = true;
		snprintf(a->error, sizeof(a->error), "%.290s", e.msg);
		return;
	}
	if (a->env.state == QUEUE_HELD || attempt_env_due(&a->env) > a->now) {
		a->skip = true;
		return;
	}
	path = xasprintf("%s/%s.msg", qpath, a->id);
	if (file_read(path, cfg->relay.max_message_size * 2 + 65536, &a->data,
	        &a->len, &e) == -1) {
		snprintf(a->error, sizeof(a->error), "%.290s", e.msg);
		free(path);
		return;
	}
	free(path);
	scan_needs(a);
	for (size_t i = 0; i < a->env.nrcpt; i++)
		if (a->env.rcpt[i].state == QUEUE_RCPT_PENDING &&
		    a->env.rcpt[i].next_attempt <= a->now)
			group_add(a, cfg, i);
	resolve_groups(a, cfg);
}

/* The gap after `attempts` failed attempts: retry[n-1], the last repeating,
 * plus up to 10 % jitter so that deferred mail does not come back in step. */
static int64_t
retry_gap(const struct queue_cfg *q, uint64_t attempts)
{
	uint64_t gap =
	    q->retry
	        .v[attempts - 1 < q->retry.n ? attempts - 1 : q->retry.n - 1];
	unsigned char rnd[2] = { 0, 0 };

	(void)RAND_bytes(rnd, sizeof(rnd));
	return (int64_t)(gap +
	                 gap * (((unsigned)rnd[0] << 8) | rnd[1]) / 65536 / 10);
}

/* The original message's header block (up to the blank line). */
static size_t
header_len(const char *p, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(p + i, "\r\n\r\n", 4) == 0)
			return i + 2;
	return len;
}

/*
 * Build a DSN for the recipients in `which` (failed, or delayed) into
 * a->dsn, addressed from <> to the original sender.
 */
static void
make_dsn(struct attempt *a, const struct config *cfg, const size_t *which,
    size_t n, bool delay)
{
	struct dsn_rcpt *dr = xcalloc(n + 1, sizeof(*dr));
	char(*status)[16] = xcalloc(n + 1, sizeof(*status));
	struct dsn d;
	struct buf b;

	for (size_t i = 0; i < n; i++) {
		const struct queue_rcpt *r = &a->env.rcpt[which[i]];
		const char *reply =
		    r->last_reply != NULL ? r->last_reply : "4.4.7 no reply";

		dsn_status_from_reply(reply, status[i], sizeof(status[i]));
		if (reply[0] < '0' || reply[0] > '9')
			snprintf(status[i], sizeof(status[i]), "%s",
			    delay ? "4.4.7" : "5.4.7");
		dr[i] = (struct dsn_rcpt){ r->addr, status[i], NULL, reply,
			a->now };
	}
	d = (struct dsn){ cfg->relay.hostname, a->id, a->env.from,
		a->env.created, a->now, delay,
		a->env.created + (int64_t)cfg->relay.queue.max_age, a->data,
		header_len(a->data, a->len), dr, n };
	buf_init(&b, 0);
	if (dsn_format(&d, &b) == 0) {
		free(a->dsn);
		a->dsn = buf_steal(&b, &a->dsn_len);
		memset(&a->dsn_env, 0, sizeof(a->dsn_env));
		queue_id_new(a->dsn_env.id);
		a->dsn_env.created = a->now;
		a->dsn_env.from = xstrdup("");
		a->dsn_env.client = xstrdup("127.0.0.1");
		a->dsn_env.size = a->dsn_len;
		queue_env_add_rcpt(&a->dsn_env, a->env.from);
	}
	buf_cleanup(&b);
	free(status);
	free(dr);
}

/* Record one recipient's result in env; true when it newly failed. */
static bool
record(struct attempt *a, const struct config *cfg, struct queue_rcpt *r,
    int code, const char *reply)
{
	free(r->last_reply);
	r->last_reply = xstrdup(reply);
	r->attempts++;
	if (code / 100 == 2) {
		r->state = QUEUE_RCPT_DONE;
		return false;
	}
	if (code / 100 == 5) {
		r->state = QUEUE_RCPT_FAILED;
		return true;
	}
	r->next_attempt = a->now + retry_gap(&cfg->relay.queue, r->attempts);
	return false;
}

/* Pending recipients past relay.queue.max_age fail. */
static size_t
expire(struct attempt *a, const struct config *cfg, size_t *failed, size_t n)
{
	if (a->now - a->env.created < (int64_t)cfg->relay.queue.max_age)
		return n;
	for (size_t i = 0; i < a->env.nrcpt; i++) {
		struct queue_rcpt *r = &a->env.rcpt[i];
		char *why;

		if (r->state != QUEUE_RCPT_PENDING)
			continue;
		why = xasprintf("4.4.7 message expired after %llus in the "
		                "queue; last reply: %.300s",
		    (unsigned long long)(a->now - a->env.created),
		    r->last_reply != NULL ? r->last_reply : "none");
		free(r->last_reply);
		r->last_reply = why;
		r->state = QUEUE_RCPT_FAILED;
		failed[n++] = i;
	}
	return n;
}

/* The delay warning, once, for recipients still pending. */
static void
maybe_warn(struct attempt *a, const struct config *cfg, size_t *which)
{
	size_t n = 0;

	if (cfg->relay.queue.warn_after == 0 || a->env.warned != 0 ||
	    a->env.from[0] == '\0' ||
	    a->now - a->env.created < (int64_t)cfg->relay.queue.warn_after)
		return;
	for (size_t i = 0; i < a->env.nrcpt; i++)
		if (a->env.rcpt[i].state == QUEUE_RCPT_PENDING)
			which[n++] = i;
	if (n == 0)
		return;
	make_dsn(a, cfg, which, n, true);
	a->env.warned = a->now;
}

/* Apply the groups' results to a fresh copy of the envelope. */
static size_t
apply_results(struct attempt *a, const struct config *cfg, size_t *failed)
{
	size_t n = 0;

	for (size_t g = 0; g < a->ngroups; g++) {
		const struct group *gr = &a->groups[g];

		for (size_t k = 0; k < gr->nrcpts; k++) {
			size_t i = gr->rcpts[k];

			if (i < a->env.nrcpt &&
			    a->env.rcpt[i].state == QUEUE_RCPT_PENDING &&
			    record(a, cfg, &a->env.rcpt[i], gr->code[k],
			        gr->reply[k]))
				failed[n++] = i;
		}
	}
	return n;
}

void
attempt_finalize(struct attempt *a, const struct config *cfg)
{
	const char *qpath = cfg->relay.queue.path;
	size_t *failed, nfailed;
	struct err e;

	/* The envelope may have changed (hold, flush): start from disk. */
	queue_env_cleanup(&a->env);
	if (a->forgotten) {
		/* Every recipient delivered; the loop unlinked ID.env. */
		a->next_due = INT64_MAX;
		a->removed = true;
		if (queue_remove(qpath, a->id, true, &e) == -1)
			log_error("event=queue-remove id=%s error=\"%s\"",
			    a->id, e.msg);
		return;
	}
	if (queue_env_read(qpath, a->id, &a->env, &e) == -1) {
		a->gone = true;
		a->removed = true;
		return;
	}
	failed = xcalloc(a->env.nrcpt + 1, sizeof(*failed));
	nfailed = apply_results(a, cfg, failed);
	nfailed = expire(a, cfg, failed, nfailed);
	if (nfailed > 0 && a->env.from[0] != '\0')
		make_dsn(a, cfg, failed, nfailed, false);
	else
		maybe_warn(a, cfg, failed);
	free(failed);
	a->next_due = attempt_env_due(&a->env);
	if (a->next_due == INT64_MAX) {
		if (queue_remove(qpath, a->id, false, &e) == -1)
			log_error("event=queue-remove id=%s error=\"%s\"",
			    a->id, e.msg);
		a->removed = true;
		return;
	}
	if (a->env.state != QUEUE_HELD)
		a->env.state = QUEUE_DEFERRED;
	if (queue_env_write(qpath, &a->env, &e) == -1)
		log_error("event=queue-update id=%s error=\"%s\"", a->id,
		    e.msg);
}

void
attempt_drop_groups(struct attempt *a)
{
	for (size_t g = 0; g < a->ngroups; g++) {
		struct group *gr = &a->groups[g];

		for (size_t k = 0; gr->reply != NULL && k < gr->nrcpts; k++)
			free(gr->reply[k]);
		free(gr->reply);
		free(gr->code);
		free(gr->rcpts);
		free(gr->crcpt);
		mx_result_cleanup(&gr->mx);
		dane_dest_cleanup(&gr->dane);
	}
	free(a->groups);
	a->groups = NULL;
	a->ngroups = 0;
}

void
attempt_free(struct attempt *a)
{
	attempt_drop_groups(a);
	queue_env_cleanup(&a->env);
	queue_env_cleanup(&a->dsn_env);
	free(a->data);
	free(a->dsn);
	free(a);
}

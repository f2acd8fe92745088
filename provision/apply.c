#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "provision/apply.h"

static enum apply_outcome
worse(enum apply_outcome a, enum apply_outcome b)
{
	return a > b ? a : b;
}

/* Apply one domain's changes in order; stops at the first failure. */
static enum apply_outcome
apply_domain(struct domain_plan *dp, const struct apply_opts *o)
{
	struct err e;
	int rc;

	for (size_t i = 0; i < dp->n; i++) {
		struct plan_change *c = &dp->changes[i];

		if (c->status != MERGE_CREATE && c->status != MERGE_UPDATE)
			continue;
		if (c->new.ttl == 0)
			c->new.ttl = (uint32_t)o->cfg->dns.ttl;
		rc = provider_replace_txt(dp->provider, dp->zone, c->name,
		    &c->old, &c->new, &e);
		if (rc == PROVIDER_OK) {
			c->applied = true;
			fprintf(o->progress, "%s: %s %s TXT (%s)\n",
			    dp->dc->name,
			    c->status == MERGE_CREATE ? "created" : "updated",
			    c->name, c->what);
			log_info("event=dns-change domain=%s name=%s "
			         "what=\"%s\" "
			         "result=ok",
			    dp->dc->name, c->name, c->what);
			continue;
		}
		fprintf(o->progress, "%s: FAILED %s TXT (%s): %s\n",
		    dp->dc->name, c->name, c->what, e.msg);
		for (size_t j = 0; j < i; j++)
			if (dp->changes[j].applied)
				fprintf(o->progress,
				    "%s: already changed: %s TXT (%s)\n",
				    dp->dc->name, dp->changes[j].name,
				    dp->changes[j].what);
		return rc == PROVIDER_ERR_TEMP ? APPLY_TEMP : APPLY_FAIL;
	}
	return APPLY_OK;
}

enum apply_outcome
apply_changes(struct plan *p, const struct apply_opts *o)
{
	enum apply_outcome out = APPLY_OK;

	for (size_t i = 0; i < p->n; i++) {
		struct domain_plan *dp = &p->domains[i];

		if (dp->refused) {
			fprintf(o->progress,
			    "%s: refused, nothing changed: %s\n", dp->dc->name,
			    dp->reason);
			out = worse(out, dp->error == PROVIDER_ERR_TEMP
			                     ? APPLY_TEMP
			                     : APPLY_FAIL);
			continue;
		}
		out = worse(out, apply_domain(dp, o));
	}
	return out;
}

struct server {
	struct hostport hp;
	char label[300]; /* "ns1.example.com (192.0.2.53)" */
};

/* The servers to poll for zone: dns.authoritative, or the zone's NS hosts. */
static size_t
zone_servers(const struct apply_opts *o, const char *zone, struct server **out)
{
	const struct dns_cfg *d = &o->cfg->dns;
	const struct dns_result *ns;
	struct server *s = NULL;
	size_t n = 0, cap = 0;
	char ip[64];

	if (d->authoritative.n > 0) {
		s = xcalloc(d->authoritative.n, sizeof(*s));
		for (; n < d->authoritative.n; n++) {
			s[n].hp = d->authoritative_hp[n];
			snprintf(s[n].label, sizeof(s[n].label), "%s",
			    d->authoritative.v[n]);
		}
		*out = s;
		return n;
	}
	ns = resolver_query(o->r, zone, DNS_T_NS);
	for (size_t i = 0; ns->status == DNS_OK && i < ns->n; i++) {
		static const enum dns_type types[] = { DNS_T_A, DNS_T_AAAA };

		for (size_t t = 0; t < NELEM(types); t++) {
			const struct dns_result *a =
			    resolver_query(o->r, ns->rr[i].text, types[t]);

			for (size_t j = 0; a->status == DNS_OK && j < a->n;
			     j++) {
				s = xreallocarray(s, &cap, n + 1, sizeof(*s));
				memset(&s[n], 0, sizeof(s[n]));
				s[n].hp.is_ip = true;
				s[n].hp.ip = a->rr[j].ip;
				s[n].hp.port = 53;
				ip_format(&a->rr[j].ip, ip, sizeof(ip));
				snprintf(s[n].hp.host, sizeof(s[n].hp.host),
				    "%s", ip);
				snprintf(s[n].label, sizeof(s[n].label),
				    "%s (%s)", ns->rr[i].text, ip);
				n++;
			}
		}
	}
	*out = s;
	return n;
}

/* Does server serve change c as applied (new value there, old one gone)? */
static bool
served(const struct apply_opts *o, const struct server *srv,
    const struct plan_change *c)
{
	struct resolver_opts ro;
	struct resolver *r;
	const struct dns_result *res;
	bool has_new = false, has_old = false;
	struct err e;

	resolver_opts_from_config(&ro, o->cfg);
	ro.system = false;
	ro.server = srv->hp;
	ro.recursive = false;
	ro.attempts = 1;
	if ((r = resolver_new(&ro, &e)) == NULL)
		return false;
	res = resolver_query(r, c->name, DNS_T_TXT);
	for (size_t i = 0; res->status == DNS_OK && i < res->n; i++) {
		if (strcmp(res->rr[i].text, c->new_value) == 0)
			has_new = true;
		else if (c->old_value != NULL &&
		         strcmp(res->rr[i].text, c->old_value) == 0)
			has_old = true;
	}
	resolver_free(r);
	return has_new && !has_old;
}

/* Poll one domain's servers until all serve all its applied changes. */
static enum apply_outcome
wait_domain(const struct domain_plan *dp, const struct apply_opts *o)
{
	time_t start = time(NULL), deadline;
	struct server *srv = NULL;
	size_t nsrv, ready = 0;
	bool any = false;

	for (size_t i = 0; i < dp->n; i++)
		any |= dp->changes[i].applied;
	if (!any)
		return APPLY_OK;
	nsrv = zone_servers(o, dp->zone, &srv);
	if (nsrv == 0) {
		fprintf(o->progress,
		    "%s: cannot find the authoritative servers of %s (set "
		    "dns.authoritative)\n",
		    dp->dc->name, dp->zone);
		return APPLY_TEMP;
	}
	deadline = start + (time_t)o->cfg->dns.propagation_timeout;
	for (;;) {
		ready = 0;
		for (size_t s = 0; s < nsrv; s++) {
			bool all = true;

			for (size_t i = 0; all && i < dp->n; i++)
				if (dp->changes[i].applied)
					all =
					    served(o, &srv[s], &dp->changes[i]);
			ready += all;
		}
		fprintf(o->progress,
		    "%s%s: %zu of %zu authoritative servers "
		    "serve the new records (%lds)%s",
		    o->progress_inline ? "\r" : "", dp->dc->name, ready, nsrv,
		    (long)(time(NULL) - start), o->progress_inline ? "" : "\n");
		fflush(o->progress);
		if (ready == nsrv || time(NULL) >= deadline)
			break;
		usleep((o->poll_ms != 0 ? o->poll_ms : 1000) * 1000);
	}
	if (o->progress_inline)
		fputc('\n', o->progress);
	for (size_t s = 0; ready < nsrv && s < nsrv; s++) {
		bool all = true;

		for (size_t i = 0; all && i < dp->n; i++)
			if (dp->changes[i].applied)
				all = served(o, &srv[s], &dp->changes[i]);
		if (!all)
			fprintf(o->progress,
			    "%s: %s does not serve the new records after %llus "
			    "(dns.propagation_timeout)\n",
			    dp->dc->name, srv[s].label,
			    (unsigned long long)
			        o->cfg->dns.propagation_timeout);
	}
	free(srv);
	return ready == nsrv ? APPLY_OK : APPLY_TEMP;
}

enum apply_outcome
apply_wait(const struct plan *p, const struct apply_opts *o)
{
	enum apply_outcome out = APPLY_OK;

	for (size_t i = 0; i < p->n; i++)
		if (!p->domains[i].refused)
			out = worse(out, wait_domain(&p->domains[i], o));
	return out;
}

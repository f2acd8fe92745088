#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "provision/providers/provider_int.h"

/*
 * The manual provider: for DNS hosts without an API. It prints the change
 * in zone-file syntax, then polls DNS until every server asked (each of
 * dns.authoritative, or the resolver) serves it. The polling is a plain
 * ldns query loop, kept small so that the checker's resolver can replace it.
 */

struct manual {
	ldns_resolver **res; /* servers polled; res[0] also reads */
	size_t nres;
};

static int
manual_init(struct provider *p, struct err *e)
{
	const struct dns_cfg *dns = &p->cfg->dns;
	struct manual *m = xcalloc(1, sizeof(*m));
	size_t n = dns->authoritative.n > 0 ? dns->authoritative.n : 1;

	m->res = xcalloc(n, sizeof(ldns_resolver *));
	for (size_t i = 0; i < n; i++) {
		const struct hostport *hp =
		    dns->authoritative.n > 0 ? &dns->authoritative_hp[i]
		    : dns->resolver_system   ? NULL
		                             : &dns->resolver_hp;

		m->res[i] = provider_resolver_new(hp, dns->timeout, e);
		if (m->res[i] == NULL) {
			p->priv = m;
			return -1;
		}
		m->nres++;
	}
	p->priv = m;
	return 0;
}

static void
manual_cleanup(struct provider *p)
{
	struct manual *m = p->priv;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nres; i++)
		ldns_resolver_deep_free(m->res[i]);
	free(m->res);
	free(m);
}

static int
manual_find_zone(struct provider *p, const char *name, char **zone,
    struct err *e)
{
	struct manual *m = p->priv;

	return provider_zone_walk(name, provider_soa_query, m->res[0], zone, e);
}

static int
manual_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	struct manual *m = p->priv;

	(void)zone;
	return provider_txt_query(m->res[0], name, out, e);
}

/* Print the change as zone-file lines, with what to do. */
static void
manual_print(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new)
{
	FILE *out = p->opts.out;

	fprintf(out,
	    "Change zone %s by hand (provider \"%s\"): %s the TXT "
	    "records at %s.\n",
	    zone, p->pc->name, new->n == 0 ? "delete" : "set", name);
	for (size_t i = 0; i < old->n; i++) {
		char *t = txt_record_format(&old->rec[i]);

		fprintf(out, "  remove: %s. %u IN TXT %s\n", name, old->ttl, t);
		free(t);
	}
	for (size_t i = 0; i < new->n; i++) {
		char *t = txt_record_format(&new->rec[i]);

		fprintf(out, "  keep or add: %s. %u IN TXT %s\n", name,
		    new->ttl, t);
		free(t);
	}
	fprintf(out, "Waiting until DNS serves exactly these records "
	             "(Ctrl-C stops waiting; nothing else is changed).\n");
	fflush(out);
}

/* How many of the polled servers serve exactly want at name. */
static size_t
manual_poll(struct manual *m, const char *name, const struct txt_set *want)
{
	size_t ok = 0;

	for (size_t i = 0; i < m->nres; i++) {
		struct txt_set now;

		if (provider_txt_query(m->res[i], name, &now, NULL) ==
		        PROVIDER_OK &&
		    txt_set_equal(&now, want))
			ok++;
		txt_set_cleanup(&now);
	}
	return ok;
}

static int
manual_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	struct manual *m = p->priv;
	time_t start = time(NULL);
	struct timespec ts = { (time_t)p->opts.poll_interval, 0 };
	struct txt_set now;
	size_t ok;
	int rc;

	/* Compare-and-swap as far as DNS tells: the set must be as read. */
	if ((rc = provider_txt_query(m->res[0], name, &now, e)) != PROVIDER_OK)
		return rc;
	ok = txt_set_equal(&now, old);
	txt_set_cleanup(&now);
	if (!ok)
		return err_set(e, "the TXT set changed since it was read; "
		                  "nothing to do by hand yet (plan again)"),
		       PROVIDER_ERR_CONFLICT;
	manual_print(p, zone, name, old, new);
	for (;;) {
		ok = manual_poll(m, name, new);
		fprintf(p->opts.out, "  %s: %zu/%zu servers serve it\n", name,
		    ok, m->nres);
		fflush(p->opts.out);
		if (ok == m->nres)
			return PROVIDER_OK;
		if ((uint64_t)(time(NULL) - start) >= p->opts.wait_timeout)
			break;
		nanosleep(&ts, NULL);
	}
	return err_set(e,
	           "not visible in DNS after %llu s (%zu/%zu servers "
	           "serve it); make the change shown above, then run again",
	           (unsigned long long)p->opts.wait_timeout, ok, m->nres),
	       PROVIDER_ERR_TEMP;
}

const struct provider_ops provider_manual_ops = {
	.type = "manual",
	.init = manual_init,
	.find_zone = manual_find_zone,
	.list_txt = manual_list_txt,
	.replace_txt = manual_replace_txt,
	.cleanup = manual_cleanup,
};

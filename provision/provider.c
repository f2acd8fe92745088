#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "provision/provider.h"
#include "provision/providers/provider_int.h"

/* Indexed by enum provider_type; NULL: not built yet. */
static const struct provider_ops *const provider_table[] = {
	[PROVIDER_RFC2136] = &provider_rfc2136_ops,
	[PROVIDER_POWERDNS] = &provider_powerdns_ops,
	[PROVIDER_MANUAL] = &provider_manual_ops,
	[PROVIDER_CLOUDFLARE] = &provider_cloudflare_ops,
	[PROVIDER_ROUTE53] = &provider_route53_ops,
	[PROVIDER_AZURE] = &provider_azure_ops,
	[PROVIDER_DIGITALOCEAN] = &provider_digitalocean_ops,
	[PROVIDER_GANDI] = &provider_gandi_ops,
};

int
provider_new(const struct config *cfg, const struct provider_cfg *pc,
    const struct provider_opts *opts, struct provider **out, struct err *e)
{
	const struct provider_ops *ops = NULL;
	struct provider *p;

	*out = NULL;
	if ((size_t)pc->type < NELEM(provider_table))
		ops = provider_table[pc->type];
	if (ops == NULL) {
		err_set(e,
		    "provider \"%s\": type %s is not built in this postern",
		    pc->name, config_provider_type_name(pc->type));
		return PROVIDER_ERR_PERM;
	}
	p = xcalloc(1, sizeof(*p));
	p->ops = ops;
	p->cfg = cfg;
	p->pc = pc;
	if (opts != NULL)
		p->opts = *opts;
	if (p->opts.out == NULL)
		p->opts.out = stdout;
	if (p->opts.wait_timeout == 0)
		p->opts.wait_timeout = cfg->dns.propagation_timeout;
	if (p->opts.poll_interval == 0)
		p->opts.poll_interval = 5;
	if (ops->init != NULL && ops->init(p, e) == -1) {
		err_prefix(e, "provider \"%s\" (%s)", pc->name, ops->type);
		free(p);
		return PROVIDER_ERR_PERM;
	}
	*out = p;
	return PROVIDER_OK;
}

void
provider_free(struct provider *p)
{
	if (p == NULL)
		return;
	if (p->ops->cleanup != NULL)
		p->ops->cleanup(p);
	free(p);
}

int
provider_find_zone(struct provider *p, const char *name, char **zone,
    struct err *e)
{
	int rc;

	*zone = NULL;
	rc = p->ops->find_zone(p, name, zone, e);
	if (rc != PROVIDER_OK)
		err_prefix(e, "provider \"%s\" (%s): finding the zone of %s",
		    p->pc->name, p->ops->type, name);
	return rc;
}

int
provider_list_txt(struct provider *p, const char *zone, const char *name,
    struct txt_set *out, struct err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = p->ops->list_txt(p, zone, name, out, e);
	if (rc != PROVIDER_OK) {
		txt_set_cleanup(out);
		err_prefix(e, "provider \"%s\" (%s): zone %s: reading %s TXT",
		    p->pc->name, p->ops->type, zone, name);
	}
	return rc;
}

int
provider_replace_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, const struct txt_set *new, struct err *e)
{
	int rc = p->ops->replace_txt(p, zone, name, old, new, e);

	if (rc != PROVIDER_OK)
		err_prefix(e, "provider \"%s\" (%s): zone %s: %s %s TXT",
		    p->pc->name, p->ops->type, zone,
		    new->n == 0 ? "deleting" : "replacing", name);
	return rc;
}

int
provider_delete_txt(struct provider *p, const char *zone, const char *name,
    const struct txt_set *old, struct err *e)
{
	struct txt_set none = { NULL, 0, 0 };

	return provider_replace_txt(p, zone, name, old, &none, e);
}

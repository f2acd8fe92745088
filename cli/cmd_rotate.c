#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/plan.h"
#include "common/util.h"
#include "keys/keys.h"
#include "keys/rotation.h"
#include "provision/apply.h"

/*
 * postern keys rotate --domain D [--selector S] [--grace 7d]: one step of
 * a DKIM key rotation each run, resumable (keys/rotation.h): make and
 * publish the next key, switch signing once every authoritative server
 * serves it, remove the old record after the grace period.
 */

struct rotate_ctx {
	struct cli *cli;
	struct config *cfg;
	const struct domain_cfg *dc;
	const struct dkim_cfg *k;
	struct resolver *r;
	struct provider *p;
	uint64_t grace;
	int64_t now;
};

/* Publish (value != NULL) or remove (NULL) the DKIM record of selector,
 * keeping other TXT values at the name, then wait for propagation. */
static int
rotate_change(struct rotate_ctx *x, const char *selector, const char *value)
{
	char *name = keys_record_name(x->dc->name, selector);
	struct domain_plan dp;
	struct plan_change c;
	struct plan plan = { &dp, 1 };
	struct apply_opts ao = { x->cfg, x->r, stderr, false, 0 };
	struct err e;
	enum apply_outcome out;
	int rc;

	memset(&dp, 0, sizeof(dp));
	memset(&c, 0, sizeof(c));
	dp.dc = x->dc;
	dp.provider = x->p;
	dp.changes = &c;
	dp.n = 1;
	c.name = name;
	c.what = xasprintf("DKIM %s", selector);
	if ((rc = provider_find_zone(x->p, x->dc->name, &dp.zone, &e)) != 0 ||
	    (rc = provider_list_txt(x->p, dp.zone, name, &c.old, &e)) != 0) {
		fprintf(stderr, "%s keys rotate: %s\n", x->cli->prog, e.msg);
		rc = rc == PROVIDER_ERR_TEMP ? EXIT_TEMP : EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < c.old.n; i++) {
		char *v = txt_record_value(&c.old.rec[i], NULL);
		bool dkim = strncmp(v, "v=DKIM1", 7) == 0;

		if (!dkim || value != NULL)
			txt_set_add(&c.new, &c.old.rec[i]);
		if (dkim && value == NULL && c.old_value == NULL)
			c.old_value = v;
		else
			free(v);
	}
	if (value != NULL) {
		struct txt_record rec = { NULL, 0 };

		txt_record_set_value(&rec, value, strlen(value));
		txt_set_add(&c.new, &rec);
		txt_record_cleanup(&rec);
		c.new_value = xstrdup(value);
	} else if (c.old_value == NULL) {
		rc = EXIT_OK; /* already gone */
		goto out;
	}
	c.status = c.old.n > 0 ? MERGE_UPDATE : MERGE_CREATE;
	c.new.ttl = c.old.n > 0 ? c.old.ttl : 0;
	out = apply_changes(&plan, &ao);
	if (out == APPLY_OK && value != NULL)
		out = apply_wait(&plan, &ao);
	rc = out == APPLY_OK     ? EXIT_OK
	     : out == APPLY_FAIL ? EXIT_FAIL
	                         : EXIT_TEMP;
out:
	txt_set_cleanup(&c.old);
	txt_set_cleanup(&c.new);
	free(c.old_value);
	free(c.new_value);
	free(c.what);
	free(dp.zone);
	free(name);
	return rc;
}

/* Start: the next key, made (unless it exists) and recorded. */
static int
rotate_start(struct rotate_ctx *x, struct rotation *rot)
{
	char cur_buf[64], path[4096];
	const char *cur = rotation_selector(x->cfg->state_dir, x->dc->name,
	    x->k->selector, cur_buf, sizeof(cur_buf));
	struct dkim_key *key;
	struct err e;

	memset(rot, 0, sizeof(*rot));
	snprintf(rot->old, sizeof(rot->old), "%s", x->k->selector);
	snprintf(rot->retire, sizeof(rot->retire), "%s", cur);
	rotation_next_name(cur, rot->next, sizeof(rot->next));
	rot->phase = ROTATION_PUBLISHED;
	rot->started = x->now;
	if (keys_path(x->cfg->state_dir, x->dc->name, rot->next, path,
	        sizeof(path)) == -1)
		return EXIT_USAGE;
	if ((key = keys_load(x->cfg->state_dir, x->dc->name, rot->next,
	         NULL)) == NULL &&
	    keys_generate(x->cfg->state_dir, x->dc->name, rot->next,
	        x->k->algorithm, &e) == -1) {
		fprintf(stderr, "%s keys rotate: %s\n", x->cli->prog, e.msg);
		return EXIT_USAGE;
	}
	keys_free(key);
	printf("rotation of %s selector %s: the next key is %s (%s)\n",
	    x->dc->name, cur, rot->next, path);
	if (rotation_write(x->cfg->state_dir, x->dc->name, rot, &e) == -1) {
		fprintf(stderr, "%s keys rotate: %s\n", x->cli->prog, e.msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Publish the next key and, once it is everywhere, sign with it. */
static int
rotate_publish(struct rotate_ctx *x, struct rotation *rot)
{
	struct dkim_key *key;
	struct err e;
	char *value, tbuf[64];
	time_t until;
	int rc;

	if ((key = keys_load(x->cfg->state_dir, x->dc->name, rot->next, &e)) ==
	    NULL) {
		fprintf(stderr, "%s keys rotate: %s\n", x->cli->prog, e.msg);
		return EXIT_USAGE;
	}
	value = keys_txt_record(key);
	keys_free(key);
	rc = rotate_change(x, rot->next, value);
	free(value);
	if (rc != EXIT_OK)
		return rc; /* resumes from here next time */
	rot->phase = ROTATION_SIGNING;
	rot->retire_after = x->now + (int64_t)x->grace;
	if (rotation_write(x->cfg->state_dir, x->dc->name, rot, &e) == -1) {
		fprintf(stderr, "%s keys rotate: %s\n", x->cli->prog, e.msg);
		return EXIT_USAGE;
	}
	plan_tell_daemon(x->cfg);
	until = (time_t)rot->retire_after;
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M UTC", gmtime(&until));
	printf("signing with %s now; the record of %s stays until %s: run "
	       "`postern keys rotate --domain %s` again after that\n",
	    rot->next, rot->retire, tbuf, x->dc->name);
	return EXIT_OK;
}

/* One step, by the recorded phase. */
static int
rotate_step(struct rotate_ctx *x)
{
	struct rotation rot;
	struct err e;
	int rc;

	rc = rotation_read(x->cfg->state_dir, x->dc->name, &rot, &e);
	if (rc == -1) {
		fprintf(stderr, "%s keys rotate: %s\n", x->cli->prog, e.msg);
		return EXIT_USAGE;
	}
	if (rc == 0 || rot.phase == ROTATION_DONE) {
		if ((rc = rotate_start(x, &rot)) != EXIT_OK)
			return rc;
	}
	if (rot.phase == ROTATION_PUBLISHED)
		return rotate_publish(x, &rot);
	if (x->now < rot.retire_after) {
		printf("rotation of %s: signing with %s; %s retires in %llds\n",
		    x->dc->name, rot.next, rot.retire,
		    (long long)(rot.retire_after - x->now));
		return EXIT_OK;
	}
	if ((rc = rotate_change(x, rot.retire, NULL)) != EXIT_OK)
		return rc;
	rot.phase = ROTATION_DONE;
	if (rotation_write(x->cfg->state_dir, x->dc->name, &rot, &e) == -1)
		return EXIT_USAGE;
	printf("rotation of %s done: %s retired, %s signs (name it in the "
	       "configuration's dkim list when convenient)\n",
	    x->dc->name, rot.retire, rot.next);
	return EXIT_OK;
}

int
keys_rotate(struct cli *cli, struct config *cfg, const char *domain,
    const char *selector, uint64_t grace)
{
	struct rotate_ctx x;
	struct resolver_opts ro;
	struct err e;
	int rc;

	memset(&x, 0, sizeof(x));
	x.cli = cli;
	x.cfg = cfg;
	x.grace = grace;
	x.now = (int64_t)time(NULL);
	if (domain == NULL || (x.dc = config_domain(cfg, domain)) == NULL)
		return cli_usage_error(cli, "keys rotate",
		    "--domain names no configured domain");
	for (size_t i = 0; i < x.dc->ndkim && x.k == NULL; i++)
		if (selector == NULL ||
		    strcmp(x.dc->dkim[i].selector, selector) == 0)
			x.k = &x.dc->dkim[i];
	if (x.k == NULL)
		return cli_usage_error(cli, "keys rotate",
		    "%s has no DKIM selector %s", domain,
		    selector != NULL ? selector : "configured");
	resolver_opts_from_config(&ro, cfg);
	if ((x.r = resolver_new(&ro, &e)) == NULL)
		return EXIT_TEMP;
	if (provider_new(cfg, &cfg->providers[x.dc->provider_index], NULL, &x.p,
	        &e) != PROVIDER_OK) {
		fprintf(stderr, "%s keys rotate: %s\n", cli->prog, e.msg);
		resolver_free(x.r);
		return EXIT_USAGE;
	}
	rc = rotate_step(&x);
	provider_free(x.p);
	resolver_free(x.r);
	return rc;
}

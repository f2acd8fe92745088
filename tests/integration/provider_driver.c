#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/util.h"
#include "provision/provider.h"

/*
 * A test-only driver for the DNS providers (not part of postern):
 *   provider_driver CONFIG PROVIDER zone NAME
 *   provider_driver CONFIG PROVIDER list NAME
 *   provider_driver CONFIG PROVIDER replace NAME [--ttl N] [--current]
 *       [--old 'ZONEFILE-TXT']... [--new 'ZONEFILE-TXT']...
 *       [--new-value VALUE]... [--wait SECONDS] [--pause SECONDS]
 *   provider_driver CONFIG PROVIDER delete NAME [--current] [--old ...]...
 * --current takes the set as listed now as "old" (the normal flow), and
 * the new set keeps its TTL unless --ttl says otherwise. Exit: 0 ok,
 * 1 permanent error, 3 temporary, 4 conflict; the error on stderr.
 * --pause sleeps between finding the zone and the rest (a cached
 * credential, such as Azure's token, can expire meanwhile).
 */

struct job {
	struct provider *p;
	const char *op, *name;
	char *zone;
	struct txt_set old, new;
	bool current, ttl_given;
	unsigned pause;
};

static int
exit_code(int rc)
{
	switch (rc) {
	case PROVIDER_OK:
		return 0;
	case PROVIDER_ERR_TEMP:
		return 3;
	case PROVIDER_ERR_CONFLICT:
		return 4;
	default:
		return 1;
	}
}

static void
add_parsed(struct txt_set *s, const char *text)
{
	struct txt_record r;
	struct err e;

	if (txt_record_parse(text, &r, &e) == -1)
		die(2, "%s: %s", text, e.msg);
	txt_set_add(s, &r);
	txt_record_cleanup(&r);
}

static void
add_value(struct txt_set *s, const char *value)
{
	struct txt_record r;

	txt_record_set_value(&r, value, strlen(value));
	txt_set_add(s, &r);
	txt_record_cleanup(&r);
}

static void
parse_args(struct job *j, int argc, char **argv, struct provider_opts *opts)
{
	uint64_t ttl, wait;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--current") == 0) {
			j->current = true;
			continue;
		}
		if (v == NULL)
			die(2, "%s needs a value", a);
		i++;
		if (strcmp(a, "--old") == 0)
			add_parsed(&j->old, v);
		else if (strcmp(a, "--new") == 0)
			add_parsed(&j->new, v);
		else if (strcmp(a, "--new-value") == 0)
			add_value(&j->new, v);
		else if (strcmp(a, "--pause") == 0 &&
		         parse_u64(v, 1, 60, &wait) == 0)
			j->pause = (unsigned)wait;
		else if (strcmp(a, "--wait") == 0 &&
		         parse_u64(v, 1, 600, &wait) == 0)
			opts->wait_timeout = wait;
		else if (strcmp(a, "--ttl") == 0 &&
		         parse_u64(v, 1, UINT64_C(604800), &ttl) == 0) {
			j->new.ttl = (uint32_t)ttl;
			j->ttl_given = true;
		} else
			die(2, "bad argument %s", a);
	}
}

static void
print_set(const struct txt_set *s)
{
	printf("ttl %u\n", s->ttl);
	for (size_t i = 0; i < s->n; i++) {
		char *t = txt_record_format(&s->rec[i]);

		printf("%s\n", t);
		free(t);
	}
}

static int
run(struct job *j, struct err *e)
{
	int rc;

	if ((rc = provider_find_zone(j->p, j->name, &j->zone, e)) != 0)
		return rc;
	if (strcmp(j->op, "zone") == 0) {
		printf("%s\n", j->zone);
		return 0;
	}
	if (j->pause > 0)
		sleep(j->pause);
	if (strcmp(j->op, "list") == 0 || j->current) {
		txt_set_cleanup(&j->old);
		rc = provider_list_txt(j->p, j->zone, j->name, &j->old, e);
		if (rc != 0 || strcmp(j->op, "list") == 0) {
			if (rc == 0)
				print_set(&j->old);
			return rc;
		}
	}
	if (!j->ttl_given)
		j->new.ttl = j->old.ttl != 0 ? j->old.ttl : 3600;
	if (strcmp(j->op, "replace") == 0)
		return provider_replace_txt(j->p, j->zone, j->name, &j->old,
		    &j->new, e);
	if (strcmp(j->op, "delete") == 0)
		return provider_delete_txt(j->p, j->zone, j->name, &j->old, e);
	die(2, "unknown operation %s", j->op);
}

int
main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct job j = { 0 };
	struct buf errors;
	struct provider_opts opts = { stdout, 10, 1 };
	struct err e;
	int rc = PROVIDER_ERR_PERM;

	util_set_progname("provider_driver");
	if (argc < 5)
		die(2, "usage: provider_driver CONFIG PROVIDER OP NAME ...");
	buf_init(&errors, 0);
	if (config_load(argv[1], &cfg, &errors) == -1)
		die(2, "%s", errors.data);
	buf_cleanup(&errors);
	j.op = argv[3];
	j.name = argv[4];
	parse_args(&j, argc - 5, argv + 5, &opts);
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, argv[2]) == 0)
			rc = provider_new(cfg, &cfg->providers[i], &opts, &j.p,
			    &e);
	if (j.p != NULL)
		rc = run(&j, &e);
	if (rc != PROVIDER_OK)
		fprintf(stderr, "%s\n", e.msg);
	provider_free(j.p);
	txt_set_cleanup(&j.old);
	txt_set_cleanup(&j.new);
	free(j.zone);
	config_free(cfg);
	return exit_code(rc);
}

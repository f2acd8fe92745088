#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/plan.h"
#include "common/util.h"
#include "keys/keys.h"

/* postern keys generate | list | record | rotate (DESIGN.md). */

struct keys_opts {
	const char *domain;
	const char *selector;
	bool zone;
	uint64_t grace; /* rotate: how long the old record stays (7d) */
};

/* Parse the options of a keys sub-command; -1: exit with *rc. */
static int
keys_parse(struct cli *cli, const char *sub, int argc, char **argv,
    struct keys_opts *o, int *rc)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "domain", 1, NULL, 'd' }, { "selector", 1, NULL, 's' },
		{ "zone", 0, NULL, 'z' }, { "grace", 1, NULL, 'g' },
		{ NULL, 0, NULL, 0 } };
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		switch (ch) {
		case 'd':
			o->domain = optarg;
			break;
		case 's':
			o->selector = optarg;
			break;
		case 'z':
			o->zone = true;
			break;
		case 'g':
			if (parse_duration(optarg, &o->grace) == -1) {
				*rc = cli_usage_error(cli, "keys",
				    "--grace: expected a duration such as 7d, "
				    "got \"%s\"",
				    optarg);
				return -1;
			}
			break;
		case 'h':
			printf("usage: %s keys generate|list [-c FILE] | keys "
			       "record --domain D --selector S [--zone]\n",
			    cli->prog);
			*rc = EXIT_OK;
			return -1;
		default:
			*rc = EXIT_USAGE;
			return -1;
		}
	}
	if (optind != argc) {
		*rc = cli_usage_error(cli, "keys",
		    "%s: unexpected argument \"%s\"", sub, argv[optind]);
		return -1;
	}
	return 0;
}

/* The algorithm's key size, for keys that do not exist yet. */
static int
keys_alg_bits(enum key_alg alg)
{
	static const int bits[] = { [KEY_ALG_RSA2048] = 2048,
		[KEY_ALG_RSA3072] = 3072,
		[KEY_ALG_ED25519] = 256 };

	return bits[alg];
}

/* Does the key file exist? -1 (and a message) when that cannot be told. */
static int
keys_exists(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	fprintf(stderr, "postern keys: %s: %s\n", path, strerror(errno));
	return -1;
}

/* Generate one configured key unless it exists; -1 on error. */
static int
keys_generate_one(const struct config *cfg, const char *domain,
    const struct dkim_cfg *d)
{
	char path[4096];
	struct err e;
	int exists;

	if (keys_path(cfg->state_dir, domain, d->selector, path,
	        sizeof(path)) == -1) {
		fprintf(stderr,
		    "postern keys generate: domain \"%s\" selector \"%s\": "
		    "not usable in a file name\n",
		    domain, d->selector);
		return -1;
	}
	if ((exists = keys_exists(path)) != 0)
		return exists == 1 ? 0 : -1;
	if (keys_generate(cfg->state_dir, domain, d->selector, d->algorithm,
	        &e) == -1) {
		fprintf(stderr, "postern keys generate: %s\n", e.msg);
		return -1;
	}
	printf("generated %s %s %s %s\n", domain, d->selector,
	    config_key_alg_name(d->algorithm), path);
	return 0;
}

int
keys_generate_missing(const struct config *cfg)
{
	int rc = EXIT_OK;

	for (size_t i = 0; i < cfg->ndomains; i++) {
		const struct domain_cfg *dom = &cfg->domains[i];

		for (size_t j = 0; j < dom->ndkim; j++)
			if (keys_generate_one(cfg, dom->name, &dom->dkim[j]) ==
			    -1)
				rc = EXIT_USAGE;
	}
	return rc;
}

/* One line of keys list: the key file's facts when it loads. */
static void
keys_list_one(const struct config *cfg, const char *domain,
    const struct dkim_cfg *d)
{
	const char *alg = config_key_alg_name(d->algorithm), *state;
	int bits = keys_alg_bits(d->algorithm), exists = -1;
	struct dkim_key *k = NULL;
	char path[4096] = "-";
	struct err e;

	if (keys_path(cfg->state_dir, domain, d->selector, path,
	        sizeof(path)) == 0)
		exists = keys_exists(path);
	if (exists == 1 &&
	    (k = keys_load(cfg->state_dir, domain, d->selector, &e)) == NULL)
		fprintf(stderr, "postern keys list: %s\n", e.msg);
	if (k != NULL) {
		alg = config_key_alg_name(keys_alg(k));
		bits = keys_bits(k);
	}
	state = exists == 0 ? "missing" : k != NULL ? "present" : "unusable";
	printf("%s %s %s %d %s %s\n", domain, d->selector, alg, bits, path,
	    state);
	keys_free(k);
}

/* keys list: every configured selector, with its key file's state. */
static int
keys_cmd_list(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->ndomains; i++) {
		const struct domain_cfg *dom = &cfg->domains[i];

		for (size_t j = 0; j < dom->ndkim; j++)
			keys_list_one(cfg, dom->name, &dom->dkim[j]);
	}
	return EXIT_OK;
}

/* keys record: the TXT value, or its zone-file line with --zone. */
static int
keys_cmd_record(struct cli *cli, const struct config *cfg,
    const struct keys_opts *o)
{
	struct dkim_key *k;
	char *txt, *z;
	struct err e;

	if (o->domain == NULL || o->selector == NULL)
		return cli_usage_error(cli, "keys record",
		    "--domain D and --selector S are required");
	if ((k = keys_load(cfg->state_dir, o->domain, o->selector, &e)) ==
	    NULL) {
		fprintf(stderr,
		    "postern keys record: %s (`postern keys generate` makes "
		    "the keys named in %s)\n",
		    e.msg, cfg->path);
		return EXIT_USAGE;
	}
	txt = keys_txt_record(k);
	keys_free(k);
	if (!o->zone) {
		printf("%s\n", txt);
	} else {
		z = keys_txt_zone_format(txt, strlen(txt));
		printf("%s._domainkey.%s. %llu IN TXT %s\n", o->selector,
		    o->domain, (unsigned long long)cfg->dns.ttl, z);
		free(z);
	}
	free(txt);
	return EXIT_OK;
}

int
cmd_keys(struct cli *cli, int argc, char **argv)
{
	struct keys_opts o = { NULL, NULL, false, 7 * 86400 };
	struct config *cfg;
	const char *sub;
	int rc = EXIT_OK;

	if (argc < 2)
		return cli_usage_error(cli, "keys",
		    "expected `keys generate|list|record|rotate`");
	sub = argv[1];
	if (strcmp(sub, "generate") != 0 && strcmp(sub, "rotate") != 0 &&
	    strcmp(sub, "list") != 0 && strcmp(sub, "record") != 0)
		return cli_usage_error(cli, "keys",
		    "unknown sub-command \"%s\" (expected generate, list, "
		    "record or rotate)",
		    sub);
	if (keys_parse(cli, sub, argc - 1, argv + 1, &o, &rc) == -1)
		return rc;
	if (strcmp(sub, "rotate") == 0) {
		if ((cfg = cli_load_config(cli)) == NULL)
			return EXIT_USAGE;
		rc = keys_rotate(cli, cfg, o.domain, o.selector, o.grace);
		config_free(cfg);
		return rc;
	}
	if (strcmp(sub, "record") != 0 &&
	    (o.domain != NULL || o.selector != NULL || o.zone))
		return cli_usage_error(cli, "keys",
		    "%s takes no --domain, --selector or --zone", sub);
	if ((cfg = cli_load_config(cli)) == NULL)
		return EXIT_USAGE;
	if (strcmp(sub, "generate") == 0)
		rc = keys_generate_missing(cfg);
	else if (strcmp(sub, "list") == 0)
		rc = keys_cmd_list(cfg);
	else
		rc = keys_cmd_record(cli, cfg, &o);
	config_free(cfg);
	return rc;
}

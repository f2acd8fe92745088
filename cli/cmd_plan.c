#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/check.h"
#include "cli/plan.h"
#include "common/util.h"
#include "dnscheck/report.h"
#include "keys/keys.h"
#include "provision/apply.h"

/* postern plan and postern apply. */

/* Ask posternd (if one runs) to reload: its gate checks again at once. */
void
plan_tell_daemon(const struct config *cfg)
{
	struct sockaddr_un sun;
	char reply[256];
	ssize_t n;
	int fd;

	if (cfg->relay.control[0] == '\0' ||
	    strlen(cfg->relay.control) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, cfg->relay.control, strlen(cfg->relay.control));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		printf("      posternd is not running (%s): it will check DNS "
		       "when it starts\n",
		    cfg->relay.control);
		if (fd != -1)
			close(fd);
		return;
	}
	if (write(fd, "reload\n", 7) == 7 &&
	    (n = read(fd, reply, sizeof(reply) - 1)) > 0)
		printf("      told posternd to reload and check DNS again\n");
	close(fd);
}

int
plan_session_open(struct cli *cli, struct plan_session *s, const char *domain)
{
	struct plan_opts po;
	struct resolver_opts ro;
	struct err e;

	memset(s, 0, sizeof(*s));
	if ((s->cfg = cli_load_config(cli)) == NULL)
		return EXIT_USAGE;
	resolver_opts_from_config(&ro, s->cfg);
	if ((s->r = resolver_new(&ro, &e)) == NULL) {
		fprintf(stderr, "%s: %s\n", cli->prog, e.msg);
		return EXIT_TEMP;
	}
	s->providers = xcalloc(s->cfg->nproviders + 1, sizeof(*s->providers));
	for (size_t i = 0; i < s->cfg->nproviders; i++) {
		if (provider_new(s->cfg, &s->cfg->providers[i], NULL,
		        &s->providers[i], &e) != PROVIDER_OK)
			fprintf(stderr, "%s: %s\n", cli->prog, e.msg);
	}
	po = (struct plan_opts){ s->cfg, s->providers, s->r, domain };
	if (plan_build(&po, &s->plan, &e) == -1) {
		fprintf(stderr, "%s: %s\n", cli->prog, e.msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

void
plan_session_close(struct plan_session *s)
{
	plan_cleanup(&s->plan);
	for (size_t i = 0; s->cfg != NULL && i < s->cfg->nproviders; i++)
		provider_free(s->providers[i]);
	free(s->providers);
	resolver_free(s->r);
	config_free(s->cfg);
	memset(s, 0, sizeof(*s));
}

int
plan_exit_code(const struct plan *p)
{
	int rc = EXIT_OK;

	for (size_t i = 0; i < p->n; i++) {
		if (p->domains[i].error == PROVIDER_ERR_TEMP)
			return EXIT_TEMP;
		if (p->domains[i].refused)
			rc = EXIT_FAIL;
	}
	return rc != EXIT_OK || !plan_has_changes(p) ? rc : EXIT_FAIL;
}

/* -c, --resolver, --domain and the flags of apply. */
static int
parse_opts(struct cli *cli, const char *cmd, int argc, char **argv,
    struct plan_flags *f)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "domain", 1, NULL, 'd' }, { "yes", 0, NULL, 'y' },
		{ "dry-run", 0, NULL, 'n' }, { "no-wait", 0, NULL, 'W' },
		{ NULL, 0, NULL, 0 } };
	bool apply = strcmp(cmd, "plan") != 0;
	int ch;

	memset(f, 0, sizeof(*f));
	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "y", opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		if (ch == 'd')
			f->domain = optarg;
		else if (ch == 'y' && apply)
			f->yes = true;
		else if (ch == 'n' && apply)
			f->dry_run = true;
		else if (ch == 'W' && apply)
			f->no_wait = true;
		else if (ch == 'h')
			return -1;
		else
			return cli_usage_error(cli, cmd, "usage: %s",
			    apply ? "apply [-c FILE] [--domain D] [--yes] "
			            "[--dry-run] [--no-wait]"
			          : "plan [-c FILE] [--domain D]");
	}
	if (optind != argc)
		return cli_usage_error(cli, cmd, "unexpected argument \"%s\"",
		    argv[optind]);
	return EXIT_OK;
}

int
cmd_plan(struct cli *cli, int argc, char **argv)
{
	struct plan_session s;
	struct plan_flags f;
	int rc;

	if ((rc = parse_opts(cli, "plan", argc, argv, &f)) != EXIT_OK) {
		if (rc == -1)
			printf("usage: %s plan [-c FILE] [--domain D]\n",
			    cli->prog);
		return rc == -1 ? EXIT_OK : rc;
	}
	if ((rc = plan_session_open(cli, &s, f.domain)) == EXIT_OK) {
		plan_print(&s.plan, stdout);
		rc = plan_exit_code(&s.plan);
	}
	plan_session_close(&s);
	return rc;
}

/* Ask on the terminal; without one, --yes is implied by the caller. */
static bool
confirm(const char *question)
{
	char line[16];

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

/* Run the checker over the applied domains; the worst status's exit code. */
int
plan_verify(struct plan_session *s, FILE *out)
{
	struct report_opts ro;
	struct report rep;
	struct buf text;
	struct err e;
	int rc = EXIT_OK;

	for (size_t i = 0; i < s->plan.n; i++) {
		const struct domain_plan *dp = &s->plan.domains[i];
		struct resolver_opts rop;
		struct resolver *r;

		if (dp->refused)
			continue;
		resolver_opts_from_config(&rop, s->cfg);
		if ((r = resolver_new(&rop, &e)) == NULL)
			return EXIT_TEMP;
		ro = (struct report_opts){ s->cfg, r, (uint64_t)time(NULL),
			dp->dc->name, keys_local_public_b64,
			(void *)(uintptr_t)s->cfg->state_dir };
		if (report_run(&ro, &rep, &e) == 0) {
			buf_init(&text, 0);
			if (report_format(&rep, &text) == 0)
				fputs(text.data, out);
			buf_cleanup(&text);
			if (rep.status == CHECK_FAIL)
				rc = EXIT_FAIL;
			else if (rep.status == CHECK_TEMPERROR && rc == EXIT_OK)
				rc = EXIT_TEMP;
			report_cleanup(&rep);
		}
		resolver_free(r);
	}
	return rc;
}

static int
outcome_exit(enum apply_outcome a)
{
	return a == APPLY_OK     ? EXIT_OK
	       : a == APPLY_FAIL ? EXIT_FAIL
	                         : EXIT_TEMP;
}

/* Confirm, apply, wait: the steps shared by apply and migrate. */
int
plan_apply(struct cli *cli, struct plan_session *s, const struct plan_flags *f)
{
	struct apply_opts ao = { s->cfg, s->r, stderr, isatty(STDERR_FILENO),
		0 };
	enum apply_outcome a, w;

	(void)cli;
	if (plan_has_changes(&s->plan) && !f->yes && isatty(STDIN_FILENO) &&
	    !confirm("Apply these changes?")) {
		fprintf(stderr, "nothing changed\n");
		return EXIT_FAIL;
	}
	a = apply_changes(&s->plan, &ao);
	if (f->no_wait)
		return outcome_exit(a);
	w = apply_wait(&s->plan, &ao);
	return outcome_exit(w > a ? w : a);
}

int
cmd_apply(struct cli *cli, int argc, char **argv)
{
	struct plan_session s;
	struct plan_flags f;
	int rc;

	if ((rc = parse_opts(cli, "apply", argc, argv, &f)) != EXIT_OK) {
		if (rc == -1)
			printf("usage: %s apply [-c FILE] [--domain D] [--yes] "
			       "[--dry-run] [--no-wait]\n",
			    cli->prog);
		return rc == -1 ? EXIT_OK : rc;
	}
	if ((rc = plan_session_open(cli, &s, f.domain)) != EXIT_OK) {
		plan_session_close(&s);
		return rc;
	}
	plan_print(&s.plan, stdout);
	if (f.dry_run) {
		rc = plan_exit_code(&s.plan);
	} else {
		if (!plan_has_changes(&s.plan))
			printf("nothing to change\n");
		rc = plan_apply(cli, &s, &f);
		if (!f.no_wait && rc != EXIT_TEMP) {
			int v = plan_verify(&s, stdout);

			rc = v > rc ? v : rc;
		}
	}
	plan_session_close(&s);
	return rc;
}

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli/cli.h"
#include "common/util.h"
#include "dnscheck/report.h"
#include "keys/keys.h"

/*
 * postern watch: the checks of `postern check` on a schedule. Every change
 * of a domain's status, or of one of its checks, is printed, appended to
 * state_dir/watch.log (one JSON object a line) and sent to each of
 * notify.webhooks as JSON that Slack and Microsoft Teams incoming webhooks
 * accept ({"text": ...}, with the details beside it).
 */

#define WEBHOOK_TRIES 3

static volatile sig_atomic_t watch_stop;

static void
on_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* "ok", "warn"... of each domain and check, as the last run saw them. */
static json_t *
snapshot_of(const struct report *rep)
{
	json_t *all = json_object();

	for (size_t i = 0; i < rep->n; i++) {
		const struct domain_report *d = &rep->domains[i];
		json_t *o = json_object();

		json_object_set_new(o, "status",
		    json_string(report_status_name(d->status)));
		for (size_t k = 0; k < d->n; k++) {
			const struct check_item *it = &d->items[k];
			char key[128];

			snprintf(key, sizeof(key), "%s%s%s%s%s",
			    report_kind_name(it->kind), it->selector ? " " : "",
			    it->selector ? it->selector : "", it->ip ? " " : "",
			    it->ip ? it->ip : "");
			json_object_set_new(o, key,
			    json_string(report_status_name(it->status)));
		}
		json_object_set_new(all, d->name, o);
	}
	return all;
}

/* POST body to url, retried with backoff; 0 when a 2xx came back. */
static int
webhook_post(const char *url, const char *body)
{
	for (int attempt = 0; attempt < WEBHOOK_TRIES; attempt++) {
		CURL *h = curl_easy_init();
		struct curl_slist *hdr =
		    curl_slist_append(NULL, "Content-Type: application/json");
		long status = 0;
		CURLcode rc;

		if (h == NULL)
			return -1;
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(hdr);
		curl_easy_cleanup(h);
		if (rc == CURLE_OK && status / 100 == 2)
			return 0;
		fprintf(stderr,
		    "postern watch: webhook %s: %s (try %d of %d)\n", url,
		    rc != CURLE_OK ? curl_easy_strerror(rc)
		                   : "not a 2xx answer",
		    attempt + 1, WEBHOOK_TRIES);
		sleep(1u << attempt);
	}
	return -1;
}

/* One change: print it, log it, notify. */
static void
announce(const struct config *cfg, const char *domain, const char *what,
    const char *from, const char *to)
{
	char *text = xasprintf("Postern: %s %s changed from %s to %s", domain,
	    what, from != NULL ? from : "(none)", to != NULL ? to : "(gone)");
	char *path = xasprintf("%s/watch.log", cfg->state_dir);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:I}", "text", text,
	    "domain", domain, "check", what, "from", from, "to", to, "time",
	    (json_int_t)time(NULL));
	char *body = json_dumps(j, JSON_COMPACT);
	FILE *f;

	printf("%s\n", text);
	fflush(stdout);
	if (mkdir_p(cfg->state_dir, 0700, NULL) == 0 &&
	    (f = fopen(path, "a")) != NULL) {
		fprintf(f, "%s\n", body);
		fclose(f);
	}
	for (size_t i = 0; i < cfg->notify.webhooks.n; i++)
		if (webhook_post(cfg->notify.webhooks.v[i], body) == -1)
			fprintf(stderr, "postern watch: giving up on %s\n",
			    cfg->notify.webhooks.v[i]);
	free(body);
	json_decref(j);
	free(path);
	free(text);
}

/* Announce every difference between the previous and the new snapshot. */
static void
compare(const struct config *cfg, json_t *prev, json_t *now)
{
	const char *dom, *key;
	json_t *d, *v;

	json_object_foreach(now, dom, d)
	{
		json_t *pd = json_object_get(prev, dom);

		json_object_foreach(d, key, v)
		{
			json_t *pv =
			    pd != NULL ? json_object_get(pd, key) : NULL;

			if (pv == NULL || !json_equal(pv, v))
				announce(cfg, dom, key,
				    pv != NULL ? json_string_value(pv) : NULL,
				    json_string_value(v));
		}
	}
}

/* One run: check, compare with the recorded state, record the new one. */
static int
watch_once(const struct config *cfg)
{
	char *path = xasprintf("%s/watch.json", cfg->state_dir);
	struct resolver_opts ro;
	struct report_opts o;
	struct report rep;
	struct resolver *r;
	struct err e;
	json_t *prev, *now;
	int rc;

	resolver_opts_from_config(&ro, cfg);
	if ((r = resolver_new(&ro, &e)) == NULL) {
		fprintf(stderr, "postern watch: %s\n", e.msg);
		free(path);
		return EXIT_TEMP;
	}
	o = (struct report_opts){ cfg, r, (uint64_t)time(NULL), NULL,
		keys_local_public_b64, (void *)(uintptr_t)cfg->state_dir };
	rc = report_run(&o, &rep, &e) == 0 ? EXIT_OK : EXIT_USAGE;
	resolver_free(r);
	if (rc != EXIT_OK) {
		free(path);
		return rc;
	}
	prev = json_load_file(path, 0, NULL);
	now = snapshot_of(&rep);
	if (prev == NULL)
		printf("postern watch: first run: recorded the state of %zu "
		       "domain%s (changes from now on are reported)\n",
		    rep.n, rep.n == 1 ? "" : "s");
	else
		compare(cfg, prev, now);
	if (mkdir_p(cfg->state_dir, 0700, &e) == -1 ||
	    json_dump_file(now, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
		fprintf(stderr, "postern watch: cannot write %s\n", path);
	rc = rep.status == CHECK_FAIL        ? EXIT_FAIL
	     : rep.status == CHECK_TEMPERROR ? EXIT_TEMP
	                                     : EXIT_OK;
	json_decref(prev);
	json_decref(now);
	report_cleanup(&rep);
	free(path);
	return rc;
}

int
cmd_watch(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "interval", 1, NULL, 'i' }, { "once", 0, NULL, '1' },
		{ NULL, 0, NULL, 0 } };
	uint64_t interval = 3600;
	bool once = false;
	struct config *cfg;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		if (ch == 'i' &&
		    (parse_duration(optarg, &interval) == -1 || interval == 0))
			return cli_usage_error(cli, "watch",
			    "--interval: expected a duration such as 15m or "
			    "1h, got \"%s\"",
			    optarg);
		else if (ch == '1')
			once = true;
		else if (ch != 'i')
			return cli_usage_error(cli, "watch",
			    "usage: watch [-c FILE] [--interval 1h] [--once]");
	}
	if ((cfg = cli_load_config(cli)) == NULL)
		return EXIT_USAGE;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (;;) {
		rc = watch_once(cfg);
		if (once || rc == EXIT_USAGE)
			break;
		for (uint64_t s = 0; s < interval && !watch_stop; s++)
			sleep(1);
		if (watch_stop) {
			rc = EXIT_OK;
			break;
		}
	}
	curl_global_cleanup();
	config_free(cfg);
	return rc;
}

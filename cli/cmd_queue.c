#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/util.h"

/*
 * postern queue list|show ID|delete ID|hold ID|release ID|flush [--json]:
 * one request over relay.control (protocol in relayd/control.h).
 */

#define QUEUE_ANSWER_MAX (64 * 1024 * 1024)

static const struct {
	const char *verb;
	bool needs_id;
} verbs[] = {
	{ "list", false },
	{ "flush", false },
	{ "show", true },
	{ "delete", true },
	{ "hold", true },
	{ "release", true },
};

/* Send request, read the whole answer into out. -1 with a message. */
static int
ask(const char *path, const char *request, struct buf *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char chunk[4096];
	ssize_t n;
	int fd;

	if (str_copy(sun.sun_path, sizeof(sun.sun_path), path) == -1) {
		fprintf(stderr,
		    "postern queue: relay.control: path too long\n");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr,
		    "postern queue: cannot reach posternd at %s: %s (is it "
		    "running?)\n",
		    path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (write(fd, request, strlen(request)) != (ssize_t)strlen(request))
		goto io;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(out, chunk, (size_t)n) == -1)
			goto io;
	if (n == -1)
		goto io;
	close(fd);
	return 0;
io:
	fprintf(stderr, "postern queue: %s: %s\n", path,
	    errno != 0 ? strerror(errno) : "answer too long");
	close(fd);
	return -1;
}

/* "5m", "3h", "2d" for an age in seconds. */
static void
format_age(int64_t s, char *dst, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(dst, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(dst, len, "%lldm", (long long)s / 60);
	else if (s < 86400)
		snprintf(dst, len, "%lldh", (long long)s / 3600);
	else
		snprintf(dst, len, "%lldd", (long long)s / 86400);
}

/* "ID SIZE AGE FROM RCPTS STATE" (RCPTS comma-separated). */
static void
print_line(json_t *m)
{
	json_t *r;
	size_t i;
	const char *from = json_string_value(json_object_get(m, "from"));
	char age[32];

	format_age((int64_t)time(NULL) -
	               json_integer_value(json_object_get(m, "created")),
	    age, sizeof(age));
	printf("%s %lld %s <%s> ", json_string_value(json_object_get(m, "id")),
	    (long long)json_integer_value(json_object_get(m, "size")), age,
	    from != NULL ? from : "");
	json_array_foreach(json_object_get(m, "recipients"), i, r)
	    printf("%s%s", i > 0 ? "," : "",
	        json_string_value(json_object_get(r, "address")));
	printf(" %s\n", json_string_value(json_object_get(m, "state")));
}

/* show ID without --json. */
static void
print_show(json_t *m)
{
	json_t *r;
	size_t i;

	print_line(m);
	printf("client: %s\n", json_string_value(json_object_get(m, "client")));
	if (json_object_get(m, "user") != NULL)
		printf("user: %s\n",
		    json_string_value(json_object_get(m, "user")));
	json_array_foreach(json_object_get(m, "recipients"), i, r)
	{
		const char *last =
		    json_string_value(json_object_get(r, "last_reply"));

		printf("rcpt: <%s> %s attempts=%lld next=%lld%s%s\n",
		    json_string_value(json_object_get(r, "address")),
		    json_string_value(json_object_get(r, "state")),
		    (long long)json_integer_value(
		        json_object_get(r, "attempts")),
		    (long long)json_integer_value(
		        json_object_get(r, "next_attempt")),
		    last != NULL ? " last=" : "", last != NULL ? last : "");
	}
}

/* Print the daemon's answer for verb; the exit code. */
static int
print_answer(const char *verb, const char *id, json_t *a, bool json)
{
	json_t *v;
	size_t i;

	if (!json_is_true(json_object_get(a, "ok"))) {
		fprintf(stderr, "postern queue %s%s%s: %s\n", verb,
		    id != NULL ? " " : "", id != NULL ? id : "",
		    json_string_value(json_object_get(a, "error")));
		return EXIT_FAIL;
	}
	v = strcmp(verb, "list") == 0   ? json_object_get(a, "messages")
	    : strcmp(verb, "show") == 0 ? json_object_get(a, "message")
	                                : a;
	if (json) {
		char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", s);
		free(s);
	} else if (strcmp(verb, "list") == 0) {
		json_array_foreach(v, i, a) print_line(a);
	} else if (strcmp(verb, "show") == 0) {
		print_show(v);
	} else {
		printf("%s: %lld message%s\n", verb,
		    (long long)json_integer_value(json_object_get(v, "count")),
		    json_integer_value(json_object_get(v, "count")) == 1 ? ""
		                                                         : "s");
	}
	return EXIT_OK;
}

/* Parse the options; the verb index and id. */
static int
parse_args(struct cli *cli, int argc, char **argv, bool *json, size_t *vi,
    const char **id)
{
	static const struct option opts[] = { CLI_COMMON_LONGOPTS,
		{ "json", 0, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	int ch;

	while ((ch = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts,
	            NULL)) != -1) {
		if (cli_common_opt(cli, ch, optarg))
			continue;
		if (ch == 'j') {
			*json = true;
			continue;
		}
		if (ch == 'h') {
			printf("usage: %s queue list|show ID|flush|delete "
			       "ID|hold "
			       "ID|release ID [--json] [-c FILE]\n",
			    cli->prog);
			exit(EXIT_OK);
		}
		return -1;
	}
	if (optind >= argc)
		return cli_usage_error(cli, "queue",
		           "expected list, show ID, flush, delete ID, hold ID "
		           "or release ID"),
		       -1;
	for (*vi = 0; *vi < NELEM(verbs); (*vi)++)
		if (strcmp(argv[optind], verbs[*vi].verb) == 0)
			break;
	if (*vi == NELEM(verbs))
		return cli_usage_error(cli, "queue", "unknown action \"%s\"",
		           argv[optind]),
		       -1;
	*id =
	    verbs[*vi].needs_id && optind + 1 < argc ? argv[optind + 1] : NULL;
	if ((verbs[*vi].needs_id && *id == NULL) ||
	    optind + 1 + (verbs[*vi].needs_id ? 1 : 0) != argc)
		return cli_usage_error(cli, "queue",
		           "usage: queue %s%s [--json]", verbs[*vi].verb,
		           verbs[*vi].needs_id ? " ID" : ""),
		       -1;
	return 0;
}

int
cmd_queue(struct cli *cli, int argc, char **argv)
{
	const char *id = NULL;
	struct config *cfg;
	json_error_t jerr;
	struct buf answer;
	char request[300];
	bool json = false;
	size_t vi = 0;
	json_t *a;
	int rc;

	if (parse_args(cli, argc, argv, &json, &vi, &id) == -1)
		return EXIT_USAGE;
	if ((cfg = cli_load_config(cli)) == NULL)
		return EXIT_USAGE;
	snprintf(request, sizeof(request), "%s%s%s\n", verbs[vi].verb,
	    id != NULL ? " " : "", id != NULL ? id : "");
	buf_init(&answer, QUEUE_ANSWER_MAX);
	rc = ask(cfg->relay.control, request, &answer);
	config_free(cfg);
	if (rc == -1) {
		buf_cleanup(&answer);
		return EXIT_FAIL;
	}
	a = json_loadb(answer.data != NULL ? answer.data : "", answer.len, 0,
	    &jerr);
	buf_cleanup(&answer);
	if (a == NULL) {
		fprintf(stderr, "postern queue: bad answer from posternd: %s\n",
		    jerr.text);
		return EXIT_FAIL;
	}
	rc = print_answer(verbs[vi].verb, id, a, json);
	json_decref(a);
	return rc;
}

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "common/log.h"
#include "common/util.h"
#include "relayd/control.h"
#include "relayd/delivery.h"
#include "relayd/queue.h"
#include "relayd/server.h"

#define CONTROL_LINE_MAX 256

struct control {
	struct server *srv;
	struct evconnlistener *l;
	char *path;
};

static json_t *
rcpt_json(const struct queue_rcpt *r)
{
	static const char *const names[] = { "pending", "done", "failed" };
	json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "address", r->addr,
	    "state", names[r->state], "attempts", (json_int_t)r->attempts,
	    "next_attempt", (json_int_t)r->next_attempt);

	if (r->last_reply != NULL)
		json_object_set_new(o, "last_reply",
		    json_string(r->last_reply));
	return o;
}

static json_t *
env_json(const struct queue_env *env)
{
	json_t *rcpts = json_array();
	json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "id", env->id,
	    "size", (json_int_t)env->size, "created", (json_int_t)env->created,
	    "state", queue_state_name(env->state), "from", env->from, "client",
	    env->client);

	if (env->user != NULL)
		json_object_set_new(o, "user", json_string(env->user));
	for (size_t i = 0; i < env->nrcpt; i++)
		json_array_append_new(rcpts, rcpt_json(&env->rcpt[i]));
	json_object_set_new(o, "recipients", rcpts);
	return o;
}

static int
by_created(const void *a, const void *b)
{
	json_int_t x =
	    json_integer_value(json_object_get(*(json_t *const *)a, "created"));
	json_int_t y =
	    json_integer_value(json_object_get(*(json_t *const *)b, "created"));

	return x < y ? -1 : x > y;
}

/* Every message of the queue, oldest first. */
static json_t *
list_json(const char *path)
{
	json_t **v = NULL, *arr = json_array();
	size_t n = 0, cap = 0;
	struct queue_env env;
	struct dirent *de;
	struct err e;
	char id[QUEUE_ID_LEN + 1];
	DIR *d = opendir(path);

	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len != QUEUE_ID_LEN + 4 ||
		    strcmp(de->d_name + QUEUE_ID_LEN, ".env") != 0)
			continue;
		memcpy(id, de->d_name, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		if (queue_env_read(path, id, &env, &e) == -1)
			continue; /* removed meanwhile, or logged elsewhere */
		v = xreallocarray(v, &cap, n + 1, sizeof(*v));
		v[n++] = env_json(&env);
		queue_env_cleanup(&env);
	}
	if (d != NULL)
		closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_created);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	return arr;
}

/* Change one message's state: hold, release or flush. */
static int
set_state(const char *path, const char *id, const char *op, struct err *e)
{
	struct queue_env env;
	int rc;

	if (queue_env_read(path, id, &env, e) == -1)
		return -1;
	if (strcmp(op, "hold") == 0) {
		env.state = QUEUE_HELD;
	} else if (strcmp(op, "release") == 0 || env.state != QUEUE_HELD) {
		env.state = QUEUE_QUEUED;
		for (size_t i = 0; i < env.nrcpt; i++)
			env.rcpt[i].next_attempt = 0;
	}
	rc = queue_env_write(path, &env, e);
	queue_env_cleanup(&env);
	return rc;
}

/* flush: every message not held is due now. */
static json_t *
flush_all(const char *path)
{
	json_t *list = list_json(path), *m;
	size_t i, n = 0;
	struct err e;

	json_array_foreach(list, i, m)
	{
		if (strcmp(json_string_value(json_object_get(m, "state")),
		        "held") != 0 &&
		    set_state(path, json_string_value(json_object_get(m, "id")),
		        "flush", &e) == 0)
			n++;
	}
	json_decref(list);
	return json_pack("{s:b, s:I}", "ok", 1, "count", (json_int_t)n);
}

static json_t *
fail_json(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

/* One request: verb and optional id. */
static json_t *
handle(const char *path, const char *verb, const char *id)
{
	struct queue_env env;
	struct err e;

	if (strcmp(verb, "list") == 0 && id == NULL)
		return json_pack("{s:b, s:o}", "ok", 1, "messages",
		    list_json(path));
	if (strcmp(verb, "flush") == 0 && id == NULL)
		return flush_all(path);
	if (id == NULL || !queue_id_is_valid(id))
		return fail_json("expected list, flush, or show|delete|hold|"
		                 "release with a queue id");
	if (strcmp(verb, "show") == 0) {
		if (queue_env_read(path, id, &env, &e) == -1)
			return fail_json("no such message in the queue");
		json_t *o =
		    json_pack("{s:b, s:o}", "ok", 1, "message", env_json(&env));
		queue_env_cleanup(&env);
		return o;
	}
	if (strcmp(verb, "delete") == 0 || strcmp(verb, "hold") == 0 ||
	    strcmp(verb, "release") == 0) {
		if ((strcmp(verb, "delete") == 0
		            ? queue_remove(path, id, false, &e)
		            : set_state(path, id, verb, &e)) == -1)
			return fail_json("no such message in the queue");
		log_info("event=control action=%s id=%s result=ok", verb, id);
		return json_pack("{s:b, s:i}", "ok", 1, "count", 1);
	}
	return fail_json("unknown request");
}

char *
control_handle(const char *queue_path, const char *line, size_t len)
{
	char buf[CONTROL_LINE_MAX], *sp, *text;
	json_t *o;

	if (len >= sizeof(buf) || memchr(line, '\0', len) != NULL)
		o = fail_json("request too long");
	else {
		memcpy(buf, line, len);
		buf[len] = '\0';
		sp = strchr(buf, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		o = handle(queue_path, buf, sp);
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

/* Answer sent: close. */
static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_free(bev);
}

/* One request line in; the answer out. */
static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control *ctl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	char *answer;

	if (line == NULL) {
		if (evbuffer_get_length(in) > CONTROL_LINE_MAX)
			bufferevent_free(bev);
		return;
	}
	if (strcmp(line, "reload") == 0) {
		/* postern migrate: the DNS changed, check it again now. */
		server_reload(ctl->srv);
		answer = xstrdup("{\"ok\": true}");
	} else {
		answer = control_handle(ctl->srv->queue_path, line, len);
	}
	/* The queue may have changed on disk: let the delivery engine look. */
	if (strncmp(line, "list", 4) != 0 && strncmp(line, "show", 4) != 0)
		delivery_kick(ctl->srv->delivery);
	free(line);
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, control_write_cb, control_event_cb, ctl);
	evbuffer_add_printf(bufferevent_get_output(bev), "%s\n", answer);
	free(answer);
}

static void
control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control *ctl = arg;
	struct bufferevent *bev;
	struct timeval tv = { 10, 0 };

	(void)l;
	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(ctl->srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, control_read_cb, NULL, control_event_cb, ctl);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct control *
control_new(struct server *srv, const char *path, struct err *e)
{
	struct sockaddr_un sun;
	struct control *ctl;
	char *dir, *slash;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, sizeof(sun.sun_path), path) == -1) {
		err_set(e, "relay.control: \"%s\": path too long", path);
		return NULL;
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0755, e) == -1) {
			free(dir);
			return NULL;
		}
	}
	free(dir);
	unlink(path); /* a stale socket from an earlier run */
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->srv = srv;
	ctl->path = xstrdup(path);
	old = umask(0177);
	ctl->l = evconnlistener_new_bind(srv->base, control_accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, (int)sizeof(sun));
	umask(old);
	if (ctl->l == NULL || chmod(path, 0600) == -1) {
		err_set(e, "relay.control: cannot listen on %s: %s", path,
		    strerror(errno));
		control_free(ctl);
		return NULL;
	}
	log_info("event=listen control=%s", path);
	return ctl;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	if (ctl->l != NULL) {
		evconnlistener_free(ctl->l);
		unlink(ctl->path);
	}
	free(ctl->path);
	free(ctl);
}

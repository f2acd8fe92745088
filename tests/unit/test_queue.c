#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "common/util.h"
#include "relayd/control.h"
#include "relayd/queue.h"
#include "unit.h"

static char *
tmpdir(void)
{
	char *dir = unit_tmp_make("postern-queue");

	assert_non_null(dir);
	return dir;
}

static void
rmdir_all(const char *dir)
{
	assert_int_equal(unit_tmp_remove(dir), 0);
}

static void
sample(struct queue_env *env)
{
	memset(env, 0, sizeof(*env));
	memcpy(env->id, "0123456789abcdef", QUEUE_ID_LEN + 1);
	env->created = 1700000000;
	env->state = QUEUE_DEFERRED;
	env->size = 1234;
	env->from = xstrdup("");
	env->client = xstrdup("192.0.2.7");
	env->user = xstrdup("crm");
	queue_env_add_rcpt(env, "a@dest.example");
	queue_env_add_rcpt(env, "b@dest.example");
	env->rcpt[1].state = QUEUE_RCPT_FAILED;
	env->rcpt[1].attempts = 3;
	env->rcpt[1].next_attempt = 1700000600;
	env->rcpt[1].last_reply = xstrdup("550 5.1.1 no\r\nsuch user");
}

static void
test_env_round_trip(void **state)
{
	struct queue_env env, back;
	struct err e;
	size_t len;
	char *text;

	(void)state;
	sample(&env);
	text = queue_env_format(&env, &len);
	assert_string_equal(text,
	    "version 1\nid 0123456789abcdef\ncreated 1700000000\n"
	    "state deferred\nsize 1234\nfrom <>\nclient 192.0.2.7\n"
	    "user crm\nrcpt pending 0 0 a@dest.example\n"
	    "rcpt failed 3 1700000600 b@dest.example 550 5.1.1 no  such "
	    "user\n");
	assert_int_equal(queue_env_parse(text, len, &back, &e), 0);
	assert_string_equal(back.from, "");
	assert_string_equal(back.user, "crm");
	assert_int_equal(back.state, QUEUE_DEFERRED);
	assert_int_equal(back.nrcpt, 2);
	assert_int_equal(back.rcpt[1].attempts, 3);
	assert_string_equal(back.rcpt[1].last_reply, "550 5.1.1 no  such user");
	queue_env_cleanup(&back);
	free(text);
	queue_env_cleanup(&env);
}

static void
test_env_errors(void **state)
{
	struct queue_env env;
	struct err e;
	const char *t;

	(void)state;
	t = "version 1\nid 0123456789abcdef\nfoo bar\n";
	assert_int_equal(queue_env_parse(t, strlen(t), &env, &e), -1);
	assert_string_equal(e.msg, "line 3: bad \"foo\" line");
	t = "version 2\n";
	assert_int_equal(queue_env_parse(t, strlen(t), &env, &e), -1);
	assert_string_equal(e.msg, "line 1: bad \"version\" line");
	t = "version 1\nid 0123456789abcdef";
	assert_int_equal(queue_env_parse(t, strlen(t), &env, &e), -1);
	assert_string_equal(e.msg, "line 2: no newline at the end");
	t = "version 1\nid 0123456789abcdef\nfrom <>\nclient x\n";
	assert_int_equal(queue_env_parse(t, strlen(t), &env, &e), -1);
	assert_string_equal(e.msg, "id, from, client or rcpt missing");
	t = "rcpt maybe 0 0 a@b\n";
	assert_int_equal(queue_env_parse(t, strlen(t), &env, &e), -1);
	assert_false(queue_id_is_valid("0123456789ABCDEF"));
	assert_false(queue_id_is_valid("../../etc/passwd"));
}

static void
touch(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static bool
exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	bool ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

/* The sample message, committed in dir (envelope and data). */
static void
queued_sample(const char *dir, struct queue_env *env)
{
	struct err e;

	sample(env);
	assert_int_equal(queue_env_write(dir, env, &e), 0);
	touch(dir, "0123456789abcdef.msg", "From: a@b\r\n\r\nx\r\n");
}

static void
test_recover_and_control(void **state)
{
	char *dir = tmpdir(), *answer;
	struct queue_env env;
	struct err e;

	(void)state;
	queued_sample(dir, &env);
	touch(dir, "00000000000000aa.msg", "half");
	touch(dir, "00000000000000bb.env", "orphan");
	touch(dir, "00000000000000cc.env.tmp.99", "x");
	assert_int_equal(queue_recover(dir, &e), 1);
	assert_false(exists(dir, "00000000000000aa.msg"));
	assert_false(exists(dir, "00000000000000bb.env"));
	assert_false(exists(dir, "00000000000000cc.env.tmp.99"));
	assert_true(exists(dir, "0123456789abcdef.msg"));

	answer = control_handle(dir, "hold 0123456789abcdef", 21);
	assert_string_equal(answer, "{\"ok\":true,\"count\":1}");
	free(answer);
	queue_env_cleanup(&env);
	assert_int_equal(queue_env_read(dir, "0123456789abcdef", &env, &e), 0);
	assert_int_equal(env.state, QUEUE_HELD);
	answer = control_handle(dir, "show 0000000000000000", 21);
	assert_string_equal(answer,
	    "{\"ok\":false,\"error\":\"no such message in the queue\"}");
	free(answer);
	answer = control_handle(dir, "frob", 4);
	assert_string_equal(answer,
	    "{\"ok\":false,\"error\":\"expected list, flush, or "
	    "show|delete|hold|release with a queue id\"}");
	free(answer);
	answer = control_handle(dir, "delete 0123456789abcdef", 23);
	free(answer);
	answer = control_handle(dir, "list", 4);
	assert_string_equal(answer, "{\"ok\":true,\"messages\":[]}");
	free(answer);
	assert_false(exists(dir, "0123456789abcdef.msg"));
	queue_env_cleanup(&env);
	rmdir_all(dir);
	free(dir);
}

/* Removal in two steps (queue_forget, then queue_remove with forgotten);
 * a crash between them leaves data that recovery removes. */
static void
test_forget_then_remove(void **state)
{
	char *dir = tmpdir();
	struct queue_env env;
	struct err e;

	(void)state;
	queued_sample(dir, &env);
	assert_int_equal(queue_forget(dir, "0123456789abcdef", &e), 0);
	assert_false(exists(dir, "0123456789abcdef.env"));
	assert_true(exists(dir, "0123456789abcdef.msg"));
	/* Forgotten is gone for everyone else already. */
	assert_int_equal(queue_env_read(dir, "0123456789abcdef", &env, &e), -1);
	assert_int_equal(queue_forget(dir, "0123456789abcdef", &e), -1);
	assert_int_equal(queue_forget(dir, "../x", &e), -1);
	assert_int_equal(queue_remove(dir, "0123456789abcdef", true, &e), 0);
	assert_false(exists(dir, "0123456789abcdef.msg"));
	/* Not forgotten: the envelope must be there. */
	assert_int_equal(queue_remove(dir, "0123456789abcdef", false, &e), -1);
	/* The crash in between: recovery drops the data. */
	assert_int_equal(queue_env_write(dir, &env, &e), 0);
	touch(dir, "0123456789abcdef.msg", "From: a@b\r\n\r\nx\r\n");
	assert_int_equal(queue_forget(dir, "0123456789abcdef", &e), 0);
	assert_int_equal(queue_recover(dir, &e), 0);
	assert_false(exists(dir, "0123456789abcdef.msg"));
	queue_env_cleanup(&env);
	rmdir_all(dir);
	free(dir);
}

struct done {
	int calls;
	bool ok;
	struct event_base *base;
};

static void
done_cb(uint64_t token, const char *id, bool ok, void *arg)
{
	struct done *d = arg;

	(void)id;
	assert_int_equal(token, 42 + d->calls);
	d->ok = ok;
	if (++d->calls == 2)
		event_base_loopexit(d->base, NULL);
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static void
test_writer(void **state)
{
	char *dir = tmpdir();
	struct done d = { 0 };
	struct timeval tv = { 10, 0 };
	struct event *guard;
	struct queue_env env;
	struct queue *q;
	struct err e;

	(void)state;
	assert_int_equal(evthread_use_pthreads(), 0);
	d.base = event_base_new();
	q = queue_new(d.base, dir, done_cb, &d, &e);
	assert_non_null(q);
	sample(&env);
	queue_submit(q, 42, &env, xstrdup("From: a@b\r\n\r\n1\r\n"), 17);
	memcpy(env.id, "fedcba9876543210", QUEUE_ID_LEN + 1);
	queue_submit(q, 43, &env, xstrdup("From: a@b\r\n\r\n2\r\n"), 17);
	/* A guard timer keeps the loop running until the writer reports. */
	guard = evtimer_new(d.base, guard_cb, d.base);
	evtimer_add(guard, &tv);
	event_base_dispatch(d.base);
	event_free(guard);
	assert_int_equal(d.calls, 2);
	assert_true(d.ok);
	assert_true(exists(dir, "0123456789abcdef.env"));
	assert_true(exists(dir, "fedcba9876543210.msg"));
	assert_int_equal(queue_recover(dir, &e), 2);
	queue_free(q);
	event_base_free(d.base);
	queue_env_cleanup(&env);
	rmdir_all(dir);
	free(dir);
}

static void
count_cb(uint64_t token, const char *id, bool ok, void *arg)
{
	struct done *d = arg;

	(void)token;
	(void)id;
	assert_true(ok);
	if (++d->calls == 64)
		event_base_loopexit(d->base, NULL);
}

/* 64 messages submitted at once share fsyncs: fewer batches than messages. */
static void
test_group_commit(void **state)
{
	char *dir = tmpdir();
	struct done d = { 0 };
	struct timeval tv = { 20, 0 };
	struct event *guard;
	struct queue_env env;
	uint64_t batches, messages;
	struct queue *q;
	struct err e;

	(void)state;
	d.base = event_base_new();
	q = queue_new(d.base, dir, count_cb, &d, &e);
	assert_non_null(q);
	sample(&env);
	for (int i = 0; i < 64; i++) {
		queue_id_new(env.id);
		queue_submit(q, (uint64_t)i, &env, xstrdup("From: a@b\r\n\r\n"),
		    13);
	}
	guard = evtimer_new(d.base, guard_cb, d.base);
	evtimer_add(guard, &tv);
	event_base_dispatch(d.base);
	event_free(guard);
	queue_stats(q, &batches, &messages);
	assert_int_equal(messages, 64);
	assert_true(batches < 64);
	assert_int_equal(queue_recover(dir, &e), 64);
	queue_free(q);
	event_base_free(d.base);
	queue_env_cleanup(&env);
	rmdir_all(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_round_trip),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_recover_and_control),
		cmocka_unit_test(test_forget_then_remove),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_group_commit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#define _GNU_SOURCE /* sync_file_range(2), where there is one */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "relayd/queue.h"

#define QUEUE_ENV_MAX (16 * 1024 * 1024)

static const char *const state_names[] = { "queued", "deferred", "held",
	"sending" };
static const char *const rcpt_state_names[] = { "pending", "done", "failed" };

const char *
queue_state_name(enum queue_state s)
{
	return state_names[s];
}

/* Index of name in names (n entries), -1 when absent. */
static int
name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

bool
queue_id_is_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		        (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return i == QUEUE_ID_LEN;
}

void
queue_id_new(char *dst)
{
	unsigned char r[QUEUE_ID_LEN / 2];

	if (RAND_bytes(r, sizeof(r)) != 1)
		die(3, "BUG: RAND_bytes failed");
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(dst + 2 * i, 3, "%02x", r[i]);
}

/* Copy s without CR and LF (reply texts go on one line). */
static char *
one_line(const char *s)
{
	char *d = xstrdup(s);

	for (char *p = d; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return d;
}

void
queue_env_add_rcpt(struct queue_env *env, const char *addr)
{
	env->rcpt = xrealloc(env->rcpt, (env->nrcpt + 1) * sizeof(*env->rcpt));
	memset(&env->rcpt[env->nrcpt], 0, sizeof(*env->rcpt));
	env->rcpt[env->nrcpt++].addr = xstrdup(addr);
}

char *
queue_env_format(const struct queue_env *env, size_t *len)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = buf_printf(&b,
	    "version 1\nid %s\ncreated %" PRId64 "\nstate %s\nsize %" PRIu64
	    "\nfrom %s\nclient %s\nuser %s\n",
	    env->id, env->created, state_names[env->state], env->size,
	    env->from[0] != '\0' ? env->from : "<>", env->client,
	    env->user != NULL ? env->user : "-");
	if (rc == 0 && env->warned != 0)
		rc = buf_printf(&b, "warned %" PRId64 "\n", env->warned);
	for (size_t i = 0; rc == 0 && i < env->nrcpt; i++) {
		const struct queue_rcpt *r = &env->rcpt[i];
		char *reply =
		    one_line(r->last_reply != NULL ? r->last_reply : "");

		rc = buf_printf(&b, "rcpt %s %" PRIu64 " %" PRId64 " %s%s%s\n",
		    rcpt_state_names[r->state], r->attempts, r->next_attempt,
		    r->addr, reply[0] != '\0' ? " " : "", reply);
		free(reply);
	}
	if (rc == -1)
		die(3, "BUG: envelope formatting failed");
	return buf_steal(&b, len);
}

void
queue_env_cleanup(struct queue_env *env)
{
	for (size_t i = 0; i < env->nrcpt; i++) {
		free(env->rcpt[i].addr);
		free(env->rcpt[i].last_reply);
	}
	free(env->rcpt);
	free(env->from);
	free(env->client);
	free(env->user);
	memset(env, 0, sizeof(*env));
}

/* "rcpt STATE ATTEMPTS NEXT ADDRESS [REPLY]" (v points after "rcpt "). */
static int
parse_rcpt(char *v, struct queue_env *env)
{
	char *f[4], *rest = v, *sp;
	uint64_t attempts, next;
	int st;

	for (size_t i = 0; i < 4; i++) {
		f[i] = rest;
		sp = strchr(rest, ' ');
		if (sp == NULL && i < 3)
			return -1;
		if (sp != NULL) {
			*sp = '\0';
			rest = sp + 1;
		} else {
			rest = NULL;
		}
	}
	st = name_index(rcpt_state_names, NELEM(rcpt_state_names), f[0]);
	if (st < 0 || parse_u64(f[1], 0, UINT32_MAX, &attempts) == -1 ||
	    parse_u64(f[2], 0, INT64_MAX, &next) == -1 || f[3][0] == '\0')
		return -1;
	queue_env_add_rcpt(env, f[3]);
	env->rcpt[env->nrcpt - 1].state = (enum queue_rcpt_state)st;
	env->rcpt[env->nrcpt - 1].attempts = attempts;
	env->rcpt[env->nrcpt - 1].next_attempt = (int64_t)next;
	if (rest != NULL)
		env->rcpt[env->nrcpt - 1].last_reply = xstrdup(rest);
	return 0;
}

/* One "key value" line into env; -1 when unknown or bad. */
static int
parse_line(const char *key, char *v, struct queue_env *env)
{
	uint64_t n;
	int st;

	if (strcmp(key, "version") == 0)
		return strcmp(v, "1") == 0 ? 0 : -1;
	if (strcmp(key, "id") == 0)
		return queue_id_is_valid(v)
		           ? str_copy(env->id, sizeof(env->id), v)
		           : -1;
	if (strcmp(key, "created") == 0) {
		if (parse_u64(v, 0, INT64_MAX, &n) == -1)
			return -1;
		env->created = (int64_t)n;
		return 0;
	}
	if (strcmp(key, "state") == 0) {
		st = name_index(state_names, NELEM(state_names), v);
		env->state = (enum queue_state)(st < 0 ? 0 : st);
		return st < 0 ? -1 : 0;
	}
	if (strcmp(key, "size") == 0)
		return parse_u64(v, 0, UINT64_MAX, &env->size);
	if (strcmp(key, "from") == 0 && env->from == NULL) {
		env->from = xstrdup(strcmp(v, "<>") == 0 ? "" : v);
		return 0;
	}
	if (strcmp(key, "client") == 0 && env->client == NULL) {
		env->client = xstrdup(v);
		return 0;
	}
	if (strcmp(key, "user") == 0 && env->user == NULL) {
		env->user = strcmp(v, "-") == 0 ? NULL : xstrdup(v);
		return 0;
	}
	if (strcmp(key, "warned") == 0) {
		if (parse_u64(v, 1, INT64_MAX, &n) == -1)
			return -1;
		env->warned = (int64_t)n;
		return 0;
	}
	if (strcmp(key, "rcpt") == 0)
		return parse_rcpt(v, env);
	return -1;
}

int
queue_env_parse(const char *text, size_t len, struct queue_env *env,
    struct err *e)
{
	char *copy = xstrndup(text, len), *line = copy, *nl, *sp;
	int lineno = 0, rc = 0;

	memset(env, 0, sizeof(*env));
	for (; rc == 0 && *line != '\0'; line = nl + 1) {
		lineno++;
		nl = strchr(line, '\n');
		if (nl == NULL) {
			rc = err_set(e, "line %d: no newline at the end",
			    lineno);
			break;
		}
		*nl = '\0';
		sp = strchr(line, ' ');
		if (sp == NULL)
			rc = err_set(e, "line %d: expected \"key value\"",
			    lineno);
		else {
			*sp = '\0';
			if (parse_line(line, sp + 1, env) == -1)
				rc = err_set(e, "line %d: bad \"%s\" line",
				    lineno, line);
		}
	}
	if (rc == 0 && (env->id[0] == '\0' || env->from == NULL ||
	                   env->client == NULL || env->nrcpt == 0))
		rc = err_set(e, "id, from, client or rcpt missing");
	free(copy);
	if (rc == -1)
		queue_env_cleanup(env);
	return rc;
}

/* PATH/ID.SUFFIX into dst; dies on overflow (path lengths are checked). */
static void
queue_file(char *dst, size_t len, const char *path, const char *id,
    const char *suffix)
{
	if (snprintf(dst, len, "%s/%s.%s", path, id, suffix) >= (int)len)
		die(3, "BUG: queue path too long");
}

int
queue_env_read(const char *path, const char *id, struct queue_env *env,
    struct err *e)
{
	char file[4096];
	char *text;
	size_t len;
	int rc;

	if (!queue_id_is_valid(id))
		return err_set(e, "\"%s\" is not a queue id", id);
	queue_file(file, sizeof(file), path, id, "env");
	if (file_read(file, QUEUE_ENV_MAX, &text, &len, e) == -1)
		return -1;
	rc = queue_env_parse(text, len, env, e);
	free(text);
	if (rc == -1)
		return err_prefix(e, "%s", file);
	return 0;
}

int
queue_env_write(const char *path, const struct queue_env *env, struct err *e)
{
	char file[4096];
	size_t len;
	char *text = queue_env_format(env, &len);
	int rc;

	queue_file(file, sizeof(file), path, env->id, "env");
	rc = file_write_atomic(file, text, len, 0600, e);
	free(text);
	return rc;
}

/* fsync a directory. */
static int
fsync_dir(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1 || fsync(fd) == -1) {
		int saved = errno;

		if (fd != -1)
			close(fd);
		return err_set(e, "%s: fsync: %s", path, strerror(saved));
	}
	close(fd);
	return 0;
}

int
queue_forget(const char *path, const char *id, struct err *e)
{
	char file[4096];

	if (!queue_id_is_valid(id))
		return err_set(e, "\"%s\" is not a queue id", id);
	queue_file(file, sizeof(file), path, id, "env");
	if (unlink(file) == -1)
		return err_set(e, "%s: %s", file, strerror(errno));
	return 0;
}

int
queue_remove(const char *path, const char *id, bool forgotten, struct err *e)
{
	char file[4096];

	if (!forgotten && queue_forget(path, id, e) == -1)
		return -1;
	queue_file(file, sizeof(file), path, id, "msg");
	if (unlink(file) == -1 && errno != ENOENT)
		return err_set(e, "%s: %s", file, strerror(errno));
	return 0;
}

/* Recovery of one directory entry; counts committed messages. */
static void
recover_entry(const char *path, const char *name, long *count)
{
	char id[QUEUE_ID_LEN + 1], file[4096], other[4096];
	size_t n = strlen(name);
	struct stat st;

	if (name[0] == '.')
		return;
	snprintf(file, sizeof(file), "%s/%s", path, name);
	if (strstr(name, ".tmp") != NULL) {
		if (unlink(file) == 0)
			log_info("event=queue_recover file=%s result=removed "
			         "reason=\"unfinished write\"",
			    name);
		return;
	}
	if (n != QUEUE_ID_LEN + 4 ||
	    (strcmp(name + QUEUE_ID_LEN, ".msg") != 0 &&
	        strcmp(name + QUEUE_ID_LEN, ".env") != 0))
		return;
	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	if (!queue_id_is_valid(id))
		return;
	queue_file(other, sizeof(other), path, id,
	    name[n - 1] == 'g' ? "env" : "msg");
	if (stat(other, &st) == 0) {
		if (name[n - 1] == 'v')
			(*count)++;
		return;
	}
	if (unlink(file) == 0)
		log_warn("event=queue_recover id=%s result=removed "
		         "reason=\"%s\"",
		    id,
		    name[n - 1] == 'g'
		        ? "message without envelope: not committed"
		        : "envelope without message");
}

long
queue_recover(const char *path, struct err *e)
{
	struct dirent *de;
	long count = 0;
	DIR *d;

	if (strlen(path) > 3000)
		return err_set(e, "relay.queue.path: too long");
	if (mkdir_p(path, 0700, e) == -1)
		return -1;
	d = opendir(path);
	if (d == NULL)
		return err_set(e, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL)
		recover_entry(path, de->d_name, &count);
	closedir(d);
	if (fsync_dir(path, e) == -1)
		return -1;
	return count;
}

/* One message on its way to disk. */
struct job {
	uint64_t token;
	char id[QUEUE_ID_LEN + 1];
	char *msg;
	size_t len;
	char *env;
	size_t env_len;
	bool ok;
	int fd_msg, fd_env; /* staged, not yet fsynced; -1 when closed */
	struct job *next;
};

struct queue {
	char *path;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *pending; /* reversed submission order */
	struct job *done;    /* in submission order */
	struct job *done_tail;
	bool stop;
	struct event *done_ev; /* activated by the worker */
	queue_done_fn *done_fn;
	void *arg;
	uint64_t batches, messages;
};

/*
 * Write len bytes to a new file and start its writeback; the file is fsynced
 * later by settle() through the descriptor returned (-1 on failure, the
 * file removed). Starting the writeback of a whole batch before the first
 * fsync lets the batch share journal commits: every file is still fsynced
 * on the descriptor that wrote it, before its envelope is committed.
 */
static int
write_file(const char *file, const char *data, size_t len, int flags)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600);
	size_t off = 0;
	ssize_t n;

	if (fd == -1)
		return -1;
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint */
#endif
	return fd;
fail:
	close(fd);
	unlink(file);
	return -1;
}

/* Stage one job: data file and envelope tmp file written, not yet synced. */
static void
stage(struct queue *q, struct job *j)
{
	char msg[4096], tmp[4096];

	queue_file(msg, sizeof(msg), q->path, j->id, "msg");
	queue_file(tmp, sizeof(tmp), q->path, j->id, "env.tmp");
	j->fd_msg = j->fd_env = -1;
	j->fd_msg = write_file(msg, j->msg, j->len, O_EXCL);
	j->ok = j->fd_msg != -1;
	if (!j->ok) {
		log_error_errno("event=queue_write id=%s file=%s result=failed",
		    j->id, msg);
		return;
	}
	j->fd_env = write_file(tmp, j->env, j->env_len, O_TRUNC);
	j->ok = j->fd_env != -1;
	if (!j->ok) {
		log_error_errno("event=queue_write id=%s file=%s result=failed",
		    j->id, tmp);
		close(j->fd_msg);
		j->fd_msg = -1;
		unlink(msg);
	}
}

/* fsync and close a staged job's two files; on failure both go. */
static void
settle(struct queue *q, struct job *j)
{
	char msg[4096], tmp[4096];
	bool ok = j->ok;

	if (j->fd_msg != -1) {
		ok = ok && fsync(j->fd_msg) == 0;
		ok = close(j->fd_msg) == 0 && ok;
	}
	if (j->fd_env != -1) {
		ok = ok && fsync(j->fd_env) == 0;
		ok = close(j->fd_env) == 0 && ok;
	}
	j->fd_msg = j->fd_env = -1;
	if (j->ok && !ok) {
		queue_file(msg, sizeof(msg), q->path, j->id, "msg");
		queue_file(tmp, sizeof(tmp), q->path, j->id, "env.tmp");
		log_error_errno("event=queue_write id=%s file=%s result=failed",
		    j->id, msg);
		unlink(tmp);
		unlink(msg);
		j->ok = false;
	}
}

/* Commit a staged job by renaming its envelope into place. */
static void
commit(struct queue *q, struct job *j)
{
	char env[4096], tmp[4096];

	queue_file(env, sizeof(env), q->path, j->id, "env");
	queue_file(tmp, sizeof(tmp), q->path, j->id, "env.tmp");
	if (rename(tmp, env) == -1) {
		log_error_errno("event=queue_write id=%s file=%s result=failed",
		    j->id, env);
		j->ok = false;
	}
}

#define STAGE_MAX 128

/* The group commit of one batch (see queue.h). */
static void
write_batch(struct queue *q, struct job *batch)
{
	struct err e;
	bool dir_ok;
	size_t n = 0;

	/* Two descriptors per staged job: at most STAGE_MAX jobs open. */
	for (struct job *j = batch, *first = batch; j != NULL; j = j->next) {
		stage(q, j);
		if (++n % STAGE_MAX == 0 || j->next == NULL) {
			for (; first != j->next; first = first->next)
				settle(q, first);
		}
	}
	dir_ok = fsync_dir(q->path, &e) == 0;
	for (struct job *j = batch; j != NULL; j = j->next)
		if (j->ok && dir_ok)
			commit(q, j);
	if (!dir_ok || fsync_dir(q->path, &e) == -1) {
		log_error("event=queue_write result=failed error=\"%s\"",
		    e.msg);
		for (struct job *j = batch; j != NULL; j = j->next)
			j->ok = false; /* may survive; the client retries */
	}
}

static struct job *
reverse(struct job *list)
{
	struct job *out = NULL, *next;

	for (; list != NULL; list = next) {
		next = list->next;
		list->next = out;
		out = list;
	}
	return out;
}

static void *
worker(void *arg)
{
	struct queue *q = arg;
	struct job *batch, *last;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->pending == NULL && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->pending == NULL)
			break;
		batch = reverse(q->pending); /* first come, first written */
		q->pending = NULL;
		pthread_mutex_unlock(&q->lock);
		write_batch(q, batch);
		pthread_mutex_lock(&q->lock);
		q->batches++;
		for (last = batch; last->next != NULL; last = last->next)
			q->messages++;
		q->messages++;
		if (q->done_tail != NULL)
			q->done_tail->next = batch;
		else
			q->done = batch;
		q->done_tail = last;
		event_active(q->done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* On the loop: hand every finished job to the callback. */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue *q = arg;
	struct job *list, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&q->lock);
	list = q->done;
	q->done = q->done_tail = NULL;
	pthread_mutex_unlock(&q->lock);
	for (; list != NULL; list = next) {
		next = list->next;
		q->done_fn(list->token, list->id, list->ok, q->arg);
		free(list->msg);
		free(list->env);
		free(list);
	}
}

struct queue *
queue_new(struct event_base *base, const char *path, queue_done_fn *done,
    void *arg, struct err *e)
{
	struct queue *q = xcalloc(1, sizeof(*q));

	q->path = xstrdup(path);
	q->done_fn = done;
	q->arg = arg;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->done_ev = event_new(base, -1, 0, done_cb, q);
	if (q->done_ev == NULL ||
	    pthread_create(&q->thread, NULL, worker, q) != 0) {
		if (q->done_ev != NULL)
			event_free(q->done_ev);
		free(q->path);
		free(q);
		err_set(e, "cannot start the queue writer thread");
		return NULL;
	}
	return q;
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	done_cb(-1, 0, q);
	event_free(q->done_ev);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q->path);
	free(q);
}

void
queue_submit(struct queue *q, uint64_t token, const struct queue_env *env,
    char *msg, size_t len)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->token = token;
	memcpy(j->id, env->id, sizeof(j->id));
	j->msg = msg;
	j->len = len;
	j->env = queue_env_format(env, &j->env_len);
	pthread_mutex_lock(&q->lock);
	j->next = q->pending;
	q->pending = j;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void
queue_stats(struct queue *q, uint64_t *batches, uint64_t *messages)
{
	pthread_mutex_lock(&q->lock);
	*batches = q->batches;
	*messages = q->messages;
	pthread_mutex_unlock(&q->lock);
}

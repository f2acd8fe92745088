#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * The durable queue (relay.queue.path). "Mail that got 250 is never lost":
 * queue_submit() returns through its callback only after the message and
 * its envelope are on disk, fsynced, file and directory.
 *
 * On-disk format (read and updated by the delivery engine too):
 *
 *   PATH/ID.msg       the message exactly as it is to be sent: CRLF line
 *                     endings, NOT dot-stuffed, DKIM-Signature and
 *                     Received: already prepended. Written once, never
 *                     changed; removed after the envelope.
 *   PATH/ID.env       the envelope, text, one "key value" per line (below).
 *                     Its presence is the commit point: a message exists
 *                     exactly when ID.env exists.
 *   PATH/ID.*.tmp*     files being written; removed at start.
 *
 * ID is 16 lower-case hex digits. Envelope lines, in this order:
 *
 *   version 1
 *   id ID
 *   created UNIX_SECONDS
 *   state queued|deferred|held|sending
 *   size OCTETS                  (of ID.msg)
 *   from ADDRESS                 ("<>" for the null sender)
 *   client IP                    (submitting client)
 *   user NAME                    ("-" when not authenticated)
 *   warned UNIX_SECONDS          (optional: when the delay warning went)
 *   rcpt STATE ATTEMPTS NEXT_ATTEMPT ADDRESS [LAST_REPLY]
 *                                (one per recipient; STATE pending|done|
 *                                failed; NEXT_ATTEMPT unix seconds, 0 =
 *                                now; LAST_REPLY the rest of the line, the
 *                                last SMTP reply with CR/LF removed)
 *
 * Unknown keys are an error (so a newer format is not misread). Every
 * update (delivery results, hold, release) writes the whole envelope to
 * ID.env.tmp, fsyncs it, renames it over ID.env and fsyncs the directory:
 * a crash leaves the old or the new envelope, never a mix. State "sending"
 * is advisory: the delivery engine treats "sending" found at its start as
 * "queued".
 *
 * Commit of new messages (group commit, on one worker thread): for a batch
 * of messages, write and fsync every ID.msg (created with O_EXCL), write and
 * fsync every ID.env.tmp, fsync the directory, rename every ID.env.tmp to
 * ID.env, fsync the directory again, then answer every waiting client.
 * Recovery at start: *.tmp removed; an ID.msg without ID.env (a crash before
 * the commit point) removed; an ID.env without ID.msg logged and removed.
 */

#define QUEUE_ID_LEN 16

enum queue_state { QUEUE_QUEUED, QUEUE_DEFERRED, QUEUE_HELD, QUEUE_SENDING };
enum queue_rcpt_state {
	QUEUE_RCPT_PENDING,
	QUEUE_RCPT_DONE,
	QUEUE_RCPT_FAILED
};

struct queue_rcpt {
	char *addr;
	enum queue_rcpt_state state;
	uint64_t attempts;
	int64_t next_attempt;
	char *last_reply; /* NULL when none */
};

struct queue_env {
	char id[QUEUE_ID_LEN + 1];
	int64_t created;
	enum queue_state state;
	uint64_t size;
	char *from; /* "" for <> */
	char *client;
	char *user;     /* NULL when not authenticated */
	int64_t warned; /* when the delay DSN was sent; 0: not yet */
	struct queue_rcpt *rcpt;
	size_t nrcpt;
};

/* Envelope text for env; caller frees. */
char *queue_env_format(const struct queue_env *env, size_t *len);
/* Parse envelope text (len bytes) into env (cleaned by queue_env_cleanup). */
int queue_env_parse(const char *text, size_t len, struct queue_env *env,
    struct err *e) WUR;
void queue_env_cleanup(struct queue_env *env);
/* Add a recipient (copied) to env. */
void queue_env_add_rcpt(struct queue_env *env, const char *addr);
const char *queue_state_name(enum queue_state s);

/* Read PATH/ID.env. -1 with e when missing or broken. */
int queue_env_read(const char *path, const char *id, struct queue_env *env,
    struct err *e) WUR;
/* Replace PATH/ID.env atomically (tmp, fsync, rename, fsync dir). */
int queue_env_write(const char *path, const struct queue_env *env,
    struct err *e) WUR;
/*
 * Remove a message: envelope first (the commit point), then the data.
 * queue_forget() is the first step alone, a single unlink cheap enough for
 * the event loop: the delivery engine takes it the moment the last
 * recipient gets its 2xx, so that a crash after the destination's 250
 * cannot send the message again; queue_remove() with forgotten set then
 * removes the data on a worker. Removals are not fsynced (a flush per
 * delivered message): after a power failure, not a crash of posternd, a
 * delivered message may come back and go again; never the reverse. The
 * journal keeps the order of the two unlinks, and recovery removes data
 * left without its envelope.
 */
int queue_forget(const char *path, const char *id, struct err *e) WUR;
int queue_remove(const char *path, const char *id, bool forgotten,
    struct err *e) WUR;
/* Whether id has the form of a queue id. */
bool queue_id_is_valid(const char *id);
/* A fresh random id into dst (QUEUE_ID_LEN + 1 bytes). */
void queue_id_new(char *dst);

/*
 * Create the directory when missing and recover it (see above). Returns the
 * number of messages in the queue, -1 with e on failure.
 */
long queue_recover(const char *path, struct err *e);

/* The queue writer: a worker thread and its pending batch. */
struct queue;
/* Called on the submitting thread's event loop: ok false means not queued. */
typedef void queue_done_fn(uint64_t token, const char *id, bool ok, void *arg);

struct event_base;
/* Room for a message of need bytes in the queue's file system, keeping
 * QUEUE_MIN_FREE bytes (and a few inodes) free; true when unknown. A full
 * queue answers 452 4.3.1 (RFC 3463: mail system full). */
#define QUEUE_MIN_FREE (256 * 1024)
bool queue_has_room(const char *path, uint64_t need);

/* Start the writer for path; done is called on base's thread. */
struct queue *queue_new(struct event_base *base, const char *path,
    queue_done_fn *done, void *arg, struct err *e);
/* Wait for pending writes, stop the thread, free. */
void queue_free(struct queue *q);
/*
 * Queue a message: takes ownership of msg (malloc'd, len bytes); env is
 * formatted now. done(token, id, ok) follows once it is durable or failed.
 */
void queue_submit(struct queue *q, uint64_t token, const struct queue_env *env,
    char *msg, size_t len);
/* Batches and fsyncs done so far (for logs and benchmarks). */
void queue_stats(struct queue *q, uint64_t *batches, uint64_t *messages);

#endif

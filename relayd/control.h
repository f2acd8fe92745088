#ifndef POSTERN_CONTROL_H
#define POSTERN_CONTROL_H

#include "common/err.h"

/*
 * The control socket (relay.control): a UNIX stream socket, mode 0600, for
 * `postern queue`. A client sends one request line and gets one JSON
 * object back, then the connection closes:
 *
 *   list               {"ok": true, "messages": [MSG...]}
 *   show ID            {"ok": true, "message": MSG}
 *   delete|hold|release ID, flush
 *                      {"ok": true, "count": N}
 *   (any failure)      {"ok": false, "error": "..."}
 *
 * MSG is {"id", "size", "created", "state", "from", "client", "user"?,
 * "recipients": [{"address", "state", "attempts", "next_attempt",
 * "last_reply"?}]}.
 */

struct server;
struct control;

struct control *control_new(struct server *srv, const char *path,
    struct err *e);
void control_free(struct control *ctl);
/* Handle one request line (the JSON answer; caller frees). For tests. */
char *control_handle(const char *queue_path, const char *line, size_t len);

#endif

#ifndef POSTERN_DAEMON_H
#define POSTERN_DAEMON_H

#include <stdbool.h>

#include "common/config.h"
#include "common/err.h"

/* Process set-up around the server: user switch, background, pid file. */

/*
 * Switch to relay.run_as after binding. "" keeps the user. The default
 * "postern" missing on the system is a warning; a configured user that does
 * not exist is an error. Not being root is a warning. Gives the queue and
 * state directories to the user first.
 */
int daemon_drop_privileges(const struct config *cfg, struct err *e) WUR;
/*
 * Detach (fork, setsid, stdio to /dev/null) and write the pid file, then
 * return in the child. The pid file is the control socket's directory's
 * posternd.pid.
 */
int daemon_detach(const struct config *cfg, struct err *e) WUR;
/* Remove the pid file written by daemon_detach(), if any. */
void daemon_remove_pidfile(const struct config *cfg);
/* Tell systemd (NOTIFY_SOCKET) that start-up is complete, if it asks. */
void daemon_notify_ready(void);

#endif

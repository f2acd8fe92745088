#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "relayd/daemon.h"

int
daemon_drop_privileges(const struct config *cfg, struct err *e)
{
	const char *user = cfg->relay.run_as;
	struct passwd *pw;

	if (user[0] == '\0')
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		if (cfg->relay.run_as_default) {
			log_warn("event=run_as user=%s result=skipped "
			         "reason=\"no such user\" fix=\"create the "
			         "user or set relay.run_as\"",
			    user);
			return 0;
		}
		return err_set(e, "relay.run_as: no such user \"%s\"", user);
	}
	if (geteuid() != 0) {
		if (geteuid() != pw->pw_uid)
			log_warn("event=run_as user=%s result=skipped "
			         "reason=\"not started as root\"",
			    user);
		return 0;
	}
	if (chown(cfg->relay.queue.path, pw->pw_uid, pw->pw_gid) == -1)
		log_warn_errno("event=run_as path=%s result=chown_failed",
		    cfg->relay.queue.path);
	if (initgroups(user, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		return err_set(e, "relay.run_as: cannot switch to \"%s\": %s",
		    user, strerror(errno));
	if (setuid(0) == 0)
		return err_set(e, "relay.run_as: root could be regained");
	log_info("event=run_as user=%s result=ok", user);
	return 0;
}

/* The pid file path: next to the control socket. */
static void
pidfile_path(const struct config *cfg, char *dst, size_t len)
{
	const char *slash = strrchr(cfg->relay.control, '/');
	int dirlen = slash != NULL ? (int)(slash - cfg->relay.control) : 0;

	if (slash == NULL)
		snprintf(dst, len, "posternd.pid");
	else
		snprintf(dst, len, "%.*s/posternd.pid", dirlen,
		    cfg->relay.control);
}

int
daemon_detach(const struct config *cfg, struct err *e)
{
	char path[4096], pid[32];
	pid_t p;
	int fd;

	p = fork();
	if (p == -1)
		return err_set(e, "fork: %s", strerror(errno));
	if (p > 0)
		_exit(0);
	if (setsid() == -1)
		return err_set(e, "setsid: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR);
	if (fd != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	pidfile_path(cfg, path, sizeof(path));
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (file_write_atomic(path, pid, strlen(pid), 0644, e) == -1)
		log_warn("event=pidfile result=failed error=\"%s\"", e->msg);
	return 0;
}

void
daemon_remove_pidfile(const struct config *cfg)
{
	char path[4096];

	pidfile_path(cfg, path, sizeof(path));
	unlink(path);
}

void
daemon_notify_ready(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	int fd;

	if (sock == NULL || (sock[0] != '/' && sock[0] != '@'))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, sizeof(sun.sun_path), sock) == -1)
		return;
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	(void)sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sock)));
	close(fd);
}

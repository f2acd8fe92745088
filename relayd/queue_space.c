#include <sys/statvfs.h>

#include "relayd/queue.h"

bool
queue_has_room(const char *path, uint64_t need)
{
	struct statvfs sv;

	if (statvfs(path, &sv) == -1)
		return true; /* unknown: let the write itself fail */
	if (sv.f_favail < 4 && sv.f_files > 0)
		return false;
	return (uint64_t)sv.f_bavail * sv.f_frsize >= need + QUEUE_MIN_FREE;
}

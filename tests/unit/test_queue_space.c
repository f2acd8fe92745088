/* Unit tests for relayd/queue_space.c (the full-disk check behind 452). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "relayd/queue.h"

static void
test_room(void **state)
{
	(void)state;
	/* The build directory has room for one more byte. */
	assert_true(queue_has_room(BUILD_DIR, 1));
	/* No file system has room for 2^62 bytes. */
	assert_false(queue_has_room(BUILD_DIR, (uint64_t)1 << 62));
	/* Unknown (no such path): the write itself decides. */
	assert_true(
	    queue_has_room(BUILD_DIR "/no/such/dir", (uint64_t)1 << 62));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

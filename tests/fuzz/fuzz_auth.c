#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "relayd/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* AUTH PLAIN and LOGIN payload decoding. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[AUTH_NAME_MAX], pass[AUTH_PASS_MAX], one[AUTH_PASS_MAX];

	if (auth_plain_decode((const char *)data, size, user, pass) == 0 &&
	    (strlen(user) == 0 || strlen(pass) == 0))
		__builtin_trap();
	(void)auth_login_decode((const char *)data, size, one, sizeof(one));
	return 0;
}

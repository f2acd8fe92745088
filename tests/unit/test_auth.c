#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "relayd/auth.h"

static void
test_plain(void **state)
{
	char user[AUTH_NAME_MAX], pass[AUTH_PASS_MAX];

	(void)state;
	/* "\0crm\0secret" */
	assert_int_equal(auth_plain_decode("AGNybQBzZWNyZXQ=", 16, user, pass),
	    0);
	assert_string_equal(user, "crm");
	assert_string_equal(pass, "secret");
	/* "crm\0crm\0secret": authzid equal to authcid */
	assert_int_equal(auth_plain_decode("Y3JtAGNybQBzZWNyZXQ=", 20, user,
	                     pass),
	    0);
	/* "adm\0crm\0secret": acting as another user */
	assert_int_equal(auth_plain_decode("YWRtAGNybQBzZWNyZXQ=", 20, user,
	                     pass),
	    -1);
	/* "\0crm\0": empty password */
	assert_int_equal(auth_plain_decode("AGNybQA=", 8, user, pass), -1);
	/* "crm" alone, bad base64, padding in the middle */
	assert_int_equal(auth_plain_decode("Y3Jt", 4, user, pass), -1);
	assert_int_equal(auth_plain_decode("Y3J*", 4, user, pass), -1);
	assert_int_equal(auth_plain_decode("Y3=t", 4, user, pass), -1);
	assert_int_equal(auth_plain_decode("", 0, user, pass), -1);
}

static void
test_login(void **state)
{
	char v[AUTH_PASS_MAX];

	(void)state;
	assert_int_equal(auth_login_decode("Y3Jt", 4, v, sizeof(v)), 0);
	assert_string_equal(v, "crm");
	assert_int_equal(auth_login_decode("Y3I=", 4, v, sizeof(v)), 0);
	assert_string_equal(v, "cr");
	assert_int_equal(auth_login_decode("AA==", 4, v, sizeof(v)), -1);
	assert_int_equal(auth_login_decode("Y3Jt", 4, v, 3), -1);
}

static void
test_check(void **state)
{
	struct crypt_data cd;
	struct user_cfg u = { 0 };
	struct relay_cfg r = { 0 };
	char *hash;

	(void)state;
	memset(&cd, 0, sizeof(cd));
	hash = xstrdup(crypt_r("secret", "$6$abcdefgh$", &cd));
	u.name = (char *)(uintptr_t) "crm";
	u.password_hash = hash;
	r.users = &u;
	r.nusers = 1;
	assert_ptr_equal(auth_check(&r, "crm", "secret"), &u);
	assert_null(auth_check(&r, "crm", "Secret"));
	assert_null(auth_check(&r, "bob", "secret"));
	free(hash);
}

static void
test_lockout(void **state)
{
	struct auth_fails *t = auth_fails_new();
	struct ipaddr a, b;

	(void)state;
	assert_int_equal(ip_parse("192.0.2.1", &a), 0);
	assert_int_equal(ip_parse("2001:db8::1", &b), 0);
	for (int i = 0; i < AUTH_LOCK_FAILURES - 1; i++)
		auth_fails_note(t, &a, 1000 + i);
	assert_false(auth_fails_is_locked(t, &a, 1010));
	auth_fails_note(t, &a, 1010);
	assert_true(auth_fails_is_locked(t, &a, 1011));
	assert_false(auth_fails_is_locked(t, &b, 1011));
	assert_false(auth_fails_is_locked(t, &a, 1010 + AUTH_LOCK_TIME));
	auth_fails_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_lockout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#ifndef POSTERN_AUTH_H
#define POSTERN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/config.h"

/*
 * SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms:
 * payload decoding, password checks against relay.users' crypt(3) hashes,
 * and the per-IP failure count that delays and locks out guessers.
 */

#define AUTH_NAME_MAX 256
#define AUTH_PASS_MAX 256
#define AUTH_LOCK_FAILURES 10 /* failures within AUTH_LOCK_WINDOW ... */
#define AUTH_LOCK_WINDOW 600  /* seconds ... lock the IP out for ... */
#define AUTH_LOCK_TIME 600    /* ... this many seconds */
#define AUTH_FAIL_DELAY 1     /* seconds before a failure is answered */

/* Decode base64 (no whitespace) into out; -1 when invalid or too long. */
int auth_b64_decode(const char *in, size_t len, char *out, size_t outmax,
    size_t *outlen);
/*
 * Decode an AUTH PLAIN response: base64 of authzid NUL authcid NUL passwd.
 * An authzid, when given, must equal authcid. -1 on any malformation. The
 * password is wiped by the caller.
 */
int auth_plain_decode(const char *b64, size_t len, char user[AUTH_NAME_MAX],
    char pass[AUTH_PASS_MAX]);
/* Decode one AUTH LOGIN response (base64 of a user name or password). */
int auth_login_decode(const char *b64, size_t len, char *dst, size_t dstmax);

/* The user whose crypt(3) hash the password matches, or NULL. */
const struct user_cfg *auth_check(const struct relay_cfg *relay,
    const char *user, const char *pass);

/* Failed authentications per client IP. */
struct auth_fails;
struct auth_fails *auth_fails_new(void);
void auth_fails_free(struct auth_fails *t);
/* Whether ip is locked out at now. */
bool auth_fails_is_locked(struct auth_fails *t, const struct ipaddr *ip,
    int64_t now);
/* Count one failure of ip at now. */
void auth_fails_note(struct auth_fails *t, const struct ipaddr *ip,
    int64_t now);

#endif

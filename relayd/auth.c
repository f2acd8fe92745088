#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/util.h"
#include "relayd/auth.h"

int
auth_b64_decode(const char *in, size_t len, char *out, size_t outmax,
    size_t *outlen)
{
	unsigned char tmp[(AUTH_NAME_MAX + AUTH_PASS_MAX) * 2];
	size_t pad = 0;
	int n;

	if (len % 4 != 0 || len / 4 * 3 > sizeof(tmp))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '=' && i + 2 >= len)
			pad++;
		else if (pad > 0 || !((ch >= 'A' && ch <= 'Z') ||
		                        (ch >= 'a' && ch <= 'z') ||
		                        (ch >= '0' && ch <= '9') || ch == '+' ||
		                        ch == '/'))
			return -1;
	}
	n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad || (size_t)n - pad > outmax) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		return -1;
	}
	*outlen = (size_t)n - pad;
	memcpy(out, tmp, *outlen);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

int
auth_plain_decode(const char *b64, size_t len, char user[AUTH_NAME_MAX],
    char pass[AUTH_PASS_MAX])
{
	char raw[AUTH_NAME_MAX * 2 + AUTH_PASS_MAX + 2];
	const char *authc, *pw;
	size_t n, zlen, clen, plen;
	int rc = -1;

	if (auth_b64_decode(b64, len, raw, sizeof(raw), &n) == -1)
		return -1;
	authc = memchr(raw, '\0', n);
	if (authc == NULL)
		goto out;
	zlen = (size_t)(authc - raw);
	authc++;
	pw = memchr(authc, '\0', n - zlen - 1);
	if (pw == NULL)
		goto out;
	clen = (size_t)(pw - authc);
	pw++;
	plen = n - zlen - clen - 2;
	if (clen == 0 || clen >= AUTH_NAME_MAX || plen == 0 ||
	    plen >= AUTH_PASS_MAX || memchr(pw, '\0', plen) != NULL)
		goto out;
	if (zlen != 0 && (zlen != clen || memcmp(raw, authc, clen) != 0))
		goto out; /* no acting as somebody else */
	memcpy(user, authc, clen);
	user[clen] = '\0';
	memcpy(pass, pw, plen);
	pass[plen] = '\0';
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int
auth_login_decode(const char *b64, size_t len, char *dst, size_t dstmax)
{
	size_t n;

	if (dstmax == 0 || auth_b64_decode(b64, len, dst, dstmax - 1, &n) == -1)
		return -1;
	dst[n] = '\0';
	if (n == 0 || strlen(dst) != n) {
		OPENSSL_cleanse(dst, dstmax);
		return -1;
	}
	return 0;
}

/* Whether pass hashes to hash; constant time over the hash text. */
static bool
password_matches(const char *hash, const char *pass)
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *got = crypt_r(pass, hash, cd);
	bool ok = got != NULL && got[0] != '*' && strlen(got) == strlen(hash) &&
	          CRYPTO_memcmp(got, hash, strlen(hash)) == 0;

	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return ok;
}

const struct user_cfg *
auth_check(const struct relay_cfg *relay, const char *user, const char *pass)
{
	for (size_t i = 0; i < relay->nusers; i++) {
		const struct user_cfg *u = &relay->users[i];

		if (strcmp(u->name, user) == 0)
			return password_matches(u->password_hash, pass) ? u
			                                                : NULL;
	}
	return NULL;
}

/* A small open table: entries expire, the oldest is reused when full. */
#define AUTH_FAILS_SLOTS 4096

struct auth_fail {
	struct ipaddr ip;
	int64_t first;  /* start of the current window */
	int64_t locked; /* until */
	unsigned count;
	bool used;
};

struct auth_fails {
	struct auth_fail slot[AUTH_FAILS_SLOTS];
};

struct auth_fails *
auth_fails_new(void)
{
	return xcalloc(1, sizeof(struct auth_fails));
}

void
auth_fails_free(struct auth_fails *t)
{
	free(t);
}

/* The entry of ip, or NULL; with make, a fresh or the stalest slot. */
static struct auth_fail *
find(struct auth_fails *t, const struct ipaddr *ip, bool make)
{
	struct auth_fail *old = &t->slot[0];

	for (size_t i = 0; i < AUTH_FAILS_SLOTS; i++) {
		struct auth_fail *f = &t->slot[i];

		if (f->used && ip_equal(&f->ip, ip))
			return f;
		if (!f->used || (old->used && f->first < old->first))
			old = f;
	}
	if (!make)
		return NULL;
	memset(old, 0, sizeof(*old));
	old->used = true;
	old->ip = *ip;
	return old;
}

bool
auth_fails_is_locked(struct auth_fails *t, const struct ipaddr *ip, int64_t now)
{
	struct auth_fail *f = find(t, ip, false);

	return f != NULL && f->locked > now;
}

void
auth_fails_note(struct auth_fails *t, const struct ipaddr *ip, int64_t now)
{
	struct auth_fail *f = find(t, ip, true);

	if (f->first == 0 || now - f->first > AUTH_LOCK_WINDOW) {
		f->first = now;
		f->count = 0;
	}
	if (++f->count >= AUTH_LOCK_FAILURES) {
		f->locked = now + AUTH_LOCK_TIME;
		f->count = 0;
		f->first = now;
	}
}

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "keys/keys.h"

/* A DKIM private key file is a few kilobytes at most. */
#define KEYS_MAX_FILE (64L * 1024)
#define KEYS_MIN_RSA_BITS 1024 /* RFC 8301 section 3.2 */

struct dkim_key {
	enum key_alg alg;
	EVP_PKEY *pkey;
	unsigned char *signing; /* what dkim_sign() takes; wiped on free */
	size_t signing_len;
};

/* The last OpenSSL error as text, for messages. */
static const char *
keys_ssl_error(void)
{
	static char buf[256];
	unsigned long code = ERR_get_error();

	ERR_clear_error();
	if (code == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(code, buf, sizeof(buf));
	return buf;
}

/* A domain or selector fit to be a path component. */
static bool
keys_name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '.' || strlen(s) > 253)
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '/' || (unsigned char)*p <= ' ' ||
		    (unsigned char)*p >= 0x7f)
			return false;
		if (p[0] == '.' && p[1] == '.')
			return false;
	}
	return true;
}

int
keys_path(const char *state_dir, const char *domain, const char *selector,
    char *dst, size_t dstlen)
{
	int n;

	if (!keys_name_ok(domain) || !keys_name_ok(selector))
		return -1;
	n = snprintf(dst, dstlen, "%s/keys/%s/%s.key", state_dir, domain,
	    selector);
	return n < 0 || (size_t)n >= dstlen ? -1 : 0;
}

/* Generate a key of the given algorithm with OpenSSL. */
static EVP_PKEY *
keys_make(enum key_alg alg, struct err *e)
{
	EVP_PKEY *pkey = NULL;

	switch (alg) {
	case KEY_ALG_RSA2048:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case KEY_ALG_RSA3072:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case KEY_ALG_ED25519:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	}
	if (pkey == NULL)
		err_set(e, "cannot generate a %s key: %s",
		    config_key_alg_name(alg), keys_ssl_error());
	return pkey;
}

/* PEM text of pkey (private: PKCS#8; else SubjectPublicKeyInfo). */
static char *
keys_pem(EVP_PKEY *pkey, bool private, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;
	int ok;

	if (bio == NULL)
		return NULL;
	if (private)
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
		    NULL);
	else
		ok = PEM_write_bio_PUBKEY(bio, pkey);
	n = BIO_get_mem_data(bio, &data);
	if (ok == 1 && n > 0) {
		out = xmalloc((size_t)n + 1);
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
		*len = (size_t)n;
	}
	if (private && n > 0)
		OPENSSL_cleanse(data, (size_t)n);
	BIO_free(bio);
	return out;
}

/* Create STATE_DIR/keys/DOMAIN with mode 0700. */
static int
keys_mkdir(const char *state_dir, const char *domain, struct err *e)
{
	char *dir = xasprintf("%s/keys/%s", state_dir, domain);
	int rc = 0;

	if (mkdir_p(dir, 0700, e) == -1)
		rc = -1;
	else if (chmod(dir, 0700) == -1)
		rc = err_set(e, "%s: chmod: %s", dir, strerror(errno));
	free(dir);
	return rc;
}

/* Write the private key (0600) and its public part beside it (0644). */
static int
keys_store(const char *path, EVP_PKEY *pkey, struct err *e)
{
	char *priv, *pub, *pubpath;
	size_t privlen = 0, publen = 0;
	int rc = -1;

	priv = keys_pem(pkey, true, &privlen);
	pub = keys_pem(pkey, false, &publen);
	if (priv == NULL || pub == NULL) {
		err_set(e, "%s: cannot encode the key: %s", path,
		    keys_ssl_error());
		goto out;
	}
	pubpath = xstrdup(path);
	memcpy(pubpath + strlen(pubpath) - 4, ".pub", 4);
	if (file_write_atomic(pubpath, pub, publen, 0644, e) == 0 &&
	    file_write_atomic(path, priv, privlen, 0600, e) == 0)
		rc = 0;
	free(pubpath);
out:
	if (priv != NULL)
		OPENSSL_cleanse(priv, privlen);
	free(priv);
	free(pub);
	return rc;
}

int
keys_generate(const char *state_dir, const char *domain, const char *selector,
    enum key_alg alg, struct err *e)
{
	char path[4096];
	EVP_PKEY *pkey;
	struct stat st;
	int rc;

	if (keys_path(state_dir, domain, selector, path, sizeof(path)) == -1)
		return err_set(e,
		    "domain \"%s\" selector \"%s\": not usable in a file name",
		    domain, selector);
	if (lstat(path, &st) == 0)
		return err_set(e, "%s: a key exists already; not overwritten",
		    path);
	if (errno != ENOENT)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (keys_mkdir(state_dir, domain, e) == -1)
		return -1;
	if ((pkey = keys_make(alg, e)) == NULL)
		return -1;
	rc = keys_store(path, pkey, e);
	EVP_PKEY_free(pkey);
	return rc;
}

/* Read a private key file, refusing one that group or others may use. */
static char *
keys_read_private(const char *path, size_t *len, struct err *e)
{
	struct stat st;
	char *data;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		err_set(e, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > KEYS_MAX_FILE) {
		err_set(e, "%s: not a regular file of at most %ld bytes", path,
		    KEYS_MAX_FILE);
		close(fd);
		return NULL;
	}
	if ((st.st_mode & 077) != 0) {
		err_set(e,
		    "%s: mode %04o is too open: a DKIM private key must be "
		    "readable by its owner only (chmod 600 %s)",
		    path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return NULL;
	}
	data = xmalloc((size_t)st.st_size + 1);
	n = read(fd, data, (size_t)st.st_size);
	close(fd);
	if (n != (ssize_t)st.st_size) {
		err_set(e, "%s: short read", path);
		free(data);
		return NULL;
	}
	data[n] = '\0';
	*len = (size_t)n;
	return data;
}

/* Never ask for a pass phrase: encrypted keys are refused. */
static int
keys_no_passphrase_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Decode PEM (PKCS#8 or PKCS#1) text into a key. */
static EVP_PKEY *
keys_decode(const char *path, const char *pem, size_t len, struct err *e)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = NULL;

	if (bio != NULL)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, keys_no_passphrase_cb,
		    NULL);
	BIO_free(bio);
	if (pkey == NULL)
		err_set(e,
		    "%s: not a PEM private key (PKCS#8 or PKCS#1, "
		    "unencrypted): %s",
		    path, keys_ssl_error());
	return pkey;
}

/* Fill alg and the signing form of a loaded key. */
static int
keys_classify(const char *path, struct dkim_key *k, struct err *e)
{
	int bits = EVP_PKEY_get_bits(k->pkey);

	if (EVP_PKEY_is_a(k->pkey, "ED25519")) {
		k->alg = KEY_ALG_ED25519;
	} else if (EVP_PKEY_is_a(k->pkey, "RSA")) {
		if (bits < KEYS_MIN_RSA_BITS)
			return err_set(e,
			    "%s: a %d-bit RSA key is too short for DKIM "
			    "(RFC 8301: at least %d)",
			    path, bits, KEYS_MIN_RSA_BITS);
		k->alg = bits >= 3072 ? KEY_ALG_RSA3072 : KEY_ALG_RSA2048;
	} else {
		return err_set(e,
		    "%s: unsupported key type (DKIM takes RSA or Ed25519)",
		    path);
	}
	/*
	 * libopendkim 2.11 reads the key given to dkim_sign() with
	 * PEM_read_bio_PrivateKey() when it starts with "-----", for RSA and
	 * Ed25519 alike: PKCS#8 PEM suits both.
	 */
	k->signing = (unsigned char *)keys_pem(k->pkey, true, &k->signing_len);
	if (k->signing == NULL)
		return err_set(e, "%s: cannot encode the key: %s", path,
		    keys_ssl_error());
	return 0;
}

struct dkim_key *
keys_load(const char *state_dir, const char *domain, const char *selector,
    struct err *e)
{
	char path[4096];
	struct dkim_key *k;
	size_t len = 0;
	char *pem;

	if (keys_path(state_dir, domain, selector, path, sizeof(path)) == -1) {
		err_set(e,
		    "domain \"%s\" selector \"%s\": not usable in a file name",
		    domain, selector);
		return NULL;
	}
	if ((pem = keys_read_private(path, &len, e)) == NULL)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->pkey = keys_decode(path, pem, len, e);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (k->pkey == NULL || keys_classify(path, k, e) == -1) {
		keys_free(k);
		return NULL;
	}
	return k;
}

void
keys_free(struct dkim_key *k)
{
	if (k == NULL)
		return;
	if (k->signing != NULL)
		OPENSSL_cleanse(k->signing, k->signing_len);
	free(k->signing);
	EVP_PKEY_free(k->pkey);
	free(k);
}

enum key_alg
keys_alg(const struct dkim_key *k)
{
	return k->alg;
}

int
keys_bits(const struct dkim_key *k)
{
	return EVP_PKEY_get_bits(k->pkey);
}

const unsigned char *
keys_signing_key(const struct dkim_key *k, size_t *len)
{
	*len = k->signing_len;
	return k->signing;
}

EVP_PKEY *
keys_pkey(const struct dkim_key *k)
{
	return k->pkey;
}

/* Base64 without line breaks; caller frees. */
static char *
keys_b64(const unsigned char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

char *
keys_public_b64(const struct dkim_key *k)
{
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof(raw);
	char *out;
	int n;

	if (k->alg == KEY_ALG_ED25519) {
		/* RFC 8463 section 4.2: the raw 32-byte public key. */
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1)
			return NULL;
		return keys_b64(raw, rawlen);
	}
	/* RFC 6376 section 3.6.1: the DER SubjectPublicKeyInfo. */
	if ((n = i2d_PUBKEY(k->pkey, &der)) <= 0)
		return NULL;
	out = keys_b64(der, (size_t)n);
	OPENSSL_free(der);
	return out;
}

char *
keys_txt_record(const struct dkim_key *k)
{
	char *p = keys_public_b64(k), *out;

	if (p == NULL)
		return NULL;
	out = xasprintf("v=DKIM1; k=%s; p=%s",
	    k->alg == KEY_ALG_ED25519 ? "ed25519" : "rsa", p);
	free(p);
	return out;
}

char *
keys_local_public_b64(void *state_dir, const char *domain, const char *selector,
    struct err *e)
{
	struct dkim_key *k = keys_load(state_dir, domain, selector, e);
	char *b64;

	if (k == NULL)
		return NULL;
	b64 = keys_public_b64(k);
	keys_free(k);
	return b64;
}

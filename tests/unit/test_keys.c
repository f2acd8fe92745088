#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <opendkim/dkim.h>

#include "common/util.h"
#include "keys/keys.h"

#define DOMAIN "example.com"

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (str_copy(f->dir, sizeof(f->dir), "/tmp/test_keys.XXXXXX") == -1 ||
	    mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(cmd);
	free(f);
	return 0;
}

static char *
key_path(struct fixture *f, const char *sel)
{
	char path[512];

	assert_int_equal(keys_path(f->dir, DOMAIN, sel, path, sizeof(path)), 0);
	return xstrdup(path);
}

static unsigned
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static void
test_generate_modes(void **state)
{
	struct fixture *f = *state;
	char *path = key_path(f, "pst1"), *dir, *pub;
	struct err e;

	assert_int_equal(keys_generate(f->dir, DOMAIN, "pst1", KEY_ALG_RSA2048,
	                     &e),
	    0);
	dir = xasprintf("%s/keys/%s", f->dir, DOMAIN);
	pub = xasprintf("%s/keys/%s/pst1.pub", f->dir, DOMAIN);
	assert_int_equal(file_mode(path), 0600);
	assert_int_equal(file_mode(dir), 0700);
	assert_int_equal(access(pub, R_OK), 0);
	/* An existing key is never overwritten. */
	assert_int_equal(keys_generate(f->dir, DOMAIN, "pst1", KEY_ALG_ED25519,
	                     &e),
	    -1);
	char *want =
	    xasprintf("%s: a key exists already; not overwritten", path);
	assert_string_equal(e.msg, want);
	free(want);
	free(dir);
	free(pub);
	free(path);
}

static void
test_refuse_open_mode(void **state)
{
	struct fixture *f = *state;
	char *path = key_path(f, "loose");
	struct err e;

	assert_int_equal(keys_generate(f->dir, DOMAIN, "loose", KEY_ALG_ED25519,
	                     &e),
	    0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(keys_load(f->dir, DOMAIN, "loose", &e));
	char *want = xasprintf("%s: mode 0644 is too open: a DKIM private "
	                       "key must be readable by its owner only "
	                       "(chmod 600 %s)",
	    path, path);
	assert_string_equal(e.msg, want);
	free(want);
	assert_int_equal(chmod(path, 0640), 0);
	assert_null(keys_load(f->dir, DOMAIN, "loose", &e));
	assert_non_null(strstr(e.msg, "mode 0640 is too open"));
	free(path);
}

static void
test_missing_and_bad_names(void **state)
{
	struct fixture *f = *state;
	char path[64];
	struct err e;

	assert_null(keys_load(f->dir, DOMAIN, "nosuch", &e));
	assert_non_null(strstr(e.msg, "nosuch.key: No such file or directory"));
	assert_int_equal(keys_path(f->dir, "../etc", "x", path, sizeof(path)),
	    -1);
	assert_int_equal(keys_path(f->dir, DOMAIN, "a/b", path, sizeof(path)),
	    -1);
	assert_int_equal(keys_path(f->dir, DOMAIN, "", path, sizeof(path)), -1);
	assert_int_equal(keys_generate(f->dir, DOMAIN, "..", KEY_ALG_ED25519,
	                     &e),
	    -1);
	assert_string_equal(e.msg, "domain \"example.com\" selector \"..\": "
	                           "not usable in a file name");
}

/* Store a PKCS#1 ("BEGIN RSA PRIVATE KEY") key at sel's path. */
static EVP_PKEY *
write_pkcs1(struct fixture *f, const char *sel, int bits)
{
	char *path = key_path(f, sel), *dir;
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	FILE *fp;

	assert_non_null(pkey);
	dir = xasprintf("%s/keys/%s", f->dir, DOMAIN);
	assert_int_equal(mkdir_p(dir, 0700, NULL), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(chmod(path, 0600), 0);
	BIO *bio = BIO_new_fp(fp, BIO_NOCLOSE);
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL,
	                     NULL, 0, NULL, NULL),
	    1);
	BIO_free(bio);
	fclose(fp);
	free(dir);
	free(path);
	return pkey;
}

static void
test_pkcs1_load(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *pkey = write_pkcs1(f, "legacy", 2048);
	unsigned char *der = NULL;
	struct dkim_key *k;
	struct err e;
	char *b64;
	int n;

	k = keys_load(f->dir, DOMAIN, "legacy", &e);
	assert_non_null(k);
	assert_int_equal(keys_alg(k), KEY_ALG_RSA2048);
	assert_int_equal(keys_bits(k), 2048);
	n = i2d_PUBKEY(pkey, &der);
	assert_true(n > 0);
	b64 = xmalloc(4 * ((size_t)n + 2) / 3 + 4);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	char *p = keys_public_b64(k);
	assert_string_equal(p, b64);
	free(p);
	free(b64);
	OPENSSL_free(der);
	EVP_PKEY_free(pkey);
	keys_free(k);
}

static void
test_refuse_short_rsa(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *pkey = write_pkcs1(f, "short", 768);
	struct err e;

	assert_null(keys_load(f->dir, DOMAIN, "short", &e));
	assert_non_null(strstr(e.msg, "a 768-bit RSA key is too short for "
	                              "DKIM (RFC 8301: at least 1024)"));
	EVP_PKEY_free(pkey);
}

static void
test_refuse_garbage(void **state)
{
	struct fixture *f = *state;
	char *path = key_path(f, "junk"), *dir;
	struct err e;

	dir = xasprintf("%s/keys/%s", f->dir, DOMAIN);
	assert_int_equal(mkdir_p(dir, 0700, NULL), 0);
	assert_int_equal(file_write_atomic(path, "hello\n", 6, 0600, &e), 0);
	assert_null(keys_load(f->dir, DOMAIN, "junk", &e));
	assert_non_null(strstr(e.msg, "junk.key: not a PEM private key "
	                              "(PKCS#8 or PKCS#1, unencrypted)"));
	free(dir);
	free(path);
}

static bool
is_b64(const char *s)
{
	return *s != '\0' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789+/=") == strlen(s);
}

static void
test_txt_records(void **state)
{
	struct fixture *f = *state;
	const char *rsa_pre = "v=DKIM1; k=rsa; p=";
	const char *ed_pre = "v=DKIM1; k=ed25519; p=";
	struct dkim_key *k;
	unsigned char raw[64];
	struct err e;
	char *txt;

	assert_int_equal(keys_generate(f->dir, DOMAIN, "r3", KEY_ALG_RSA3072,
	                     &e),
	    0);
	k = keys_load(f->dir, DOMAIN, "r3", &e);
	assert_non_null(k);
	assert_int_equal(keys_alg(k), KEY_ALG_RSA3072);
	assert_int_equal(keys_bits(k), 3072);
	txt = keys_txt_record(k);
	assert_memory_equal(txt, rsa_pre, strlen(rsa_pre));
	assert_true(is_b64(txt + strlen(rsa_pre)));
	free(txt);
	keys_free(k);

	assert_int_equal(keys_generate(f->dir, DOMAIN, "e1", KEY_ALG_ED25519,
	                     &e),
	    0);
	k = keys_load(f->dir, DOMAIN, "e1", &e);
	assert_non_null(k);
	assert_int_equal(keys_alg(k), KEY_ALG_ED25519);
	assert_int_equal(keys_bits(k), 256);
	txt = keys_txt_record(k);
	assert_memory_equal(txt, ed_pre, strlen(ed_pre));
	/* RFC 8463: the raw 32-byte key, 44 base64 characters. */
	assert_int_equal(strlen(txt + strlen(ed_pre)), 44);
	assert_int_equal(EVP_DecodeBlock(raw,
	                     (const unsigned char *)txt + strlen(ed_pre), 44),
	    33); /* 32 bytes and one padding byte */
	free(txt);
	keys_free(k);
}

static void
test_txt_split(void **state)
{
	char value[600], **v;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(value); i++)
		value[i] = (char)('a' + i % 26);
	n = keys_txt_split(value, sizeof(value), &v);
	assert_int_equal(n, 3);
	assert_int_equal(strlen(v[0]), 255);
	assert_int_equal(strlen(v[1]), 255);
	assert_int_equal(strlen(v[2]), 90);
	assert_memory_equal(v[1], value + 255, 255);
	keys_txt_strings_free(v, n);
	n = keys_txt_split(value, 255, &v);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(v[0]), 255);
	keys_txt_strings_free(v, n);
	n = keys_txt_split(value, 256, &v);
	assert_int_equal(n, 2);
	assert_string_equal(v[1], "v");
	keys_txt_strings_free(v, n);
	assert_int_equal(keys_txt_split(value, 0, &v), 0);
	assert_null(v);
}

static void
test_txt_zone_format(void **state)
{
	char value[300], *z;

	(void)state;
	z = keys_txt_zone_format("v=DKIM1; k=rsa; p=AB", 20);
	assert_string_equal(z, "\"v=DKIM1; k=rsa; p=AB\"");
	free(z);
	z = keys_txt_zone_format("a\"b\\c\n", 6);
	assert_string_equal(z, "\"a\\\"b\\\\c\\010\"");
	free(z);
	z = keys_txt_zone_format("", 0);
	assert_string_equal(z, "\"\"");
	free(z);
	memset(value, 'x', sizeof(value));
	z = keys_txt_zone_format(value, sizeof(value));
	assert_int_equal(strlen(z), 2 + 255 + 1 + 2 + 45);
	assert_memory_equal(z + 256, "\" \"", 3);
	free(z);
	z = keys_record_name("example.com", "pst1");
	assert_string_equal(z, "pst1._domainkey.example.com");
	free(z);
}

static const char msg_headers[] = "From: Alice <alice@example.com>\r\n"
                                  "To: bob@example.net\r\n"
                                  "Subject: keys test\r\n"
                                  "Date: Sat, 28 Nov 2026 04:00:00 +0000\r\n"
                                  "Message-ID: <keys-test@example.com>\r\n";
static const char msg_body[] = "Hello Bob,\r\n\r\nthis is signed.\r\n";

/* Feed the test message (after an optional signature header) to d. */
static void
feed(DKIM *d, const char *sighdr)
{
	char line[256];
	const char *p = msg_headers;

	if (sighdr != NULL) {
		char *h = xstrdup(sighdr);

		assert_int_equal(dkim_header(d, (u_char *)h, strlen(h)),
		    DKIM_STAT_OK);
		free(h);
	}
	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");
		size_t len = (size_t)(eol - p);

		memcpy(line, p, len);
		line[len] = '\0';
		assert_int_equal(dkim_header(d, (u_char *)line, len),
		    DKIM_STAT_OK);
		p = eol + 2;
	}
	assert_int_equal(dkim_eoh(d), DKIM_STAT_OK);
	char *body = xstrdup(msg_body);

	assert_int_equal(dkim_body(d, (u_char *)body, strlen(body)),
	    DKIM_STAT_OK);
	free(body);
}

/* Sign the test message with libopendkim; returns the header, caller frees. */
static char *
dkim_sign_msg(DKIM_LIB *lib, struct dkim_key *k, const char *sel)
{
	const unsigned char *key;
	DKIM_STAT st;
	u_char hdr[4096];
	size_t len;
	DKIM *d;

	u_char jobid[] = "sign", domain[] = DOMAIN, selector[64];
	u_char *keycopy;

	key = keys_signing_key(k, &len);
	keycopy = xmalloc(len + 1);
	memcpy(keycopy, key, len);
	keycopy[len] = '\0';
	assert_int_equal(str_copy((char *)selector, sizeof(selector), sel), 0);
	d = dkim_sign(lib, jobid, NULL, keycopy, selector, domain,
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
	    keys_alg(k) == KEY_ALG_ED25519 ? DKIM_SIGN_ED25519SHA256
	                                   : DKIM_SIGN_RSASHA256,
	    -1, &st);
	assert_non_null(d);
	feed(d, NULL);
	st = dkim_eom(d, NULL);
	assert_int_equal(st, DKIM_STAT_OK);
	assert_int_equal(dkim_getsighdr(d, hdr, sizeof(hdr),
	                     strlen(DKIM_SIGNHEADER) + 2),
	    DKIM_STAT_OK);
	dkim_free(d);
	free(keycopy);
	return xasprintf("%s: %s", DKIM_SIGNHEADER, hdr);
}

/* Verify sighdr against a key file holding "NAME TXT" as DNS would. */
static DKIM_STAT
dkim_verify_msg(struct fixture *f, const char *sighdr, const char *sel,
    const char *txt)
{
	char *keyfile = xasprintf("%s/dns.txt", f->dir);
	char *line = xasprintf("%s._domainkey.%s %s\n", sel, DOMAIN, txt);
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	int method = DKIM_QUERY_FILE;
	DKIM_SIGINFO *sig;
	DKIM_STAT st;
	DKIM *d;
	struct err e;

	assert_int_equal(file_write_atomic(keyfile, line, strlen(line), 0600,
	                     &e),
	    0);
	assert_int_equal(dkim_options(lib, DKIM_OP_SETOPT,
	                     DKIM_OPTS_QUERYMETHOD, &method, sizeof(method)),
	    DKIM_STAT_OK);
	assert_int_equal(dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO,
	                     keyfile, strlen(keyfile)),
	    DKIM_STAT_OK);
	u_char jobid[] = "verify";

	d = dkim_verify(lib, jobid, NULL, &st);
	assert_non_null(d);
	feed(d, sighdr);
	st = dkim_eom(d, NULL);
	sig = dkim_getsignature(d);
	if (st == DKIM_STAT_OK && (sig == NULL || !DKIM_SIG_CHECK(sig)))
		st = DKIM_STAT_BADSIG;
	dkim_free(d);
	dkim_close(lib);
	free(line);
	free(keyfile);
	return st;
}

/*
 * An independent verifier: dkimpy (python3-dkim) with the published record
 * as its DNS answer. Returns its exit status (0: the signature verifies).
 */
static int
python_verify(struct fixture *f, const char *sighdr, const char *txt)
{
	char *msgfile = xasprintf("%s/msg.eml", f->dir);
	char *msg = xasprintf("%s\r\n%s\r\n%s", sighdr, msg_headers, msg_body);
	char *cmd;
	struct err e;
	int rc;

	assert_int_equal(file_write_atomic(msgfile, msg, strlen(msg), 0600, &e),
	    0);
	cmd = xasprintf("/usr/bin/python3 -c 'import dkim,sys; "
	                "m=open(sys.argv[1],\"rb\").read(); "
	                "sys.exit(0 if dkim.verify(m, dnsfunc=lambda n, "
	                "timeout=5: sys.argv[2].encode()) else 1)' '%s' '%s'",
	    msgfile, txt);
	rc = system(cmd);
	free(cmd);
	free(msg);
	free(msgfile);
	return rc;
}

static void
sign_and_verify(struct fixture *f, enum key_alg alg, const char *sel,
    const char *alg_tag)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	struct dkim_key *k, *other;
	char *sighdr, *txt, *othertxt;
	struct err e;

	assert_int_equal(keys_generate(f->dir, DOMAIN, sel, alg, &e), 0);
	assert_int_equal(keys_generate(f->dir, DOMAIN, "other", alg, &e), 0);
	k = keys_load(f->dir, DOMAIN, sel, &e);
	other = keys_load(f->dir, DOMAIN, "other", &e);
	assert_non_null(k);
	assert_non_null(other);
	sighdr = dkim_sign_msg(lib, k, sel);
	assert_non_null(strstr(sighdr, alg_tag));
	txt = keys_txt_record(k);
	assert_int_equal(dkim_verify_msg(f, sighdr, sel, txt), DKIM_STAT_OK);
	assert_int_equal(python_verify(f, sighdr, txt), 0);
	/* The test can fail: another key's record does not verify it. */
	othertxt = keys_txt_record(other);
	assert_int_not_equal(dkim_verify_msg(f, sighdr, sel, othertxt),
	    DKIM_STAT_OK);
	assert_int_not_equal(python_verify(f, sighdr, othertxt), 0);
	free(othertxt);
	free(txt);
	free(sighdr);
	keys_free(other);
	keys_free(k);
	dkim_close(lib);
}

static void
test_sign_verify_rsa(void **state)
{
	sign_and_verify(*state, KEY_ALG_RSA2048, "rsa1", "a=rsa-sha256");
}

static void
test_sign_verify_ed25519(void **state)
{
	sign_and_verify(*state, KEY_ALG_ED25519, "ed1", "a=ed25519-sha256");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate_modes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_open_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_bad_names,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pkcs1_load, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_short_rsa, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_garbage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_txt_records, setup,
		    teardown),
		cmocka_unit_test(test_txt_split),
		cmocka_unit_test(test_txt_zone_format),
		cmocka_unit_test_setup_teardown(test_sign_verify_rsa, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sign_verify_ed25519, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

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

#include "common/util.h"
#include "keys/keys.h"
#include "unit.h"

#define DOMAIN "example.com"

struct fixture {
	char *dir;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if ((f->dir = unit_tmp_make("test_keys")) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unit_tmp_remove(f->dir);
	free(f->dir);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

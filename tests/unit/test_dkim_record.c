#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dnscheck/dkim_record.h"

/* RFC 8463 appendix A's Ed25519 public key. */
#define ED_P "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

/* The base64 SubjectPublicKeyInfo of a fresh RSA key; caller frees. */
static char *
rsa_b64(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);
	unsigned char *der = NULL;
	char *out;
	int n;

	assert_non_null(k);
	n = i2d_PUBKEY(k, &der);
	assert_true(n > 0);
	out = malloc((size_t)n * 2 + 4);
	EVP_EncodeBlock((unsigned char *)out, der, n);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return out;
}

static enum check_status
judge(const char *rec, const char *local, char *detail)
{
	return dkim_record_check(rec, strlen(rec), local, detail, 1100);
}

static void
test_dkim_ed25519(void **state)
{
	char d[1100];

	(void)state;
	assert_int_equal(judge("v=DKIM1; k=ed25519; p=" ED_P, ED_P, d),
	    CHECK_OK);
	assert_string_equal(d,
	    "ed25519 256-bit key published, equals the local key");
	assert_int_equal(judge("v=DKIM1; k=ed25519; p=" ED_P, "AAAA", d),
	    CHECK_FAIL);
	assert_string_equal(d, "the published key differs from the local key");
	assert_int_equal(judge("v=DKIM1; k=ed25519; t=y; p=" ED_P, NULL, d),
	    CHECK_WARN);
	assert_string_equal(d, "ed25519 256-bit key published, not compared "
	                       "with a local key; t=y: testing mode");
	assert_int_equal(judge("v=DKIM1; k=ed25519; p=AAAA", NULL, d),
	    CHECK_FAIL);
	assert_string_equal(d, "p= is not a valid ed25519 public key");
}

static void
test_dkim_rsa_sizes(void **state)
{
	char *p2048 = rsa_b64(2048), *p1024 = rsa_b64(1024),
	     *p512 = rsa_b64(512);
	char rec[2000], d[1100];

	(void)state;
	snprintf(rec, sizeof(rec), "v=DKIM1; k=rsa; p=%s", p2048);
	assert_int_equal(judge(rec, p2048, d), CHECK_OK);
	assert_string_equal(d, "RSA 2048-bit key published, equals the local "
	                       "key");
	/* Folding white space inside p= is ignored. */
	snprintf(rec, sizeof(rec), "p=%.40s \t %s", p2048, p2048 + 40);
	assert_int_equal(judge(rec, p2048, d), CHECK_OK);
	snprintf(rec, sizeof(rec), "v=DKIM1; p=%s", p1024);
	assert_int_equal(judge(rec, NULL, d), CHECK_WARN);
	assert_string_equal(d, "RSA 1024-bit key published, not compared with "
	                       "a local key; below 2048 bits");
	snprintf(rec, sizeof(rec), "v=DKIM1; p=%s", p512);
	assert_int_equal(judge(rec, NULL, d), CHECK_FAIL);
	assert_string_equal(d, "RSA key of 512 bits: below 1024");
	free(p2048);
	free(p1024);
	free(p512);
}

static void
test_dkim_errors(void **state)
{
	char d[1100];

	(void)state;
	assert_int_equal(judge("v=DKIM1; p=", NULL, d), CHECK_FAIL);
	assert_string_equal(d, "the key is revoked (empty p=)");
	assert_int_equal(judge("k=rsa; v=DKIM1; p=" ED_P, NULL, d), CHECK_FAIL);
	assert_string_equal(d, "v= must be DKIM1 and come first");
	assert_int_equal(judge("v=DKIM2; p=" ED_P, NULL, d), CHECK_FAIL);
	assert_int_equal(judge("v=DKIM1; k=dsa; p=" ED_P, NULL, d), CHECK_FAIL);
	assert_string_equal(d, "unknown key type k=dsa");
	assert_int_equal(judge("v=DKIM1; k=rsa", NULL, d), CHECK_FAIL);
	assert_string_equal(d, "no p= tag");
	assert_int_equal(judge("v=DKIM1; h=sha1; k=ed25519; p=" ED_P, NULL, d),
	    CHECK_FAIL);
	assert_string_equal(d, "h=sha1 does not allow sha256");
	assert_int_equal(judge("v=DKIM1; s=tlsrpt; k=ed25519; p=" ED_P, NULL,
	                     d),
	    CHECK_FAIL);
	assert_string_equal(d, "s=tlsrpt does not allow email");
	assert_int_equal(judge("v=DKIM1; p=" ED_P "; p=x", NULL, d),
	    CHECK_FAIL);
	assert_string_equal(d, "syntax: tag p appears twice");
	assert_int_equal(judge("v=DKIM1; p=!!!!", NULL, d), CHECK_FAIL);
	assert_string_equal(d, "p= is not a valid RSA public key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dkim_ed25519),
		cmocka_unit_test(test_dkim_rsa_sizes),
		cmocka_unit_test(test_dkim_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

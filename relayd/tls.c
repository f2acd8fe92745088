#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "common/util.h"
#include "relayd/tls.h"

/* TLS 1.2 suites: ECDHE with AEAD only (TLS 1.3 suites are all fine). */
#define TLS12_CIPHERS                                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

const char *
tls_error_text(char *dst, size_t len)
{
	unsigned long code = ERR_get_error();

	if (code == 0)
		snprintf(dst, len, "unknown TLS error");
	else
		ERR_error_string_n(code, dst, len);
	ERR_clear_error();
	return dst;
}

void
tls_describe(SSL *ssl, const char **version, const char **cipher)
{
	*version = SSL_get_version(ssl);
	*cipher = SSL_get_cipher_name(ssl);
	if (*cipher == NULL)
		*cipher = "unknown";
}

/* A self-signed X.509 certificate for host with key. */
static X509 *
make_cert(EVP_PKEY *key, const char *host)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext;
	char san[300];

	snprintf(san, sizeof(san), "DNS:%s", host);
	if (x == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0);
	X509_set_issuer_name(x, name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	if (ext == NULL || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, key, EVP_sha256())) {
		X509_EXTENSION_free(ext);
		X509_free(x);
		return NULL;
	}
	X509_EXTENSION_free(ext);
	return x;
}

/* PEM of a key or certificate into a file, atomically. */
static int
write_pem(const char *path, EVP_PKEY *key, X509 *cert, struct err *e)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc;

	if (b == NULL ||
	    (key != NULL &&
	        !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) ||
	    (cert != NULL && !PEM_write_bio_X509(b, cert))) {
		BIO_free(b);
		return err_set(e, "%s: cannot encode PEM", path);
	}
	len = BIO_get_mem_data(b, &data);
	rc = file_write_atomic(path, data, (size_t)len, 0600, e);
	BIO_free_all(b);
	return rc;
}

/* Make the self-signed pair in STATE_DIR/tls unless it exists. */
static int
ensure_selfsigned(const struct config *cfg, char *cert, char *key, size_t len,
    struct err *e)
{
	char dir[4096];
	EVP_PKEY *pk;
	X509 *x;
	int rc;

	snprintf(dir, sizeof(dir), "%s/tls", cfg->state_dir);
	if (snprintf(cert, len, "%s/selfsigned.crt", dir) >= (int)len ||
	    snprintf(key, len, "%s/selfsigned.key", dir) >= (int)len)
		return err_set(e, "state_dir: path too long");
	if (access(cert, R_OK) == 0 && access(key, R_OK) == 0)
		return 0;
	if (mkdir_p(dir, 0700, e) == -1)
		return -1;
	pk = EVP_EC_gen("P-256");
	x = pk != NULL ? make_cert(pk, cfg->relay.hostname) : NULL;
	if (x == NULL) {
		EVP_PKEY_free(pk);
		return err_set(e, "cannot make a self-signed certificate");
	}
	rc = write_pem(key, pk, NULL, e);
	if (rc == 0)
		rc = write_pem(cert, NULL, x, e);
	X509_free(x);
	EVP_PKEY_free(pk);
	if (rc == 0)
		log_warn("event=tls_selfsigned host=%s certificate=%s "
		         "reason=\"relay.tls names no certificate\"",
		    cfg->relay.hostname, cert);
	return rc;
}

SSL_CTX *
tls_server_ctx_new(const struct config *cfg, struct err *e)
{
	char cert[4096], key[4096], why[256];
	SSL_CTX *ctx;

	if (cfg->relay.tls.certificate != NULL) {
		snprintf(cert, sizeof(cert), "%s", cfg->relay.tls.certificate);
		snprintf(key, sizeof(key), "%s",
		    cfg->relay.tls.key != NULL ? cfg->relay.tls.key
		                               : cfg->relay.tls.certificate);
	} else if (ensure_selfsigned(cfg, cert, key, sizeof(cert), e) == -1) {
		return NULL;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		err_set(e, "TLS: %s", tls_error_text(why, sizeof(why)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	                             SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (!SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		err_set(e, "relay.tls.certificate: %s: %s", cert,
		    tls_error_text(why, sizeof(why)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		err_set(e, "relay.tls.key: %s: %s", key,
		    tls_error_text(why, sizeof(why)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

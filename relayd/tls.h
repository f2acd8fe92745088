#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <openssl/ssl.h>

#include "common/config.h"
#include "common/err.h"

/*
 * The server TLS context: TLS 1.2 and 1.3 only, forward-secret AEAD
 * ciphers, the certificate and key of relay.tls, or (when none is
 * configured) a self-signed certificate for relay.hostname, made on first
 * start in STATE_DIR/tls/ and reused afterwards.
 */
SSL_CTX *tls_server_ctx_new(const struct config *cfg, struct err *e);
/* "TLSv1.3" and the cipher name of an established connection. */
void tls_describe(SSL *ssl, const char **version, const char **cipher);
/* The OpenSSL error queue as text (and emptied), for messages. */
const char *tls_error_text(char *dst, size_t len);

#endif

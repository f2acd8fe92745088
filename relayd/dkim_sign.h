#ifndef POSTERN_DKIM_SIGN_H
#define POSTERN_DKIM_SIGN_H

#include <stddef.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/err.h"

/*
 * DKIM signing (RFC 6376, RFC 8463) with libopendkim: every selector of the
 * header From's domain signs (rsa-sha256 and ed25519-sha256 side by side),
 * c=relaxed/relaxed, over the fields of DESIGN.md with From over-signed.
 * Keys are read through keys/ when the signer is made (start, SIGHUP).
 */

struct dkim_signer;

/*
 * Load every configured selector's key. A key that cannot be loaded is
 * logged and left out (that selector does not sign); never NULL.
 */
struct dkim_signer *dkim_signer_new(const struct config *cfg);
void dkim_signer_free(struct dkim_signer *s);
/*
 * Sign msg (len bytes, CRLF, not dot-stuffed) for domain; append one
 * "DKIM-Signature: ..." field (CRLF-terminated) per selector to out.
 * Returns the number of signatures (0: the domain has no keys), -1 with e.
 */
int dkim_signer_sign(struct dkim_signer *s, const char *domain, const char *msg,
    size_t len, const char *qid, struct buf *out, struct err *e);

#endif

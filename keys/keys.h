#ifndef POSTERN_KEYS_H
#define POSTERN_KEYS_H

#include <stddef.h>

#include "common/config.h"
#include "common/err.h"

/*
 * DKIM keys (RFC 6376, RFC 8463 for Ed25519): made, stored and read here
 * only. A key lives at STATE_DIR/keys/DOMAIN/SELECTOR.key (PEM, PKCS#8,
 * mode 0600, directory 0700), with SELECTOR.pub (the public part) beside it.
 */

struct dkim_key;

/* The path of a selector's private key; -1 when it does not fit dst. */
int keys_path(const char *state_dir, const char *domain, const char *selector,
    char *dst, size_t dstlen) WUR;

/*
 * Make a new key for domain/selector and store it atomically. Refuses to
 * overwrite an existing key.
 */
int keys_generate(const char *state_dir, const char *domain,
    const char *selector, enum key_alg alg, struct err *e) WUR;

/*
 * Load a selector's private key (PKCS#8 or PKCS#1 PEM). Refuses a key file
 * readable or writable by group or others. NULL and e on failure; a key that
 * does not exist gives errno-style text "... No such file or directory".
 */
struct dkim_key *keys_load(const char *state_dir, const char *domain,
    const char *selector, struct err *e);
void keys_free(struct dkim_key *k);

enum key_alg keys_alg(const struct dkim_key *k);
/* Key size in bits (256 for Ed25519). */
int keys_bits(const struct dkim_key *k);
/*
 * The private key as libopendkim's dkim_sign() takes it (PEM text for RSA;
 * for Ed25519 whatever libopendkim needs), borrowed until keys_free().
 */
const unsigned char *keys_signing_key(const struct dkim_key *k, size_t *len);
/* The parsed key, borrowed until keys_free(). */
struct evp_pkey_st *keys_pkey(const struct dkim_key *k);
/* The base64 public key of the p= tag; caller frees. */
char *keys_public_b64(const struct dkim_key *k);
/* The TXT value "v=DKIM1; k=rsa; p=..."; caller frees. */
char *keys_txt_record(const struct dkim_key *k);
/*
 * The base64 public key of the stored key for domain/selector, or NULL and
 * e; caller frees. arg is the state_dir: this is the shape of dnscheck's
 * report_local_key_fn.
 */
char *keys_local_public_b64(void *state_dir, const char *domain,
    const char *selector, struct err *e);

/* A TXT character-string holds at most 255 octets (RFC 1035 3.3). */
#define KEYS_TXT_STRING_MAX 255

/*
 * Split a TXT value of len bytes into character-strings of at most 255
 * bytes, in order. Returns the count (0 for an empty value: one empty string
 * is still one string, so callers publishing "" send one); *out is an array
 * of NUL-terminated copies, freed with keys_txt_strings_free().
 */
size_t keys_txt_split(const char *value, size_t len, char ***out);
void keys_txt_strings_free(char **v, size_t n);
/*
 * The zone-file form of a TXT value: "..." "..." with strings of at most 255
 * octets, '"' and '\' escaped, other bytes outside 0x20-0x7e as \DDD.
 * Caller frees.
 */
char *keys_txt_zone_format(const char *value, size_t len);
/*
 * The DKIM record's owner name for a selector: "SELECTOR._domainkey.DOMAIN"
 * (no trailing dot). Caller frees.
 */
char *keys_record_name(const char *domain, const char *selector);

#endif

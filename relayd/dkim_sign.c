#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "keys/keys.h"
#include "keys/rotation.h"
#include "relayd/dkim_sign.h"

/* DESIGN.md: the fields signed; From is over-signed. */
static const char *sign_headers[] = { "from", "to", "cc", "subject", "date",
	"message-id", "reply-to", "mime-version", "content-type",
	"content-transfer-encoding", "in-reply-to", "references", NULL };
static const char *oversign_headers[] = { "from", NULL };

struct sel {
	char *domain;
	char *selector;
	struct dkim_key *key;
	unsigned char *pem; /* NUL-terminated copy for dkim_sign(); wiped */
	size_t pem_len;
};

struct dkim_signer {
	DKIM_LIB *lib;
	struct sel *sel;
	size_t nsel;
};

/* Load one selector's key into s; logged and skipped on failure. */
static void
add_selector(struct dkim_signer *s, const struct config *cfg,
    const char *domain, const char *selector)
{
	const unsigned char *k;
	struct dkim_key *key;
	struct sel *n;
	struct err e;
	size_t len;

	key = keys_load(cfg->state_dir, domain, selector, &e);
	if (key == NULL) {
		log_error("event=dkim_key domain=%s selector=%s result=failed "
		          "error=\"%s\" fix=\"run postern keys generate\"",
		    domain, selector, e.msg);
		return;
	}
	k = keys_signing_key(key, &len);
	s->sel = xrealloc(s->sel, (s->nsel + 1) * sizeof(*s->sel));
	n = &s->sel[s->nsel++];
	n->domain = xstrdup(domain);
	n->selector = xstrdup(selector);
	n->key = key;
	n->pem = xmalloc(len + 1);
	memcpy(n->pem, k, len);
	n->pem[len] = '\0';
	n->pem_len = len;
	log_info("event=dkim_key domain=%s selector=%s algorithm=%s "
	         "result=loaded",
	    domain, selector, config_key_alg_name(keys_alg(key)));
}

struct dkim_signer *
dkim_signer_new(const struct config *cfg)
{
	struct dkim_signer *s = xcalloc(1, sizeof(*s));

	s->lib = dkim_init(NULL, NULL);
	if (s->lib == NULL)
		die(3, "BUG: dkim_init failed");
	(void)dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
	    sign_headers, sizeof(char **));
	(void)dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    oversign_headers, sizeof(char **));
	for (size_t i = 0; i < cfg->ndomains; i++) {
		for (size_t j = 0; j < cfg->domains[i].ndkim; j++) {
			char buf[64];

			/* A rotation signs with its next selector. */
			add_selector(s, cfg, cfg->domains[i].name,
			    rotation_selector(cfg->state_dir,
			        cfg->domains[i].name,
			        cfg->domains[i].dkim[j].selector, buf,
			        sizeof(buf)));
		}
	}
	return s;
}

void
dkim_signer_free(struct dkim_signer *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nsel; i++) {
		OPENSSL_cleanse(s->sel[i].pem, s->sel[i].pem_len);
		free(s->sel[i].pem);
		keys_free(s->sel[i].key);
		free(s->sel[i].domain);
		free(s->sel[i].selector);
	}
	free(s->sel);
	dkim_close(s->lib);
	free(s);
}

/* libopendkim's error text for a failed call. */
static int
dkim_fail(DKIM *d, DKIM_STAT st, const char *what, const struct sel *sel,
    struct err *e)
{
	const char *detail = d != NULL ? dkim_geterror(d) : NULL;

	return err_set(e, "%s/%s: %s: %s%s%s", sel->domain, sel->selector, what,
	    dkim_getresultstr(st), detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
}

/* Feed the header fields (folded lines kept, CRLF removed) and body. */
static DKIM_STAT
feed(DKIM *d, const char *msg, size_t len)
{
	size_t pos = 0, start;
	DKIM_STAT st = DKIM_STAT_OK;

	while (st == DKIM_STAT_OK && pos + 1 < len &&
	       !(msg[pos] == '\r' && msg[pos + 1] == '\n')) {
		start = pos;
		do {
			const char *lf = memchr(msg + pos, '\n', len - pos);

			pos = lf != NULL ? (size_t)(lf - msg) + 1 : len;
		} while (pos < len && (msg[pos] == ' ' || msg[pos] == '\t'));
		st = dkim_header(d, (unsigned char *)(uintptr_t)(msg + start),
		    pos - start - 2);
	}
	if (st != DKIM_STAT_OK)
		return st;
	st = dkim_eoh(d);
	if (st != DKIM_STAT_OK)
		return st;
	pos = pos + 2 <= len ? pos + 2 : len;
	if (pos < len)
		st = dkim_body(d, (unsigned char *)(uintptr_t)(msg + pos),
		    len - pos);
	return st;
}

/* Append "DKIM-Signature: " value with CRLF line ends to out. */
static int
append_sig(struct buf *out, const unsigned char *v, size_t len)
{
	if (buf_append_str(out, DKIM_SIGNHEADER ": ") == -1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\r')
			continue;
		if (v[i] == '\n' ? buf_append(out, "\r\n", 2) == -1
		                 : buf_append(out, &v[i], 1) == -1)
			return -1;
	}
	return buf_append(out, "\r\n", 2);
}

/* One signature by sel. */
static int
sign_one(struct dkim_signer *s, const struct sel *sel, const char *msg,
    size_t len, const char *qid, struct buf *out, struct err *e)
{
	dkim_alg_t alg = keys_alg(sel->key) == KEY_ALG_ED25519
	                     ? DKIM_SIGN_ED25519SHA256
	                     : DKIM_SIGN_RSASHA256;
	DKIM_STAT st;
	unsigned char *v;
	size_t vlen;
	DKIM *d;
	int rc = 0;

	d = dkim_sign(s->lib, (const unsigned char *)qid, NULL, sel->pem,
	    (const unsigned char *)sel->selector,
	    (const unsigned char *)sel->domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, alg, -1, &st);
	if (d == NULL)
		return dkim_fail(NULL, st, "dkim_sign", sel, e);
	st = feed(d, msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	if (st == DKIM_STAT_OK)
		st =
		    dkim_getsighdr_d(d, strlen(DKIM_SIGNHEADER) + 2, &v, &vlen);
	if (st != DKIM_STAT_OK)
		rc = dkim_fail(d, st, "signing", sel, e);
	else if (append_sig(out, v, vlen) == -1)
		rc = err_set(e, "signature too long");
	dkim_free(d);
	return rc;
}

int
dkim_signer_sign(struct dkim_signer *s, const char *domain, const char *msg,
    size_t len, const char *qid, struct buf *out, struct err *e)
{
	int n = 0;

	for (size_t i = 0; i < s->nsel; i++) {
		if (strcmp(s->sel[i].domain, domain) != 0)
			continue;
		if (sign_one(s, &s->sel[i], msg, len, qid, out, e) == -1)
			return -1;
		n++;
	}
	return n;
}

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

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
	bool keeps_ref; /* libopendkim keeps its key reference: we drop it */
};

struct dkim_signer {
	DKIM_LIB *lib;
	struct sel *sel;
	size_t nsel;
};

/*
 * libopendkim takes the key as PEM text and parses it again for every
 * message (PEM_read_bio_PrivateKey() in dkim_privkey_load()). With OpenSSL 3
 * that parse, and the RSA blinding a new key object sets up again, cost
 * four times the signature itself. And Debian 12's libopendkim
 * (2.11.0~beta2) never frees an Ed25519 key it parsed, nor that key's
 * 64-octet signature buffer: 1.2 KiB per message (fixed upstream).
 *
 * So, only on a thread that is inside sign_one(), the parse hands over a new
 * reference to the key parsed once at start (every other caller gets the
 * real parse); libopendkim's own allocations for that message (the
 * allocator given to dkim_init()) are tracked, and what dkim_free() leaves
 * behind is freed; and where a first signature shows that libopendkim keeps
 * its reference to the key (probe_keeps_ref()), that reference is dropped
 * for it after dkim_free().
 */
struct allocs {
	void **p;
	size_t n, cap;
};

static _Thread_local EVP_PKEY *tl_key;         /* the next parse's answer */
static _Thread_local struct allocs *tl_allocs; /* this message's */

EVP_PKEY *
PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u)
{
	EVP_PKEY *k = tl_key;

	if (k != NULL && x == NULL) {
		tl_key = NULL;
		return k;
	}
	return PEM_read_bio_PrivateKey_ex(bp, x, cb, u, NULL, NULL);
}

static void *
track_malloc(void *closure, size_t n)
{
	struct allocs *a = tl_allocs;
	void *p = malloc(n);

	(void)closure;
	if (p == NULL || a == NULL)
		return p;
	if (a->n == a->cap) {
		size_t cap = a->cap == 0 ? 64 : a->cap * 2;
		void **np = realloc(a->p, cap * sizeof(*np));

		if (np == NULL) {
			free(p);
			return NULL;
		}
		a->p = np;
		a->cap = cap;
	}
	a->p[a->n++] = p;
	return p;
}

static void
track_free(void *closure, void *p)
{
	struct allocs *a = tl_allocs;

	(void)closure;
	/* Most blocks go in the reverse order they came. */
	for (size_t i = a != NULL ? a->n : 0; i-- > 0;) {
		if (a->p[i] == p) {
			a->p[i] = a->p[--a->n];
			break;
		}
	}
	free(p);
}

static bool probe_keeps_ref(struct dkim_signer *s, struct sel *sel);

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
	n->keeps_ref = probe_keeps_ref(s, n);
	log_info("event=dkim_key domain=%s selector=%s algorithm=%s "
	         "result=loaded",
	    domain, selector, config_key_alg_name(keys_alg(key)));
}

struct dkim_signer *
dkim_signer_new(const struct config *cfg)
{
	struct dkim_signer *s = xcalloc(1, sizeof(*s));

	s->lib = dkim_init(track_malloc, track_free);
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

/* One signature by sel with key (see PEM_read_bio_PrivateKey above). */
static int
sign_one(struct dkim_signer *s, const struct sel *sel, EVP_PKEY *key,
    const char *msg, size_t len, const char *qid, struct buf *out,
    struct err *e)
{
	struct allocs allocs = { 0 };
	dkim_alg_t alg = keys_alg(sel->key) == KEY_ALG_ED25519
	                     ? DKIM_SIGN_ED25519SHA256
	                     : DKIM_SIGN_RSASHA256;
	DKIM_STAT st;
	unsigned char *v;
	size_t vlen;
	DKIM *d;
	int rc = 0;

	tl_allocs = &allocs;
	tl_key = EVP_PKEY_up_ref(key) == 1 ? key : NULL;
	d = dkim_sign(s->lib, (const unsigned char *)qid, NULL, sel->pem,
	    (const unsigned char *)sel->selector,
	    (const unsigned char *)sel->domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, alg, -1, &st);
	if (d == NULL) {
		rc = dkim_fail(NULL, st, "dkim_sign", sel, e);
		goto done;
	}
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
done:
	if (tl_key != NULL)
		EVP_PKEY_free(tl_key); /* not taken: the parse did not happen */
	else if (sel->keeps_ref)
		EVP_PKEY_free(key); /* the reference libopendkim dropped */
	tl_key = NULL;
	tl_allocs = NULL;
	for (size_t i = 0; i < allocs.n; i++)
		free(allocs.p[i]); /* what dkim_free() left */
	free(allocs.p);
	return rc;
}

static int probe_index = -1;

static void
probe_freed(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (ptr != NULL)
		*(bool *)ptr = true;
}

static void
probe_init(void)
{
	probe_index =
	    EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL, probe_freed);
}

/*
 * Does libopendkim keep the reference to sel's key that it took for a
 * signature? Sign a short message with a copy of the key that reports its
 * own end: if dropping our reference does not end it, libopendkim kept its
 * one (the Ed25519 leak), and signing must drop that for it afterwards.
 */
static bool
probe_keeps_ref(struct dkim_signer *s, struct sel *sel)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static const char msg[] = "From: <probe@example.com>\r\n\r\nprobe\r\n";
	EVP_PKEY *k = EVP_PKEY_dup(keys_pkey(sel->key));
	bool freed = false;
	struct buf out;
	struct err e;

	pthread_once(&once, probe_init);
	sel->keeps_ref = false;
	if (k == NULL || probe_index < 0 ||
	    EVP_PKEY_set_ex_data(k, probe_index, &freed) != 1) {
		EVP_PKEY_free(k);
		return false;
	}
	buf_init(&out, 0);
	(void)sign_one(s, sel, k, msg, strlen(msg), "probe", &out, &e);
	buf_cleanup(&out);
	EVP_PKEY_free(k);
	if (freed)
		return false;
	EVP_PKEY_free(k);
	return true;
}

int
dkim_signer_sign(struct dkim_signer *s, const char *domain, const char *msg,
    size_t len, const char *qid, struct buf *out, struct err *e)
{
	int n = 0;

	for (size_t i = 0; i < s->nsel; i++) {
		if (strcmp(s->sel[i].domain, domain) != 0)
			continue;
		if (sign_one(s, &s->sel[i], keys_pkey(s->sel[i].key), msg, len,
		        qid, out, e) == -1)
			return -1;
		n++;
	}
	return n;
}

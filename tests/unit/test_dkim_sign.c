#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <opendkim/dkim.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/util.h"
#include "keys/keys.h"
#include "relayd/dkim_sign.h"
#include "unit.h"

/*
 * relayd/dkim_sign.c: signatures by posternd's signer verify with
 * libopendkim and with an independent verifier (dkimpy), for RSA and
 * Ed25519, from several threads at once; and the signer leaks nothing per
 * message (LeakSanitizer checks at exit, with no suppression for
 * libopendkim's Ed25519 key).
 */

#define DOMAIN "example.com"

struct fixture {
	char *dir;
	char domain[16];
	char sel[2][16];
	struct config cfg;
	struct domain_cfg dom;
	struct dkim_cfg dkim[2];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if ((f->dir = unit_tmp_make("test_dkim_sign")) == NULL)
		return -1;
	f->cfg.state_dir = f->dir;
	f->cfg.domains = &f->dom;
	f->cfg.ndomains = 1;
	snprintf(f->domain, sizeof(f->domain), "%s", DOMAIN);
	f->dom.name = f->domain;
	f->dom.dkim = f->dkim;
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

/* Make a key for sel and add it to the fixture's domain. */
static void
add_key(struct fixture *f, const char *sel, enum key_alg alg)
{
	struct err e;

	assert_int_equal(keys_generate(f->dir, DOMAIN, sel, alg, &e), 0);
	snprintf(f->sel[f->dom.ndkim], sizeof(f->sel[0]), "%s", sel);
	f->dkim[f->dom.ndkim].selector = f->sel[f->dom.ndkim];
	f->dkim[f->dom.ndkim].algorithm = alg;
	f->dom.ndkim++;
}

static char *
txt_of(struct fixture *f, const char *sel)
{
	struct err e;
	struct dkim_key *k = keys_load(f->dir, DOMAIN, sel, &e);
	char *txt;

	assert_non_null(k);
	txt = keys_txt_record(k);
	keys_free(k);
	return txt;
}

static const char msg_headers[] = "From: Alice <alice@example.com>\r\n"
                                  "To: bob@example.net\r\n"
                                  "Subject: signer test\r\n"
                                  "Date: Sat, 28 Nov 2026 04:00:00 +0000\r\n"
                                  "Message-ID: <sign-test@example.com>\r\n";
static const char msg_body[] = "Hello Bob,\r\n\r\nthis is signed.\r\n";

static char *
message(void)
{
	return xasprintf("%s\r\n%s", msg_headers, msg_body);
}

/* Sign the test message; returns the signature fields, caller frees. */
static char *
sign(struct dkim_signer *s, const char *domain, int want)
{
	char *msg = message(), *fields;
	struct buf out;
	struct err e;
	size_t len;

	buf_init(&out, 0);
	assert_int_equal(dkim_signer_sign(s, domain, msg, strlen(msg), "test",
	                     &out, &e),
	    want);
	free(msg);
	fields = buf_steal(&out, &len);
	return fields != NULL ? fields : xstrdup("");
}

/* The n-th "DKIM-Signature:" field of fields (CRLF kept inside). */
static char *
nth_field(const char *fields, int n)
{
	const char *p = fields, *end = fields;

	for (int i = 0; i <= n; i++) {
		if (i > 0)
			p = end + 2;
		assert_int_equal(strncmp(p, "DKIM-Signature:", 15), 0);
		end = p;
		do
			end = strstr(end + 2, "\r\n");
		while (end != NULL && (end[2] == ' ' || end[2] == '\t'));
		assert_non_null(end);
	}
	return xasprintf("%.*s", (int)(end - p), p);
}

/* Feed the signature field (no final CRLF) and the test message to d. */
static void
feed(DKIM *d, const char *sighdr)
{
	char line[256], *h = xstrdup(sighdr), *body;
	const char *p = msg_headers;

	assert_int_equal(dkim_header(d, (u_char *)h, strlen(h)), DKIM_STAT_OK);
	free(h);
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
	body = xstrdup(msg_body);
	assert_int_equal(dkim_body(d, (u_char *)body, strlen(body)),
	    DKIM_STAT_OK);
	free(body);
}

/* A key file holding "SEL._domainkey.DOMAIN TXT" as DNS would; caller
 * frees the path. */
static char *
keyfile(const char *dir, const char *name, const char *sel, const char *txt)
{
	char *path = xasprintf("%s/%s.dns", dir, name);
	char *line = xasprintf("%s._domainkey.%s %s\n", sel, DOMAIN, txt);
	struct err e;

	assert_int_equal(file_write_atomic(path, line, strlen(line), 0600, &e),
	    0);
	free(line);
	return path;
}

/* Verify sighdr with libopendkim, keys from path (see keyfile()). */
static DKIM_STAT
verify_opendkim(const char *path, const char *sighdr)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	int method = DKIM_QUERY_FILE;
	u_char jobid[] = "verify";
	DKIM_SIGINFO *sig;
	DKIM_STAT st;
	DKIM *d;

	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &method,
	        sizeof(method)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO,
	        (void *)(uintptr_t)path, strlen(path)) != DKIM_STAT_OK) {
		dkim_close(lib);
		return DKIM_STAT_INTERNAL;
	}
	d = dkim_verify(lib, jobid, NULL, &st);
	if (d == NULL) {
		dkim_close(lib);
		return st;
	}
	feed(d, sighdr);
	st = dkim_eom(d, NULL);
	sig = dkim_getsignature(d);
	if (st == DKIM_STAT_OK && (sig == NULL || !DKIM_SIG_CHECK(sig)))
		st = DKIM_STAT_BADSIG;
	dkim_free(d);
	dkim_close(lib);
	return st;
}

/*
 * The independent verifier: dkimpy (python3-dkim) with txt as the DNS
 * answer. Returns its exit status (0: the signature verifies).
 */
static int
verify_python(const char *dir, const char *sighdr, const char *txt)
{
	char *msgfile = xasprintf("%s/msg.eml", dir);
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
	struct dkim_signer *s;
	char *fields, *sighdr, *txt, *othertxt, *kf, *otherkf;

	add_key(f, sel, alg);
	assert_int_equal(keys_generate(f->dir, DOMAIN, "other", alg, NULL), 0);
	s = dkim_signer_new(&f->cfg);
	fields = sign(s, DOMAIN, 1);
	sighdr = nth_field(fields, 0);
	assert_non_null(strstr(sighdr, alg_tag));
	txt = txt_of(f, sel);
	kf = keyfile(f->dir, "right", sel, txt);
	assert_int_equal(verify_opendkim(kf, sighdr), DKIM_STAT_OK);
	assert_int_equal(verify_python(f->dir, sighdr, txt), 0);
	/* The test can fail: another key's record does not verify it. */
	othertxt = txt_of(f, "other");
	otherkf = keyfile(f->dir, "wrong", sel, othertxt);
	assert_int_not_equal(verify_opendkim(otherkf, sighdr), DKIM_STAT_OK);
	assert_int_not_equal(verify_python(f->dir, sighdr, othertxt), 0);
	free(otherkf);
	free(kf);
	free(othertxt);
	free(txt);
	free(sighdr);
	free(fields);
	dkim_signer_free(s);
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

/* Both selectors sign, each verifies; another domain gets none. */
static void
test_two_selectors(void **state)
{
	struct fixture *f = *state;
	struct dkim_signer *s;
	char *fields, *rsa, *ed, *rsatxt, *edtxt, *kf;

	add_key(f, "pst1", KEY_ALG_RSA2048);
	add_key(f, "pst1e", KEY_ALG_ED25519);
	s = dkim_signer_new(&f->cfg);
	fields = sign(s, DOMAIN, 2);
	rsa = nth_field(fields, 0);
	ed = nth_field(fields, 1);
	assert_non_null(strstr(rsa, "s=pst1;"));
	assert_non_null(strstr(ed, "s=pst1e;"));
	rsatxt = txt_of(f, "pst1");
	edtxt = txt_of(f, "pst1e");
	kf = keyfile(f->dir, "rsa", "pst1", rsatxt);
	assert_int_equal(verify_opendkim(kf, rsa), DKIM_STAT_OK);
	free(kf);
	kf = keyfile(f->dir, "ed", "pst1e", edtxt);
	assert_int_equal(verify_opendkim(kf, ed), DKIM_STAT_OK);
	assert_int_equal(verify_python(f->dir, ed, edtxt), 0);
	free(kf);
	free(fields);
	fields = sign(s, "example.org", 0);
	assert_string_equal(fields, "");
	free(fields);
	free(edtxt);
	free(rsatxt);
	free(ed);
	free(rsa);
	dkim_signer_free(s);
}

struct run {
	struct dkim_signer *s;
	const char *rsakf, *edkf; /* key files */
	int n, bad;
};

/* n signatures by both keys; every 25th verified (no cmocka asserts off
 * the main thread: failures are counted). */
static void *
signing_thread(void *arg)
{
	struct run *r = arg;
	char *msg = message();

	for (int i = 0; i < r->n; i++) {
		struct buf out;
		struct err e;
		char *fields;
		size_t len;

		buf_init(&out, 0);
		if (dkim_signer_sign(r->s, DOMAIN, msg, strlen(msg), "t", &out,
		        &e) != 2) {
			r->bad++;
			buf_cleanup(&out);
			continue;
		}
		fields = buf_steal(&out, &len);
		if (i % 25 == 0) {
			char *rsa = nth_field(fields, 0),
			     *ed = nth_field(fields, 1);

			r->bad +=
			    verify_opendkim(r->rsakf, rsa) != DKIM_STAT_OK;
			r->bad += verify_opendkim(r->edkf, ed) != DKIM_STAT_OK;
			free(rsa);
			free(ed);
		}
		free(fields);
	}
	free(msg);
	return NULL;
}

/*
 * One signer shared by four threads, as posternd's signing workers share
 * it. At exit LeakSanitizer finds nothing left of the 1600 signatures.
 */
static void
test_threads_and_key_reuse(void **state)
{
	struct fixture *f = *state;
	struct run runs[4];
	pthread_t t[4];
	char *rsatxt, *edtxt, *rsakf, *edkf;
	struct dkim_signer *s;

	add_key(f, "pst1", KEY_ALG_RSA2048);
	add_key(f, "pst1e", KEY_ALG_ED25519);
	rsatxt = txt_of(f, "pst1");
	edtxt = txt_of(f, "pst1e");
	rsakf = keyfile(f->dir, "rsa", "pst1", rsatxt);
	edkf = keyfile(f->dir, "ed", "pst1e", edtxt);
	s = dkim_signer_new(&f->cfg);
	for (int i = 0; i < 4; i++) {
		runs[i] = (struct run){ s, rsakf, edkf, 200, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, signing_thread,
		                     &runs[i]),
		    0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(runs[i].bad, 0);
	}
	dkim_signer_free(s);
	free(edkf);
	free(rsakf);
	free(edtxt);
	free(rsatxt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sign_verify_rsa, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sign_verify_ed25519, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_selectors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads_and_key_reuse,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

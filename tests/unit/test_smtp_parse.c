#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relayd/data.h"
#include "relayd/msg.h"
#include "relayd/smtp_parse.h"

static int
parse_cmd(const char *line, struct smtp_cmd *c)
{
	const char *why = NULL;

	return smtp_cmd_parse(line, strlen(line), c, &why);
}

static void
test_cmd_verbs(void **state)
{
	struct smtp_cmd c;
	const char *why = NULL;

	(void)state;
	assert_int_equal(parse_cmd("ehlo client.example", &c), 0);
	assert_int_equal(c.verb, SMTP_EHLO);
	assert_int_equal(c.arg_len, strlen("client.example"));
	assert_int_equal(parse_cmd("QUIT", &c), 0);
	assert_int_equal(c.verb, SMTP_QUIT);
	assert_int_equal(c.arg_len, 0);
	assert_int_equal(parse_cmd("STARTTLS  ", &c), 0);
	assert_int_equal(c.verb, SMTP_STARTTLS);
	assert_int_equal(c.arg_len, 0);
	assert_int_equal(parse_cmd("QUITX", &c), 0);
	assert_int_equal(c.verb, SMTP_UNKNOWN);
	assert_int_equal(smtp_cmd_parse("NOOP\0x", 6, &c, &why), -1);
	assert_string_equal(why, "500 5.5.2 Invalid character in command");
	assert_int_equal(smtp_cmd_parse("NOOP\rx", 6, &c, &why), -1);
	assert_int_equal(smtp_cmd_parse("NOOP\nRSET", 9, &c, &why), -1);
}

/* Parse a MAIL/RCPT argument; returns the refusal or NULL. */
static const char *
path(const char *arg, bool mail, struct smtp_path *p)
{
	const char *why = NULL;

	if (smtp_path_parse(arg, strlen(arg), mail, p, &why) == 0)
		return NULL;
	return why;
}

static void
test_mail_from(void **state)
{
	struct smtp_path p;

	(void)state;
	assert_null(
	    path("FROM:<crm@example.com> SIZE=1000 BODY=8BITMIME", true, &p));
	assert_string_equal(p.addr, "crm@example.com");
	assert_string_equal(p.domain, "example.com");
	assert_true(p.has_size);
	assert_int_equal(p.size, 1000);
	assert_int_equal(p.body, SMTP_BODY_8BITMIME);
	assert_null(path("FROM:<>", true, &p));
	assert_true(p.null);
	assert_null(path("from: <a@b.example> AUTH=<>", true, &p));
	assert_null(path("FROM:a@b.example", true, &p));
	assert_null(path("FROM:<j\xc3\xb6rg@b.example> SMTPUTF8", true, &p));
	assert_true(p.smtputf8);
	assert_string_equal(path("FROM:<j\xc3\xb6rg@b.example>", true, &p),
	    "553 5.6.7 Non-ASCII address needs SMTPUTF8");
	assert_string_equal(path("FROM:<a@b.example> SIZE=12x", true, &p),
	    "501 5.5.4 Bad SIZE= value");
	assert_string_equal(path("FROM:<a@b.example> BODY=BINARYMIME", true,
	                        &p),
	    "501 5.5.4 BODY= must be 7BIT or 8BITMIME");
	assert_string_equal(path("FROM:<a@b.example> RET=FULL", true, &p),
	    "555 5.5.4 Unsupported MAIL parameter");
	assert_string_equal(path("FROM <a@b.example>", true, &p),
	    "501 5.5.4 Syntax: MAIL FROM:<address>");
	assert_string_equal(path("FROM:<a@b.example", true, &p),
	    "501 5.1.7 Bad sender address syntax");
	assert_string_equal(path("FROM:<a..b@b.example>", true, &p),
	    "501 5.1.7 Bad sender address syntax");
	assert_string_equal(path("FROM:<@relay.example:a@b.example>", true, &p),
	    "553 5.1.3 Source routes are not accepted");
}

static void
test_rcpt_to(void **state)
{
	struct smtp_path p;

	(void)state;
	assert_null(path("TO:<bob@dest.example>", false, &p));
	assert_string_equal(p.addr, "bob@dest.example");
	assert_null(path("TO:<\"a@b\"@dest.example>", false, &p));
	assert_true(p.quoted_local);
	assert_string_equal(p.domain, "dest.example");
	assert_null(path("TO:<bob@[192.0.2.1]>", false, &p));
	assert_true(p.address_lit);
	assert_null(path("TO:<bob@[IPv6:2001:db8::1]>", false, &p));
	assert_string_equal(path("TO:<bob@[300.1.1.1]>", false, &p),
	    "501 5.1.3 Bad recipient address syntax");
	assert_string_equal(path("TO:<a@b@c.example>", false, &p),
	    "501 5.1.3 Bad recipient address syntax");
	assert_string_equal(path("TO:<postmaster>", false, &p),
	    "501 5.1.3 Bad recipient address syntax");
	assert_string_equal(path("TO:<>", false, &p),
	    "501 5.1.3 Bad recipient address syntax");
	assert_string_equal(path("TO:<@a.example,@b.example:u@c.example>",
	                        false, &p),
	    "553 5.1.3 Source routes are not accepted");
	assert_string_equal(path("TO:<a@b.example> NOTIFY=NEVER", false, &p),
	    "555 5.5.4 Unsupported RCPT parameter");
	assert_string_equal(path("TO:<a@-b.example>", false, &p),
	    "501 5.1.3 Bad recipient address syntax");
}

static struct smtp_choice
choose(const struct smtp_session *s, const char *line)
{
	struct smtp_cmd c;

	assert_int_equal(parse_cmd(line, &c), 0);
	return smtp_choose_reply(s, &c);
}

static void
test_reply_sequence(void **state)
{
	struct smtp_session s = { .max_rcpt = 2 };
	struct smtp_choice r;

	(void)state;
	r = choose(&s, "MAIL FROM:<a@b.example>");
	assert_string_equal(r.text, "503 5.5.1 Send EHLO first");
	assert_int_equal(choose(&s, "EHLO x").act, SMTP_ACT_EHLO);
	assert_string_equal(choose(&s, "EHLO").text,
	    "501 5.5.4 Syntax: EHLO hostname");
	s.greeted = s.esmtp = true;
	assert_string_equal(choose(&s, "RCPT TO:<a@b.example>").text,
	    "503 5.5.1 Need MAIL before RCPT");
	assert_string_equal(choose(&s, "DATA").text,
	    "503 5.5.1 Need MAIL command");
	assert_int_equal(choose(&s, "MAIL FROM:<a@b.example>").act,
	    SMTP_ACT_MAIL);
	s.in_mail = true;
	assert_string_equal(choose(&s, "MAIL FROM:<a@b.example>").text,
	    "503 5.5.1 Nested MAIL command");
	assert_string_equal(choose(&s, "DATA").text,
	    "554 5.5.1 No valid recipients");
	s.allow_listed = true;
	assert_int_equal(choose(&s, "RCPT TO:<a@b.example>").act,
	    SMTP_ACT_RCPT);
	s.nrcpt = 2;
	assert_string_equal(choose(&s, "RCPT TO:<a@b.example>").text,
	    "452 4.5.3 Too many recipients");
	assert_int_equal(choose(&s, "DATA").act, SMTP_ACT_DATA);
	assert_string_equal(choose(&s, "DATA x").text,
	    "501 5.5.4 Syntax: DATA");
	assert_int_equal(choose(&s, "BDAT 10 LAST").act, SMTP_ACT_BDAT);
	assert_string_equal(choose(&s, "VRFY root").text,
	    "502 5.5.1 VRFY command is disabled");
	assert_string_equal(choose(&s, "NOOP").text, "250 2.0.0 OK");
	assert_string_equal(choose(&s, "FOO").text,
	    "500 5.5.2 Command not recognized");
	assert_int_equal(choose(&s, "QUIT").act, SMTP_ACT_QUIT);
	assert_int_equal(choose(&s, "RSET").act, SMTP_ACT_RSET);
}

static void
test_reply_auth_and_relay(void **state)
{
	struct smtp_session s = { .greeted = true,
		.esmtp = true,
		.starttls_offered = true,
		.auth_required = true,
		.max_rcpt = 10 };

	(void)state;
	assert_string_equal(choose(&s, "MAIL FROM:<a@b.example>").text,
	    "530 5.7.0 Must issue a STARTTLS command first");
	assert_string_equal(choose(&s, "AUTH PLAIN").text,
	    "538 5.7.11 Encryption required for requested authentication "
	    "mechanism");
	assert_int_equal(choose(&s, "STARTTLS").act, SMTP_ACT_STARTTLS);
	s.tls = s.auth_offered = true;
	assert_string_equal(choose(&s, "STARTTLS").text,
	    "503 5.5.1 TLS already active");
	assert_string_equal(choose(&s, "MAIL FROM:<a@b.example>").text,
	    "530 5.7.0 Authentication required");
	assert_int_equal(choose(&s, "AUTH PLAIN").act, SMTP_ACT_AUTH);
	s.authenticated = true;
	assert_string_equal(choose(&s, "AUTH PLAIN").text,
	    "503 5.5.1 Already authenticated");
	assert_null(smtp_relay_refusal(&s));

	/* auth: none listener, not allow-listed: no relaying at all. */
	memset(&s, 0, sizeof(s));
	s.greeted = true;
	s.in_mail = true;
	s.max_rcpt = 10;
	assert_string_equal(choose(&s, "RCPT TO:<a%b.example@c.example>").text,
	    "554 5.7.1 Relay access denied");
	assert_string_equal(choose(&s, "RCPT TO:<@x:a@b.example>").text,
	    "554 5.7.1 Relay access denied");
	assert_string_equal(choose(&s, "AUTH LOGIN").text,
	    "503 5.5.1 AUTH not allowed during a mail transaction");
	s.in_mail = false;
	assert_string_equal(choose(&s, "AUTH LOGIN").text,
	    "503 5.5.1 AUTH not available");
	s.in_mail = true;
	/* auth: optional with TLS: AUTH is the way. */
	s.auth_offered = true;
	assert_string_equal(choose(&s, "RCPT TO:<b!a@c.example>").text,
	    "530 5.7.0 Authentication required");
	s.allow_listed = true;
	assert_null(smtp_relay_refusal(&s));
	s.auth_required = true;
	assert_string_equal(smtp_relay_refusal(&s),
	    "530 5.7.0 Authentication required");
}

/* Decode in one piece; returns whether the end was seen. */
static bool
decode(const char *in, size_t len, struct buf *out, enum data_err *err,
    size_t *used)
{
	struct data_dec d;
	bool end;

	data_dec_init(&d, out, 100, 20, false);
	end = data_dec_feed(&d, in, len, used);
	*err = d.err;
	return end;
}

#define DECODE(s, out, err, used) decode(s, sizeof(s) - 1, out, err, used)

static void
test_data_decoder(void **state)
{
	struct buf out;
	enum data_err err;
	size_t used;

	(void)state;
	buf_init(&out, 0);
	assert_true(DECODE("a\r\n..b\r\n.\r\nQUIT\r\n", &out, &err, &used));
	assert_int_equal(err, DATA_OK);
	assert_string_equal(out.data, "a\r\n.b\r\n");
	assert_int_equal(used, 11);
	/* Bare LF lines become CRLF lines and never end the message. */
	assert_false(DECODE("a\nb\n.\n", &out, &err, &used));
	assert_string_equal(out.data, "a\r\nb\r\n\r\n");
	assert_false(DECODE("a\n.\r\n", &out, &err, &used));
	assert_true(DECODE("a\n.\r\n.\r\n", &out, &err, &used));
	assert_int_equal(err, DATA_OK);
	assert_string_equal(out.data, "a\r\n\r\n");
	/* A bare CR refuses, but does not end, the message. */
	assert_false(DECODE("a\r.\r\n", &out, &err, &used));
	assert_true(DECODE("a\rb\r\n.\r\n", &out, &err, &used));
	assert_int_equal(err, DATA_ERR_BARE_CR);
	assert_true(DECODE("a\r\n.\r.\r\n.\r\n", &out, &err, &used));
	assert_int_equal(err, DATA_ERR_BARE_CR);
	assert_true(DECODE("a\0b\r\n.\r\n", &out, &err, &used));
	assert_int_equal(err, DATA_ERR_NUL);
	assert_true(DECODE("0123456789012345678\r\n.\r\n", &out, &err, &used));
	assert_int_equal(err, DATA_ERR_LINE);
	assert_true(DECODE("012345678901234567\r\n.\r\n", &out, &err, &used));
	assert_int_equal(err, DATA_OK);
	assert_true(DECODE(".\r\n", &out, &err, &used));
	assert_int_equal(out.len, 0);
	buf_cleanup(&out);
}

static void
test_data_chunks_and_size(void **state)
{
	const char *msg = "line one\r\n..two\r\n.\r\n";
	struct data_dec d;
	struct buf out;
	size_t used = 0, i;
	bool end = false;

	(void)state;
	buf_init(&out, 0);
	data_dec_init(&d, &out, 100, 1000, false);
	for (i = 0; i < strlen(msg) && !end; i++)
		end = data_dec_feed(&d, msg + i, 1, &used);
	assert_true(end);
	assert_int_equal(i, strlen(msg));
	assert_string_equal(out.data, "line one\r\n.two\r\n");
	data_dec_init(&d, &out, 8, 1000, false);
	assert_true(data_dec_feed(&d, msg, strlen(msg), &used));
	assert_int_equal(d.err, DATA_ERR_SIZE);
	assert_string_equal(data_err_reply(d.err), "552 5.3.4 Message too big");
	/* BDAT: no dot handling, no end marker, last line terminated. */
	data_dec_init(&d, &out, 100, 1000, true);
	assert_false(data_dec_feed(&d, ".\r\nx\ny", 6, &used));
	data_dec_finish(&d);
	assert_int_equal(d.err, DATA_OK);
	assert_string_equal(out.data, ".\r\nx\r\ny\r\n");
	buf_cleanup(&out);
}

/* Decode in two pieces split at cut: the same as in one piece (the
 * decoder takes runs of ordinary octets at once). */
static void
decode_split(const char *in, size_t len, size_t cut, struct buf *out,
    enum data_err *err, size_t *used)
{
	struct data_dec d;
	size_t u1 = 0, u2 = 0;
	bool end;

	data_dec_init(&d, out, 100, 20, false);
	end = data_dec_feed(&d, in, cut, &u1);
	if (!end)
		end = data_dec_feed(&d, in + cut, len - cut, &u2);
	*err = d.err;
	*used = end ? u1 + u2 : SIZE_MAX;
}

static void
test_data_split_equals_whole(void **state)
{
	static const char *const cases[] = { "a\r\n..b\r\n.\r\nQUIT\r\n",
		"abc\ndef\r\n.\n.\r\n.\r\n", "a\rb\r\n.\r.\r\n.\r\n",
		"text\0more\r\n.\r\n", "0123456789012345678\r\n.\r\n",
		"012345678901234567\r\n.\r\n", "x\r\r\ny\r\n.\r\n",
		"long line of text that goes on\r\n.\r\n" };
	struct buf whole, split;
	enum data_err ew, es;
	size_t uw, us;

	(void)state;
	buf_init(&whole, 0);
	buf_init(&split, 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t len =
		    strlen(cases[c]) + (strstr(cases[c], "text") == cases[c]
		                               ? strlen(cases[c] + 5) + 1
		                               : 0);
		bool end = decode(cases[c], len, &whole, &ew, &uw);

		for (size_t cut = 0; cut <= len; cut++) {
			decode_split(cases[c], len, cut, &split, &es, &us);
			assert_int_equal(es, ew);
			assert_int_equal(us, end ? uw : SIZE_MAX);
			assert_int_equal(split.len, whole.len);
			assert_memory_equal(split.data, whole.data, whole.len);
		}
	}
	buf_cleanup(&split);
	buf_cleanup(&whole);
}

static void
test_msg_header(void **state)
{
	const char *m = "From: \"Doe, John\" <john@example.com>\r\n"
	                "Subject: hi\r\n  folded\r\nDate: x\r\n\r\nbody\r\n";
	struct msg_info mi;
	const char *why = NULL;

	(void)state;
	assert_int_equal(msg_parse(m, strlen(m), &mi, &why), 0);
	assert_string_equal(mi.from.addr, "john@example.com");
	assert_true(mi.has_date);
	assert_false(mi.has_message_id);
	assert_int_equal(mi.hdr_len, strlen(m) - strlen("\r\nbody\r\n"));
	m = "Subject: x\r\n\r\n";
	assert_int_equal(msg_parse(m, strlen(m), &mi, &why), -1);
	assert_string_equal(why, "554 5.6.0 Message has no From: header");
	m = "From: a@b.example\r\nFrom: c@d.example\r\n\r\n";
	assert_int_equal(msg_parse(m, strlen(m), &mi, &why), -1);
	assert_string_equal(why,
	    "554 5.6.0 The From: header must hold exactly one address");
	m = "From: a@b.example, c@d.example\r\n\r\n";
	assert_int_equal(msg_parse(m, strlen(m), &mi, &why), -1);
	m = "From: a@b.example\r\nbad header\r\n\r\n";
	assert_int_equal(msg_parse(m, strlen(m), &mi, &why), -1);
	assert_string_equal(why, "554 5.6.0 Malformed message header");
	m = " folded first\r\n\r\n";
	assert_int_equal(msg_parse(m, strlen(m), &mi, &why), -1);
	assert_int_equal(msg_from_parse("a@b.example (Al)", 16, &mi.from), 0);
	assert_string_equal(mi.from.addr, "a@b.example");
	assert_int_equal(msg_from_parse("x: a@b.example;", 15, &mi.from), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_verbs),
		cmocka_unit_test(test_mail_from),
		cmocka_unit_test(test_rcpt_to),
		cmocka_unit_test(test_reply_sequence),
		cmocka_unit_test(test_reply_auth_and_relay),
		cmocka_unit_test(test_data_decoder),
		cmocka_unit_test(test_data_split_equals_whole),
		cmocka_unit_test(test_data_chunks_and_size),
		cmocka_unit_test(test_msg_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Test driver for relayd/client.c: delivers the message on standard input
 * (CRLF lines) to one SMTP server, COUNT times over one connection, and
 * prints the result and each recipient's reply.
 *
 * client_driver [--host IP] --port N [--tls never|opportunistic|required|
 *     verify] [--name NAME] [--ca FILE] [--timeout S] [--8bit] [--utf8]
 *     [--from ADDR] [--count N] RCPT...
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/addr.h"
#include "common/buf.h"
#include "common/util.h"
#include "relayd/client.h"

struct run {
	struct client *c;
	struct client_msg m;
	struct client_result res;
	int left;
	bool plain_retry_done;
	struct client_params p;
	struct event_base *base;
};

static void done(struct client *c, void *arg);

static void
start(struct run *r)
{
	for (size_t i = 0; i < r->m.nrcpts; i++)
		r->m.rcpts[i].code = 0;
	client_send(r->c, &r->m, &r->res);
}

static void
done(struct client *c, void *arg)
{
	struct run *r = arg;

	(void)c;
	printf("result code=%d tls=\"%s\" retry_plain=%d reply=\"%s\"\n",
	    r->res.code, r->res.tls, r->res.retry_plain, r->res.reply);
	for (size_t i = 0; i < r->m.nrcpts; i++)
		printf("rcpt %s %d %s\n", r->m.rcpts[i].addr,
		    r->m.rcpts[i].code != 0 ? r->m.rcpts[i].code : r->res.code,
		    r->m.rcpts[i].code != 0 ? r->m.rcpts[i].reply
		                            : r->res.reply);
	fflush(stdout);
	if (r->res.retry_plain && !r->plain_retry_done) {
		/* Opportunistic TLS failed: once more without TLS. */
		r->plain_retry_done = true;
		client_free(r->c);
		r->p.tls = CLIENT_TLS_NEVER;
		r->c = client_new(&r->p, done, r);
		start(r);
		return;
	}
	if (--r->left > 0 && r->res.reusable) {
		start(r);
		return;
	}
	/* The loop ends once QUIT is answered and the session freed. */
	client_quit(r->c);
	r->c = NULL;
}

static enum client_tls
tls_mode(const char *s)
{
	static const char *const names[] = { "never", "opportunistic",
		"required", "verify" };

	for (size_t i = 0; i < NELEM(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum client_tls)i;
	die(2, "bad --tls %s", s);
}

static SSL_CTX *
make_ctx(const char *ca)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		die(1, "SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (ca != NULL ? SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1
	               : SSL_CTX_set_default_verify_paths(ctx) != 1)
		die(1, "cannot load CA certificates");
	return ctx;
}

static void
read_stdin(struct buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_append(b, chunk, n) == -1)
			die(1, "message too large");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "host", 1, NULL, 'H' },
		{ "port", 1, NULL, 'p' }, { "tls", 1, NULL, 't' },
		{ "name", 1, NULL, 'n' }, { "ca", 1, NULL, 'c' },
		{ "timeout", 1, NULL, 'T' }, { "8bit", 0, NULL, '8' },
		{ "utf8", 0, NULL, 'u' }, { "from", 1, NULL, 'f' },
		{ "count", 1, NULL, 'N' }, { NULL, 0, NULL, 0 } };
	struct run r;
	struct ipaddr ip;
	struct sockaddr_in *sin;
	const char *host = "127.0.0.1", *ca = NULL;
	struct buf msg;
	uint64_t v;
	int ch;

	memset(&r, 0, sizeof(r));
	r.p.tls = CLIENT_TLS_OPPORTUNISTIC;
	r.p.helo = "relay.example.com";
	r.p.peer_name = "sink.test";
	r.p.connect_timeout = r.p.command_timeout = r.p.data_timeout = 10;
	r.m.sender = "crm@example.com";
	r.left = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			host = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, 1, 65535, &v) == -1)
				die(2, "bad --port");
			sin = (struct sockaddr_in *)&r.p.addr;
			sin->sin_port = htons((uint16_t)v);
			break;
		case 't':
			r.p.tls = tls_mode(optarg);
			break;
		case 'n':
			r.p.peer_name = optarg;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'T':
			if (parse_u64(optarg, 1, 600, &v) == -1)
				die(2, "bad --timeout");
			r.p.connect_timeout = r.p.command_timeout =
			    r.p.data_timeout = (unsigned)v;
			break;
		case '8':
			r.m.eightbit = true;
			break;
		case 'u':
			r.m.smtputf8 = true;
			break;
		case 'f':
			r.m.sender = optarg;
			break;
		case 'N':
			if (parse_u64(optarg, 1, 1000, &v) == -1)
				die(2, "bad --count");
			r.left = (int)v;
			break;
		default:
			return 2;
		}
	}
	if (ip_parse(host, &ip) == -1 || ip.family != AF_INET)
		die(2, "--host takes an IPv4 address");
	sin = (struct sockaddr_in *)&r.p.addr;
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, ip.a, 4);
	r.p.addrlen = sizeof(*sin);
	r.m.nrcpts = (size_t)(argc - optind);
	r.m.rcpts = xcalloc(r.m.nrcpts + 1, sizeof(*r.m.rcpts));
	for (size_t i = 0; i < r.m.nrcpts; i++)
		r.m.rcpts[i].addr = argv[optind + (int)i];
	buf_init(&msg, 0);
	read_stdin(&msg);
	r.m.data = msg.data != NULL ? msg.data : "";
	r.m.len = msg.len;
	r.base = event_base_new();
	r.p.base = r.base;
	r.p.ssl_ctx = make_ctx(ca);
	r.c = client_new(&r.p, done, &r);
	start(&r);
	event_base_dispatch(r.base);
	client_free(r.c);
	SSL_CTX_free(r.p.ssl_ctx);
	event_base_free(r.base);
	buf_cleanup(&msg);
	free(r.m.rcpts);
	return 0;
}

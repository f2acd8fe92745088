/* Unit tests for common/addr.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "common/addr.h"

static void
test_hostport(void **state)
{
	struct hostport hp;
	struct err e;
	char b[300];

	(void)state;
	assert_int_equal(hostport_parse("127.0.0.1:2525", -1, true, &hp, &e),
	    0);
	assert_string_equal(hp.host, "127.0.0.1");
	assert_int_equal(hp.port, 2525);
	assert_true(hp.is_ip);
	assert_int_equal(hostport_parse("[::1]:587", -1, true, &hp, &e), 0);
	assert_string_equal(hp.host, "::1");
	assert_int_equal(hp.ip.family, AF_INET6);
	hostport_format(&hp, b, sizeof(b));
	assert_string_equal(b, "[::1]:587");
	assert_int_equal(hostport_parse("2001:db8::1", 53, true, &hp, &e), 0);
	assert_int_equal(hp.port, 53);
	assert_int_equal(hostport_parse("mx.example.com", 0, false, &hp, &e),
	    0);
	assert_int_equal(hp.port, 0);
	assert_false(hp.is_ip);
	assert_int_equal(hostport_parse("mx.example.com", 25, true, &hp, &e),
	    -1);
	assert_string_equal(e.msg, "expected an IP address");
	assert_int_equal(hostport_parse("1.2.3.4", -1, true, &hp, &e), -1);
	assert_string_equal(e.msg, "missing port (HOST:PORT)");
	assert_int_equal(hostport_parse("1.2.3.4:0", -1, true, &hp, &e), -1);
	assert_int_equal(hostport_parse("1.2.3.4:65536", -1, true, &hp, &e),
	    -1);
	assert_int_equal(hostport_parse("[1.2.3.4]:25", -1, true, &hp, &e), -1);
	assert_string_equal(e.msg, "only an IPv6 address goes in brackets");
	assert_int_equal(hostport_parse("[::1", -1, true, &hp, &e), -1);
	assert_int_equal(hostport_parse("bad host:25", -1, false, &hp, &e), -1);
	assert_string_equal(e.msg, "invalid host name");
}

static void
test_cidr(void **state)
{
	struct cidr c;
	struct ipaddr ip;
	struct err e;

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/8", &c, &e), 0);
	assert_int_equal(ip_parse("10.200.3.4", &ip), 0);
	assert_true(cidr_contains(&c, &ip));
	assert_int_equal(ip_parse("11.0.0.1", &ip), 0);
	assert_false(cidr_contains(&c, &ip));
	/* An IPv4-mapped IPv6 client matches an IPv4 network. */
	assert_int_equal(ip_parse("::ffff:10.1.2.3", &ip), 0);
	assert_true(cidr_contains(&c, &ip));
	assert_int_equal(cidr_parse("127.0.0.1/8", &c, &e), 0);
	assert_int_equal(c.net.a[3], 0);
	assert_int_equal(cidr_parse("2001:db8::/33", &c, &e), 0);
	assert_int_equal(ip_parse("2001:db8:7fff::1", &ip), 0);
	assert_true(cidr_contains(&c, &ip));
	assert_int_equal(ip_parse("2001:db8:8000::1", &ip), 0);
	assert_false(cidr_contains(&c, &ip));
	assert_int_equal(cidr_parse("192.0.2.7", &c, &e), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(cidr_parse("10.0.0.0/33", &c, &e), -1);
	assert_string_equal(e.msg, "prefix length must be 0 to 32");
	assert_int_equal(cidr_parse("10.0.0.0/", &c, &e), -1);
	assert_int_equal(cidr_parse("abc/8", &c, &e), -1);
	assert_string_equal(e.msg, "\"abc\" is not an IP address");
	assert_int_equal(cidr_parse("0.0.0.0/0", &c, &e), 0);
	assert_int_equal(ip_parse("203.0.113.9", &ip), 0);
	assert_true(cidr_contains(&c, &ip));
}

static void
test_ip(void **state)
{
	struct ipaddr a, b;
	struct sockaddr_in6 s6;
	char buf[64];

	(void)state;
	assert_int_equal(ip_parse("127.0.0.1", &a), 0);
	assert_true(ip_is_local(&a));
	assert_int_equal(ip_parse("50.60.70.80", &a), 0);
	assert_false(ip_is_local(&a));
	assert_int_equal(ip_parse("fd00::1", &a), 0);
	assert_true(ip_is_local(&a));
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.1", &s6.sin6_addr),
	    1);
	assert_int_equal(ip_from_sockaddr((struct sockaddr *)&s6, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(ip_format(&a, buf, sizeof(buf)), "192.0.2.1");
	assert_int_equal(ip_parse("192.0.2.1", &b), 0);
	assert_true(ip_equal(&a, &b));
	assert_int_equal(ip_parse("192.0.2", &a), -1);
}

static void
test_hostname(void **state)
{
	(void)state;
	assert_true(hostname_is_valid("relay.example.com"));
	assert_true(hostname_is_valid("pst1._domainkey.example.com"));
	assert_false(hostname_is_valid(""));
	assert_false(hostname_is_valid("a..b"));
	assert_false(hostname_is_valid("-a.b"));
	assert_false(hostname_is_valid("a-.b"));
	assert_false(hostname_is_valid("a b"));
	assert_false(hostname_is_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                               "aaaaaaaaaaaaaaaaaaaaaaaaa.b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_hostname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

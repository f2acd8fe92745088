#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"

/* An IPv4 or IPv6 address in network byte order. */
struct ipaddr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char a[16];
};

/* "host:port", "[v6]:port", or "host" with a default port. */
struct hostport {
	char host[256]; /* without brackets */
	uint16_t port;
	bool is_ip;
	struct ipaddr ip; /* when is_ip */
};

/* A network: address and prefix length, host bits cleared. */
struct cidr {
	struct ipaddr net;
	unsigned prefix;
};

/* Parse a literal IPv4 or IPv6 address. */
int ip_parse(const char *s, struct ipaddr *out) WUR;
/* Format as text (inet_ntop); dst of at least 46 bytes. */
const char *ip_format(const struct ipaddr *ip, char *dst, size_t dstlen);
/* Take the address from a sockaddr; v4-mapped IPv6 becomes IPv4. */
int ip_from_sockaddr(const struct sockaddr *sa, struct ipaddr *out) WUR;
bool ip_equal(const struct ipaddr *x, const struct ipaddr *y);
/* Loopback, private (RFC 1918, fc00::/7), link-local or unspecified. */
bool ip_is_local(const struct ipaddr *ip);

/*
 * Parse an address with an optional port. default_port -1 makes the port
 * required; otherwise a missing port becomes default_port (0 allowed, for
 * "decide later"). need_ip refuses host names. e says what is wrong with s.
 */
int hostport_parse(const char *s, int default_port, bool need_ip,
    struct hostport *out, struct err *e) WUR;
/* Format back as "host:port" or "[v6]:port". */
void hostport_format(const struct hostport *hp, char *dst, size_t dstlen);

/* "10.0.0.0/8", "2001:db8::/32", or a bare address (/32, /128). */
int cidr_parse(const char *s, struct cidr *out, struct err *e) WUR;
/* Whether ip lies in c (an IPv4-mapped IPv6 address matches IPv4 nets). */
bool cidr_contains(const struct cidr *c, const struct ipaddr *ip);

/* Whether s is a syntactically valid host name (LDH labels, <= 253). */
bool hostname_is_valid(const char *s);

#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/util.h"

int
ip_parse(const char *s, struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

const char *
ip_format(const struct ipaddr *ip, char *dst, size_t dstlen)
{
	if (inet_ntop(ip->family, ip->a, dst, (socklen_t)dstlen) == NULL)
		snprintf(dst, dstlen, "?");
	return dst;
}

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

int
ip_from_sockaddr(const struct sockaddr *sa, struct ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		out->family = AF_INET;
		memcpy(out->a, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		if (memcmp(s6->sin6_addr.s6_addr, v4mapped, 12) == 0) {
			out->family = AF_INET;
			memcpy(out->a, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			out->family = AF_INET6;
			memcpy(out->a, s6->sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

bool
ip_equal(const struct ipaddr *x, const struct ipaddr *y)
{
	size_t n = x->family == AF_INET ? 4 : 16;

	return x->family == y->family && memcmp(x->a, y->a, n) == 0;
}

bool
ip_is_local(const struct ipaddr *ip)
{
	static const char *const nets[] = { "0.0.0.0/8", "10.0.0.0/8",
		"100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.168.0.0/16", "::/128", "::1/128",
		"fc00::/7", "fe80::/10" };
	struct cidr c;

	for (size_t i = 0; i < NELEM(nets); i++)
		if (cidr_parse(nets[i], &c, NULL) == 0 && cidr_contains(&c, ip))
			return true;
	return false;
}

bool
hostname_is_valid(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (label == 0 && c == '-')
			return false;
		if (++label > 63)
			return false;
	}
	return s[n - 1] != '-';
}

int
hostport_parse(const char *s, int default_port, bool need_ip,
    struct hostport *out, struct err *e)
{
	const char *host = s, *port = NULL;
	size_t hlen;
	uint64_t p;
	char pbuf[8];

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			return err_set(e, "missing ']' after an IPv6 address");
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return err_set(e, "expected ':PORT' after ']'");
	} else {
		const char *colon = strchr(s, ':');

		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			/* Several colons: an IPv6 address without a port. */
			hlen = strlen(s);
		} else if (colon != NULL) {
			hlen = (size_t)(colon - s);
			port = colon + 1;
		} else {
			hlen = strlen(s);
		}
	}
	if (hlen == 0 || hlen >= sizeof(out->host))
		return err_set(e, "missing or overlong host");
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->is_ip = ip_parse(out->host, &out->ip) == 0;
	if (s[0] == '[' && (!out->is_ip || out->ip.family != AF_INET6))
		return err_set(e, "only an IPv6 address goes in brackets");
	if (!out->is_ip && (need_ip || !hostname_is_valid(out->host)))
		return err_set(e,
		    need_ip ? "expected an IP address" : "invalid host name");
	if (port == NULL) {
		if (default_port < 0)
			return err_set(e, "missing port (HOST:PORT)");
		out->port = (uint16_t)default_port;
		return 0;
	}
	if (str_copy(pbuf, sizeof(pbuf), port) == -1 ||
	    parse_u64(pbuf, 1, 65535, &p) == -1)
		return err_set(e, "port must be a number from 1 to 65535");
	out->port = (uint16_t)p;
	return 0;
}

void
hostport_format(const struct hostport *hp, char *dst, size_t dstlen)
{
	if (hp->is_ip && hp->ip.family == AF_INET6)
		snprintf(dst, dstlen, "[%s]:%u", hp->host, hp->port);
	else
		snprintf(dst, dstlen, "%s:%u", hp->host, hp->port);
}

int
cidr_parse(const char *s, struct cidr *out, struct err *e)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	uint64_t prefix;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr))
		return err_set(e, "expected an address or network");
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (ip_parse(addr, &out->net) == -1)
		return err_set(e, "\"%s\" is not an IP address", addr);
	max = out->net.family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		out->prefix = max;
		return 0;
	}
	if (parse_u64(slash + 1, 0, max, &prefix) == -1)
		return err_set(e, "prefix length must be 0 to %u", max);
	out->prefix = (unsigned)prefix;
	/* Clear host bits: 127.0.0.1/8 means 127.0.0.0/8. */
	for (unsigned bit = out->prefix; bit < max; bit++)
		out->net.a[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
	return 0;
}

bool
cidr_contains(const struct cidr *c, const struct ipaddr *ip)
{
	struct ipaddr v = *ip;
	unsigned full, rest;

	if (v.family == AF_INET6 && c->net.family == AF_INET &&
	    memcmp(v.a, v4mapped, 12) == 0) {
		memmove(v.a, v.a + 12, 4);
		v.family = AF_INET;
	}
	if (v.family != c->net.family)
		return false;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(v.a, c->net.a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((v.a[full] ^ c->net.a[full]) & (0xffu << (8 - rest)) & 0xff) ==
	       0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * url.c - server URLs: scheme, host, port and path prefix (see url.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "url.h"

static const struct {
	const char *prefix;
	bool tls;
	unsigned int port;
} schemes[] = {
	{ "ws://", false, 80 },
	{ "http://", false, 80 },
	{ "wss://", true, 443 },
	{ "https://", true, 443 },
};

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

/* RFC 3986 reg-name characters, without sub-delims and percent escapes. */
static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* Printable ASCII, no space: what a path or query may hold here. */
static bool path_char(char c)
{
	return c > ' ' && c < 0x7f;
}

static int parse_host(const char *h, size_t len, struct url *u,
		      const char **why)
{
	struct in6_addr a6;

	if (!len)
		return fail(why, "no host after '//'");
	if (h[0] == '[') {
		if (h[len - 1] != ']')
			return fail(why, "an IPv6 address needs its ']'");
		len -= 2;
		h++;
		if (!len || len >= sizeof(u->host))
			return fail(why, "not an IPv6 address in brackets");
		memcpy(u->host, h, len);
		u->host[len] = '\0';
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return fail(why, "not an IPv6 address in brackets");
		u->ipv6 = true;
		return 0;
	}
	if (len >= sizeof(u->host))
		return fail(why, "host name longer than 255 characters");
	for (size_t i = 0; i < len; i++) {
		if (!host_char(h[i]))
			return fail(why, "host names hold letters, digits, '-', '.' and '_' (IPv6 addresses go in brackets)");
	}
	memcpy(u->host, h, len);
	u->host[len] = '\0';
	return 0;
}

static int parse_port(const char *p, size_t len, struct url *u,
		      const char **why)
{
	unsigned int port = 0;

	if (!len)
		return fail(why, "no port after ':'");
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return fail(why, "the port is a number from 1 to 65535");
		port = port * 10 + (unsigned int)(p[i] - '0');
		if (port > 65535)
			return fail(why, "the port is a number from 1 to 65535");
	}
	if (!port)
		return fail(why, "the port is a number from 1 to 65535");
	u->port = port;
	return 0;
}

int url_parse(const char *s, struct url *u, const char **why)
{
	const char *auth, *end, *colon, *rb;
	size_t i, len;
	int ret;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		len = strlen(schemes[i].prefix);
		if (!strncasecmp(s, schemes[i].prefix, len))
			break;
	}
	if (i == sizeof(schemes) / sizeof(schemes[0]))
		return fail(why, "expected " URL_FORMS);
	u->tls = schemes[i].tls;
	u->port = schemes[i].port;
	auth = s + len;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)))
		return fail(why, "user names ('user@host') are not supported; put a token in the configuration");
	rb = auth[0] == '[' ? memchr(auth, ']', (size_t)(end - auth)) : NULL;
	colon = memchr(rb ? rb : auth, ':', (size_t)(end - (rb ? rb : auth)));
	if (auth[0] != '[' && colon &&
	    memchr(colon + 1, ':', (size_t)(end - colon - 1)))
		return fail(why, "IPv6 addresses go in brackets, as in ws://[::1]:2092");
	ret = parse_host(auth, (size_t)((colon ? colon : end) - auth), u, why);
	if (!ret && colon)
		ret = parse_port(colon + 1, (size_t)(end - colon - 1), u, why);
	if (ret)
		return ret;
	for (i = 0; end[i]; i++)
		if (!path_char(end[i]))
			return fail(why, "spaces and control characters must be percent-encoded");
	len = strcspn(end, "?#");
	while (len && end[len - 1] == '/')
		len--;
	if (len >= sizeof(u->path))
		return fail(why, "path longer than 255 characters");
	memcpy(u->path, end, len);
	u->path[len] = '\0';
	return 0;
}

int url_authority(const struct url *u, char *buf, size_t size)
{
	int n = snprintf(buf, size, u->ipv6 ? "[%s]:%u" : "%s:%u", u->host,
			 u->port);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

bool url_is_loopback(const char *ip)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

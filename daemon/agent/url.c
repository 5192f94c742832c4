// SPDX-License-Identifier: GPL-2.0
/*
 * url.c - the server URL split for the place list and tunnels: scheme,
 * host, port, path prefix (as hub_client reads it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int url_parse(const char *url, struct agent_url *u)
{
	const char *p, *host, *end, *colon;
	size_t hl;

	memset(u, 0, sizeof(*u));
	if (!strncmp(url, "ws://", 5) || !strncmp(url, "http://", 7)) {
		u->port = 80;
	} else if (!strncmp(url, "wss://", 6) || !strncmp(url, "https://", 8)) {
		u->tls = true;
		u->port = 443;
	} else {
		return -EINVAL;
	}
	host = strstr(url, "://") + 3;
	end = host + strcspn(host, "/?#");
	if (*host == '[') {
		p = memchr(host, ']', (size_t)(end - host));
		if (!p)
			return -EINVAL;
		hl = (size_t)(p - host - 1);
		host++;
		colon = p[1] == ':' ? p + 1 : NULL;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		hl = (size_t)((colon ? colon : end) - host);
	}
	if (!hl || hl >= sizeof(u->host))
		return -EINVAL;
	memcpy(u->host, host, hl);
	if (colon) {
		char *e;
		unsigned long port = strtoul(colon + 1, &e, 10);

		if (e != end || !port || port > 65535)
			return -EINVAL;
		u->port = (unsigned int)port;
	}
	hl = strcspn(end, "?#");
	while (hl && end[hl - 1] == '/')
		hl--;
	if (hl >= sizeof(u->path))
		return -EINVAL;
	memcpy(u->path, end, hl);
	return 0;
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

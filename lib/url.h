/* SPDX-License-Identifier: GPL-2.0 */
/*
 * url.h - the one parser of server URLs (ws, wss, http, https), used by
 * nmb-exporter and nmb-agent when they load their configuration and by
 * lib/hub_client when it connects.
 *
 * Usage:
 *
 *	struct url u;
 *	const char *why;
 *
 *	if (url_parse("wss://[::1]:2092/farm/", &u, &why))
 *		log_err("server '%s': %s", s, why);	// why: what to fix
 *	// u.tls, u.host "::1", u.ipv6, u.port 2092, u.path "/farm"
 *	url_authority(&u, buf, sizeof(buf));		// "[::1]:2092"
 *
 * Accepted: SCHEME://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]; SCHEME is ws
 * or http (port 80 by default), wss or https (443); HOST a name, an IPv4
 * address or an IPv6 address in brackets; PORT 1 to 65535. The query and
 * the fragment are ignored, trailing slashes of the path dropped. User
 * names ("user@host"), other schemes and control characters are refused.
 */
#ifndef NMB_URL_H
#define NMB_URL_H

#include <stdbool.h>
#include <stddef.h>

#define URL_HOST_MAX	256
#define URL_PATH_MAX	256
#define URL_FORMS	"ws://, wss://, http:// or https://HOST[:PORT][/PATH]"

struct url {
	bool tls;
	bool ipv6;			/* host is an IPv6 address */
	char host[URL_HOST_MAX];	/* without brackets */
	unsigned int port;
	char path[URL_PATH_MAX];	/* prefix without trailing '/', or "" */
};

/*
 * Returns 0, or -EINVAL with *why (if why is not NULL) set to a static
 * message saying what is wrong.
 */
int url_parse(const char *s, struct url *u, const char **why);

/* "HOST:PORT" for a Host header, "[ADDR]:PORT" for IPv6. -ENOSPC. */
int url_authority(const struct url *u, char *buf, size_t size);

/* True if ip (an address literal) is a loopback address. */
bool url_is_loopback(const char *ip);

#endif /* NMB_URL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * proxy_env.c - the outbound HTTP proxy for a connection to the server:
 * the proxy: key, https_proxy/http_proxy and no_proxy (proxy_env.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_env.h"

/* http://HOST[:PORT] (or HOST[:PORT]) into *out. */
static int parse_proxy(const char *value, struct proxy_route *out,
		       const char **why)
{
	char buf[URL_HOST_MAX + 32];
	struct url u;

	if (!strstr(value, "://")) {
		if ((size_t)snprintf(buf, sizeof(buf), "http://%s", value) >=
		    sizeof(buf)) {
			*why = "too long";
			return -EINVAL;
		}
		value = buf;
	} else if (strncasecmp(value, "http://", 7) != 0) {
		*why = "expected http://HOST[:PORT] (the proxy is spoken to in plain HTTP)";
		return -EINVAL;
	}
	if (url_parse(value, &u, why))
		return -EINVAL;
	if (u.path[0]) {
		*why = "expected http://HOST[:PORT], without a path";
		return -EINVAL;
	}
	snprintf(out->host, sizeof(out->host), "%s", u.host);
	out->port = u.port;
	snprintf(out->url, sizeof(out->url), u.ipv6 ? "http://[%s]:%u" :
		 "http://%s:%u", u.host, u.port);
	return 0;
}

int proxy_check(const char *value, const char **why)
{
	struct proxy_route r;
	const char *w = NULL;
	int ret;

	if (!value || !strcmp(value, PROXY_DIRECT))
		return 0;
	ret = parse_proxy(value, &r, &w);
	if (why)
		*why = w;
	return ret;
}

/* Is the address host inside the block "addr/bits"? */
static bool in_cidr(const char *block, size_t len, const char *host)
{
	unsigned char net[16], ip[16];
	char a[INET6_ADDRSTRLEN];
	const char *slash = memchr(block, '/', len);
	int fam, bits, max, i;
	char *endp;

	if (!slash || (size_t)(slash - block) >= sizeof(a))
		return false;
	memcpy(a, block, (size_t)(slash - block));
	a[slash - block] = '\0';
	fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	max = fam == AF_INET6 ? 128 : 32;
	bits = (int)strtol(slash + 1, &endp, 10);
	if (endp != block + len || endp == slash + 1 || bits < 0 ||
	    bits > max || inet_pton(fam, a, net) != 1 ||
	    inet_pton(fam, host, ip) != 1)
		return false;
	for (i = 0; i < bits; i++) {
		unsigned char m = (unsigned char)(0x80 >> (i % 8));

		if ((net[i / 8] & m) != (ip[i / 8] & m))
			return false;
	}
	return true;
}

/* One entry of no_proxy (len bytes at e) against host. */
static bool entry_match(const char *e, size_t len, const char *host)
{
	size_t hl = strlen(host);

	if (len == 1 && e[0] == '*')
		return true;
	if (memchr(e, '/', len))
		return in_cidr(e, len, host);
	if (len > 2 && e[0] == '*' && e[1] == '.') {
		e++;
		len--;
	}
	if (len && e[0] == '.') {
		e++;
		len--;
	}
	if (len > 2 && e[0] == '[' && e[len - 1] == ']') {
		e++;
		len -= 2;
	}
	if (!len || len > hl)
		return false;
	if (strncasecmp(host + hl - len, e, len) != 0)
		return false;
	return hl == len || host[hl - len - 1] == '.';
}

bool proxy_no_proxy_match(const char *list, const char *host)
{
	const char *p = list, *q;

	if (!list || !host || !*host)
		return false;
	while (*p) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		for (q = p; *q && *q != ',' && *q != ' ' && *q != '\t'; q++)
			;
		if (q > p && entry_match(p, (size_t)(q - p), host))
			return true;
		p = q;
	}
	return false;
}

static const char *env2(const char *lower, const char *upper,
			const char **name)
{
	const char *v = getenv(lower);

	*name = lower;
	if (!v || !*v) {
		v = getenv(upper);
		*name = upper;
	}
	return v && *v ? v : NULL;
}

int proxy_route_for(const char *configured, const char *host, bool tls,
		    struct proxy_route *out, char *err, size_t errlen)
{
	const char *value, *name, *np, *w = NULL;

	memset(out, 0, sizeof(*out));
	if (configured && !strcmp(configured, PROXY_DIRECT))
		return 0;
	if (configured) {
		value = configured;
		name = "proxy:";
	} else {
		value = tls ? env2("https_proxy", "HTTPS_PROXY", &name) :
			      env2("http_proxy", "HTTP_PROXY", &name);
		if (!value)
			return 0;
		np = env2("no_proxy", "NO_PROXY", &w);
		if (np && proxy_no_proxy_match(np, host))
			return 0;
	}
	if (parse_proxy(value, out, &w)) {
		snprintf(err, errlen, "%s '%.60s': %s", name, value, w);
		return -EINVAL;
	}
	out->source = name;
	return 1;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * ws_bearer.c - the bearer token of the web page, offered as the
 * WebSocket subprotocol "nmb-bearer.<hex of the secret>" because a
 * browser cannot set Authorization on a WebSocket.
 */
#include <ctype.h>
#include <string.h>

#include "ws_bearer.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool ws_bearer_from_protocols(const char *protocols, char *out, size_t size)
{
	static const char pfx[] = "nmb-bearer.";
	const char *p = protocols, *end;
	size_t n;

	while (*p) {
		p += strspn(p, ", \t");
		end = p + strcspn(p, ", \t");
		if (end == p)
			break;
		if ((size_t)(end - p) < sizeof(pfx) - 1 ||
		    strncmp(p, pfx, sizeof(pfx) - 1) != 0) {
			p = end;
			continue;
		}
		p += sizeof(pfx) - 1;
		n = (size_t)(end - p);
		if (n % 2 || n / 2 >= size)
			return false;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);

			if (hi < 0 || lo < 0 || !(hi | lo))
				return false;
			out[i] = (char)(hi << 4 | lo);
		}
		out[n / 2] = '\0';
		return true;
	}
	return false;
}

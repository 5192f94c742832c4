// SPDX-License-Identifier: GPL-2.0
/*
 * utf8.c - checks UTF-8 sequences (WebSocket text frames, log escaping).
 */
#include "utf8.h"

size_t utf8_seq(const unsigned char *p, size_t left, uint32_t *cp)
{
	uint32_t c, min;
	size_t n, i;

	if (!left)
		return 0;
	c = p[0];
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i, &cp);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * http_cache.c - fuzz target: lib/http_cache, the lifetime nmb-server
 * gives an identity provider's answer from its Cache-Control, Expires,
 * Date and Age headers (the input's first four NUL-separated pieces).
 */
#include "fuzz.h"
#include "http_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *h[4] = { NULL, NULL, NULL, NULL };
	size_t n = 0, start = 0;
	long life;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i <= size && n < 4; i++) {
		if (i < size && s[i])
			continue;
		h[n++] = s + start;
		start = i + 1;
	}
	life = http_cache_lifetime(h[0], h[1], h[2], h[3], 1700000000);
	if (life < 0 || life > HTTP_CACHE_MAX_S)
		abort();
	http_cache_date(h[1]);
	free(s);
	return 0;
}

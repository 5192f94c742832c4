// SPDX-License-Identifier: GPL-2.0
/*
 * ws_bearer.c - fuzz target: the web page's bearer token in a
 * Sec-WebSocket-Protocol value (lib/ws_bearer), into buffers of every
 * small size, the decoded token always NUL-terminated inside it.
 */
#include "fuzz.h"
#include "ws_bearer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	char out[64];

	if (!s)
		return 0;
	for (size_t n = 1; n <= sizeof(out); n *= 2) {
		memset(out, 'x', sizeof(out));
		if (ws_bearer_from_protocols(s, out, n) &&
		    strnlen(out, n) == n)
			abort();
	}
	free(s);
	return 0;
}

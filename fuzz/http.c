// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - fuzz target: the CONNECT request head of the exporter's proxy
 * (lib/http) with its Proxy-Authorization bearer, whole and cut at every
 * length a dripping peer could send, and the answer formatted with what
 * it gave.
 */
#include <errno.h>

#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const char *buf = (const char *)data;
	struct http_request req;
	char out[1024];
	int ret;

	if (!init) {
		fuzz_log_init("fuzz-http");
		init = true;
	}
	ret = http_parse_head(buf, size, &req);
	if (ret == 0 && (req.head_len > size || !req.head_len))
		abort();
	if (ret == 0 && !req.target_long &&
	    strnlen(req.target, sizeof(req.target)) == sizeof(req.target))
		abort();
	if (ret == -EINVAL && !req.error)
		abort();
	if (ret == 0 && (strnlen(req.bearer, sizeof(req.bearer)) ==
			 sizeof(req.bearer) || (req.bearer[0] && !req.has_auth)))
		abort();
	http_response(out, sizeof(out), ret ? 400 : 200,
		      ret == -EINVAL ? req.error : NULL);
	/* the same bytes arriving in two reads */
	if (size > 1)
		http_parse_head(buf, size / 2, &req);
	return 0;
}

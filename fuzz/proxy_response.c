// SPDX-License-Identifier: GPL-2.0
/*
 * proxy_response.c - fuzz target: what a CONNECT peer answers (an
 * outbound proxy, an exporter, a relay), parsed by lib/http's
 * http_parse_response() whole and cut in two as lib/proxy_connect reads
 * it; and the same bytes as a no_proxy list and a proxy: value
 * (lib/proxy_env).
 */
#include <errno.h>

#include "fuzz.h"
#include "http.h"
#include "proxy_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const char *buf = (const char *)data;
	struct proxy_route r;
	size_t head, head2;
	int status, status2, ret;
	char err[300], *s;

	if (!init) {
		fuzz_log_init("fuzz-proxy-response");
		init = true;
	}
	ret = http_parse_response(buf, size, &status, &head);
	if (ret == 0 && (!head || head > size || status < 100 || status > 999))
		abort();
	if (ret && ret != -EAGAIN && ret != -EPROTO)
		abort();
	/* a complete head stays complete, with the same answer, at its end */
	if (ret == 0 && (http_parse_response(buf, head, &status2, &head2) ||
			 status2 != status || head2 != head))
		abort();
	if (size > 1)
		http_parse_response(buf, size / 2, &status, &head);
	s = fuzz_strdup(data, size);
	if (!s)
		return 0;
	proxy_no_proxy_match(s, "hub.lab.example");
	proxy_no_proxy_match(s, "198.18.0.1");
	proxy_no_proxy_match(s, "2001:db8::1");
	if (proxy_route_for(s, "hub.lab.example", false, &r, err,
			    sizeof(err)) == 1 && (!r.host[0] || !r.port))
		abort();
	free(s);
	return 0;
}

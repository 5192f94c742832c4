// SPDX-License-Identifier: GPL-2.0
/*
 * url.c - fuzz target: server URLs (lib/url), the one parser nmb-agent,
 * nmb-exporter and lib/hub_client use, and the Host authority built from
 * what it accepted.
 */
#include "fuzz.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size), buf[URL_HOST_MAX + 16];
	const char *why = NULL;
	struct url u;

	if (url_parse(s, &u, &why)) {
		if (!why)
			abort();
	} else {
		if (!u.host[0] || !u.port || u.port > 65535)
			abort();
		if (url_authority(&u, buf, sizeof(buf)) < 0)
			abort();
		url_is_loopback(u.host);
	}
	free(s);
	return 0;
}

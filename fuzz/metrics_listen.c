// SPDX-License-Identifier: GPL-2.0
/*
 * metrics_listen.c - fuzz target: the ADDRESS:PORT of metrics_listen
 * (lib/metrics_http), as exporter.yaml and agent.yaml give it.
 */
#include "fuzz.h"
#include "metrics_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);

	if (!s)
		return 0;
	metrics_http_check(s);
	free(s);
	return 0;
}

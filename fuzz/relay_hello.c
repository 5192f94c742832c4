// SPDX-License-Identifier: GPL-2.0
/*
 * relay_hello.c - fuzz target: the hello of a relay data connection
 * (lib/relay_hello), as nmb-server's relay port reads it from any peer,
 * whole and cut in two; a parsed id formats back to the same bytes.
 */
#include <errno.h>

#include "fuzz.h"
#include "relay_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const char *buf = (const char *)data;
	char id[RELAY_ID_LEN + 1], again[RELAY_HELLO_MAX];
	size_t used = 0;
	int ret;

	if (!init) {
		fuzz_log_init("fuzz-relay_hello");
		init = true;
	}
	ret = relay_hello_parse(buf, size, id, &used);
	if (ret == 0) {
		if (!used || used > size || !relay_id_valid(id))
			abort();
		if (relay_hello_format(again, sizeof(again), id) <= 0)
			abort();
	} else if (ret != -EAGAIN && ret != -EINVAL) {
		abort();
	}
	if (ret == -EAGAIN && size >= RELAY_HELLO_MAX)
		abort();
	if (size > 1)
		relay_hello_parse(buf, size / 2, id, &used);
	return 0;
}

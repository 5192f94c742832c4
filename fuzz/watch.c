// SPDX-License-Identifier: GPL-2.0
/*
 * watch.c - fuzz target: nmb_watch netlink attributes as lib/watch parses
 * them (the payload after the generic netlink header), as an event and
 * as a port of a dump.
 */
#include "fuzz.h"
#include "watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_event ev;
	struct watch_port port;
	static bool init;
	void *copy;

	if (!init) {
		fuzz_log_init("fuzz-watch");
		init = true;
	}
	/* netlink payloads are 4-byte aligned: an exact-size copy */
	copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	if (!watch_parse_event(copy, size, &ev))
		watch_event_type_name(ev.type);
	if (!watch_parse_port(copy, size, &port))
		watch_speed_name(port.dev.speed);
	free(copy);
	return 0;
}

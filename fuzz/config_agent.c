// SPDX-License-Identifier: GPL-2.0
/*
 * config_agent.c - fuzz target: nmb-agent's configuration file, loaded and
 * checked as the daemon does at start, with --check and on SIGHUP.
 */
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	static bool init;
	struct agent_conf cfg;

	if (!init) {
		fuzz_log_init("fuzz-config-agent");
		init = true;
	}
	memset(&cfg, 0, sizeof(cfg));
	config_load(&cfg, path, true);
	config_free(&cfg);
	return 0;
}

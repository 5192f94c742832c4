// SPDX-License-Identifier: GPL-2.0
/*
 * config_exporter.c - fuzz target: nmb-exporter's configuration file, loaded and
 * checked as the daemon does at start, with --check and on SIGHUP.
 */
#include "exporter.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	static bool init;
	struct exporter_conf cfg;

	if (!init) {
		fuzz_log_init("fuzz-config-exporter");
		init = true;
	}
	memset(&cfg, 0, sizeof(cfg));
	config_load(path, &cfg);
	config_free(&cfg);
	return 0;
}

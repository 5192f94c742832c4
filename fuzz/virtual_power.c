// SPDX-License-Identifier: GPL-2.0
/*
 * virtual_power.c - fuzz target: the SCPI lines an emulated board's
 * power port takes (daemon/exporter/virtual_line.c, as virtual_port.c
 * cuts them): one per input line. Only an empty line is no command, and
 * a known command is one of the spellings the port documents.
 */
#include <strings.h>

#include "fuzz_vline.h"

static void check(const char *line)
{
	enum vline_power cmd = vline_power(line);

	if ((cmd == VLINE_POWER_NONE) != !line[0])
		abort();
	if (cmd == VLINE_POWER_ON && strcasecmp(line, "OUTP ON") &&
	    strcasecmp(line, "OUTP 1"))
		abort();
	if (cmd == VLINE_POWER_OFF && strcasecmp(line, "OUTP OFF") &&
	    strcasecmp(line, "OUTP 0"))
		abort();
	if (cmd < VLINE_POWER_NONE || cmd > VLINE_POWER_UNKNOWN)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_vline_split(data, size, check);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * virtual_gpio.c - fuzz target: the lines an emulated board's gpio port
 * takes (daemon/exporter/virtual_line.c, as virtual_port.c cuts them):
 * one per input line. A line it passes on to the board's shim must be
 * "SET <pin> <0|1>\n" or "GET <pin>\n" with pin 0..53, and must pass
 * again unchanged.
 */
#include "fuzz_vline.h"

static void check(const char *line)
{
	char out[32], sent[32], again[32];
	unsigned int pin, level;
	int end = 0;

	if (!vline_gpio(line, out, sizeof(out)))
		return;
	if (sscanf(out, "SET %u %u\n%n", &pin, &level, &end) == 2 && end) {
		if (level > 1)
			abort();
	} else if (!(sscanf(out, "GET %u\n%n", &pin, &end) == 1 && end)) {
		abort();
	}
	if (pin > VLINE_GPIO_PIN_MAX || out[end])
		abort();
	/* what goes to the board is itself a valid line, unchanged */
	memcpy(sent, out, (size_t)end + 1);
	sent[end - 1] = '\0';
	if (!vline_gpio(sent, again, sizeof(again)) || strcmp(again, out) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_vline_split(data, size, check);
	return 0;
}

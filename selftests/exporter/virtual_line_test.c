// SPDX-License-Identifier: GPL-2.0
/*
 * virtual_line_test.c - the lines of an emulated board's gpio and power
 * ports (daemon/exporter/virtual_line.c) without a board: what passes to
 * the board's shim, what is refused, which power command a line is.
 */
#include <string.h>

#include "tap.h"
#include "virtual_line.h"

static bool gpio(const char *line, const char *want)
{
	char out[32] = "";
	bool ok = vline_gpio(line, out, sizeof(out));

	if (!want)
		return !ok;
	return ok && !strcmp(out, want);
}

int main(void)
{
	static const char *const refused[] = {
		"SET 54 1", "SET 17 2", "SET 17", "GET", "SET17 1", "GET17",
		"SET 4294967313 1", "SET 17 4294967297", "GET 99999999999",
		"SET -1 1", "SET +1 1", "SET 1 -0", "GET 1x", "set 17 1",
		"SET 17 1 1", "", "SETX 1 1", "GET 0x1",
	};
	char buf[VLINE_LINE_MAX + 1];

	ok(gpio("SET 17 1", "SET 17 1\n"), "gpio: SET 17 1 passes");
	ok(gpio("GET 53", "GET 53\n"), "gpio: GET 53 passes");
	ok(gpio("SET\t0   0  ", "SET 0 0\n"),
	   "gpio: blanks between and after, normalised");
	ok(gpio("SET 007 1", "SET 7 1\n"), "gpio: leading zeros taken");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ok(gpio(refused[i], NULL), "gpio: '%s' refused", refused[i]);

	ok(vline_power("OUTP ON") == VLINE_POWER_ON &&
	   vline_power("outp 1") == VLINE_POWER_ON, "power: OUTP ON, outp 1");
	ok(vline_power("OUTP OFF") == VLINE_POWER_OFF &&
	   vline_power("OUTP 0") == VLINE_POWER_OFF, "power: OUTP OFF, OUTP 0");
	ok(vline_power("OUTP?") == VLINE_POWER_QUERY &&
	   vline_power("cycle") == VLINE_POWER_CYCLE &&
	   vline_power("RESET") == VLINE_POWER_RESET &&
	   vline_power("STAT?") == VLINE_POWER_STAT &&
	   vline_power("*idn?") == VLINE_POWER_IDN,
	   "power: OUTP?, CYCLE, RESET, STAT?, *IDN?");
	ok(vline_power("") == VLINE_POWER_NONE, "power: an empty line is none");
	ok(vline_power("OUTP  ON") == VLINE_POWER_UNKNOWN &&
	   vline_power("OUTP ON ") == VLINE_POWER_UNKNOWN &&
	   vline_power("OUTP") == VLINE_POWER_UNKNOWN,
	   "power: near misses are unknown");

	strcpy(buf, " \tSET 1 1\r");
	ok(!strcmp(vline_trim(buf, strlen(buf)), "SET 1 1"),
	   "trim: leading blanks and the final CR go");
	memset(buf, 'x', VLINE_LINE_MAX);
	ok(strlen(vline_trim(buf, VLINE_LINE_MAX)) == VLINE_LINE_MAX,
	   "trim: a line of VLINE_LINE_MAX bytes is terminated in its buffer");
	return tap_done();
}

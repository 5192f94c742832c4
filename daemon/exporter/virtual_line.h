/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtual_line.h - the lines an emulated board's gpio and power ports
 * take (virtual_line.c), parsed apart from their sockets.
 */
#ifndef NMB_VIRTUAL_LINE_H
#define NMB_VIRTUAL_LINE_H

#include <stdbool.h>
#include <stddef.h>

#define VLINE_GPIO_PIN_MAX	53
/* A longer line is refused whole. */
#define VLINE_LINE_MAX		255

enum vline_power {
	VLINE_POWER_NONE,		/* an empty line: no answer */
	VLINE_POWER_ON,			/* OUTP ON, OUTP 1 */
	VLINE_POWER_OFF,		/* OUTP OFF, OUTP 0 */
	VLINE_POWER_QUERY,		/* OUTP? */
	VLINE_POWER_CYCLE,		/* CYCLE */
	VLINE_POWER_RESET,		/* RESET */
	VLINE_POWER_STAT,		/* STAT? */
	VLINE_POWER_IDN,		/* *IDN? */
	VLINE_POWER_UNKNOWN,
};

/*
 * A received line of len bytes in line (which has room for one more):
 * NUL-terminated, a final '\r' and leading blanks dropped.
 */
char *vline_trim(char *line, size_t len);
/*
 * "SET <bcm_pin> <0|1>" or "GET <bcm_pin>", pin 0..VLINE_GPIO_PIN_MAX in
 * decimal, blanks between: true and the line for the board's shim,
 * newline-terminated, in out; false if s is anything else.
 */
bool vline_gpio(const char *s, char *out, size_t size);
/* The SCPI command of a power port line (any case). */
enum vline_power vline_power(const char *s);

#endif /* NMB_VIRTUAL_LINE_H */

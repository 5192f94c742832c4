// SPDX-License-Identifier: GPL-2.0
/*
 * virtual_line.c - the lines of an emulated board's gpio and power ports
 * (virtual_port.c): pure functions, so that a unit test and a fuzz target
 * reach them without sockets or a board.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "virtual_line.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

char *vline_trim(char *line, size_t len)
{
	line[len] = '\0';
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	while (is_blank(*line))
		line++;
	return line;
}

/* One or more blanks at *s. */
static bool blanks(const char **s)
{
	const char *p = *s;

	while (is_blank(*p))
		p++;
	if (p == *s)
		return false;
	*s = p;
	return true;
}

/* A decimal number up to max at *s (leading zeros allowed). */
static bool number(const char **s, unsigned int max, unsigned int *out)
{
	const char *p = *s;
	unsigned int v = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > max)
			return false;
	}
	*out = v;
	*s = p;
	return true;
}

bool vline_gpio(const char *s, char *out, size_t size)
{
	unsigned int pin, level = 0;
	bool set;

	if (!strncmp(s, "SET", 3))
		set = true;
	else if (!strncmp(s, "GET", 3))
		set = false;
	else
		return false;
	s += 3;
	if (!blanks(&s) || !number(&s, VLINE_GPIO_PIN_MAX, &pin))
		return false;
	if (set && (!blanks(&s) || !number(&s, 1, &level)))
		return false;
	while (is_blank(*s))
		s++;
	if (*s)
		return false;
	if (set)
		snprintf(out, size, "SET %u %u\n", pin, level);
	else
		snprintf(out, size, "GET %u\n", pin);
	return true;
}

enum vline_power vline_power(const char *s)
{
	static const struct {
		const char *line;
		enum vline_power cmd;
	} cmds[] = {
		{ "OUTP ON", VLINE_POWER_ON },
		{ "OUTP 1", VLINE_POWER_ON },
		{ "OUTP OFF", VLINE_POWER_OFF },
		{ "OUTP 0", VLINE_POWER_OFF },
		{ "OUTP?", VLINE_POWER_QUERY },
		{ "CYCLE", VLINE_POWER_CYCLE },
		{ "RESET", VLINE_POWER_RESET },
		{ "STAT?", VLINE_POWER_STAT },
		{ "*IDN?", VLINE_POWER_IDN },
	};

	if (!s[0])
		return VLINE_POWER_NONE;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcasecmp(s, cmds[i].line))
			return cmds[i].cmd;
	return VLINE_POWER_UNKNOWN;
}

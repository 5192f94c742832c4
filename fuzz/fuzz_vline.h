/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_vline.h - for the fuzz targets of an emulated board's gpio and
 * power ports: the input cut into lines as virtual_port.c cuts what a
 * client sends (up to VLINE_LINE_MAX bytes; longer ones are refused
 * whole), each trimmed by vline_trim().
 */
#ifndef NMB_FUZZ_VLINE_H
#define NMB_FUZZ_VLINE_H

#include <stdbool.h>

#include "fuzz.h"
#include "virtual_line.h"

static inline void fuzz_vline_split(const uint8_t *data, size_t size,
				    void (*fn)(const char *line))
{
	char line[VLINE_LINE_MAX + 1];
	bool too_long = false;
	size_t len = 0;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n') {
			if (!too_long)
				fn(vline_trim(line, len));
			len = 0;
			too_long = false;
		} else if (len < VLINE_LINE_MAX) {
			line[len++] = (char)data[i];
		} else {
			too_long = true;
		}
	}
	/* a last line without its newline waits for more: not taken */
}

#endif /* NMB_FUZZ_VLINE_H */

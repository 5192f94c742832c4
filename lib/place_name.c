// SPDX-License-Identifier: GPL-2.0
/*
 * place_name.c - checks a place name against the rule of place_name.h.
 */
#include <errno.h>
#include <stdio.h>

#include "place_name.h"

#define RULE	"a place name is 1 to 64 printable ASCII characters without spaces"

int place_name_check(const char *name, size_t len, char *err, size_t errlen)
{
	if (!len) {
		snprintf(err, errlen, "empty; %s", RULE);
		return -EINVAL;
	}
	if (len > PLACE_NAME_MAX) {
		snprintf(err, errlen, "%zu bytes long; %s", len, RULE);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x21 || c > 0x7e) {
			snprintf(err, errlen, "byte %zu is 0x%02x; %s", i + 1,
				 c, RULE);
			return -EINVAL;
		}
	}
	return 0;
}

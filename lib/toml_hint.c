// SPDX-License-Identifier: GPL-2.0
/*
 * toml_hint.c - the message for a TOML file given to nmb (toml_hint.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "toml_hint.h"

#define SUFFIX	".toml"

bool toml_is_toml(const char *file)
{
	size_t n = strlen(file), m = strlen(SUFFIX);

	return n > m && !strcasecmp(file + n - m, SUFFIX);
}

const char *toml_advice(const char *file)
{
	static char msg[1024];
	int stem = (int)strlen(file);

	if (toml_is_toml(file))
		stem -= (int)strlen(SUFFIX);
	if (stem > 400)
		stem = 400;
	snprintf(msg, sizeof(msg),
		 "this is a TOML file (not-my-board's format) and nmb reads YAML; convert it with: nmb-from-toml %.400s > %.*s.yaml",
		 file, stem, file);
	return msg;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * import.c - fuzz target: import descriptions (lib/match), as nmb-agent
 * parses them for reserve, attach and edit, and their matching against
 * one exporter place.
 */
#include "fuzz.h"
#include "match.h"

static const char place[] =
	"{\"id\": 1, \"host\": \"127.0.0.1\", \"port\": 2192, \"parts\": ["
	"{\"compatible\": [\"rpi\", \"board\"],"
	" \"usb\": {\"serial\": {\"usbid\": \"1-1\"}},"
	" \"tcp\": {\"ssh\": {\"host\": \"10.0.0.2\", \"port\": 22}}},"
	"{\"compatible\": [\"psu\"], \"usb\": {},"
	" \"tcp\": {\"scpi\": {\"host\": \"10.0.0.3\", \"port\": 5025}}}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_object *exp;
	struct match_import *imp;
	char *text = fuzz_strdup(data, size);
	unsigned int seconds;
	char err[600];
	int *assign;

	if (!exp) {
		fuzz_log_init("fuzz-import");
		exp = json_tokener_parse(place);
		if (!exp)
			abort();
	}
	if (!match_import_parse(text, "fuzz.yaml", &imp, err, sizeof(err))) {
		assign = calloc(imp->nparts + 1, sizeof(*assign));
		if (!assign)
			abort();
		match_place(imp, exp, assign);
		free(assign);
	}
	match_import_free(imp);
	match_parse_duration(text, &seconds);
	free(text);
	return 0;
}

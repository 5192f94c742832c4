// SPDX-License-Identifier: GPL-2.0
/*
 * escape.c - fuzz target: what a peer's bytes go through before they are
 * logged or accepted (lib/log log_escape(), lib/utf8, lib/place_name):
 * the escaped text is printable, bounded and never cut inside an escape;
 * the place name rule and the UTF-8 check agree with the escaper.
 */
#include <errno.h>

#include "fuzz.h"
#include "place_name.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const char *s = (const char *)data;
	char out[4 * 64 + 8], err[160];
	size_t i, n, max = size ? data[0] % 80 : 0;
	bool valid;
	int ret;

	if (!init) {
		fuzz_log_init("fuzz-escape");
		init = true;
	}
	log_escape(out, sizeof(out), s, size, max);
	n = strlen(out);
	if (n >= sizeof(out))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();	/* a control character got through */
	for (i = n; i && out[i - 1] == '\\'; i--)
		;
	if ((n - i) % 2)
		abort();		/* cut inside an escape */
	if (size <= max && size < 60 && strstr(out, "...") &&
	    !memmem(s, size, "..", 2))
		abort();		/* cut although it fitted */
	valid = utf8_valid(s, size);
	ret = place_name_check(s, size, err, sizeof(err));
	if (!ret && (!size || size > PLACE_NAME_MAX || !valid))
		abort();
	if (ret && ret != -EINVAL)
		abort();
	if (!ret) {
		char *name = fuzz_strdup(data, size);

		log_debug("place %s", log_esc(name));
		free(name);
	}
	return 0;
}

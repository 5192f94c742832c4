// SPDX-License-Identifier: GPL-2.0
/*
 * token_store.c - fuzz target: the token store's JSON (lib/token_store):
 * a lookup of two hub keys, and an update whose result must read back
 * with the new tokens while a malformed store is never rewritten.
 */
#include <errno.h>

#include "fuzz.h"
#include "token_store.h"

static void lookup(const char *buf, size_t size, const char *hub)
{
	const char *why = NULL;
	char *id = NULL, *rt = NULL;
	int ret = token_store_lookup(buf, size, hub, &id, &rt, &why);

	if (ret && (id || rt || !why))
		abort();
	if (!ret && (!id || !*id))
		abort();
	free(id);
	free(rt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static bool init;
	char *out = NULL, *id = NULL, *rt = NULL;
	const char *why = NULL;
	int ret;

	if (!init) {
		fuzz_log_init("fuzz-token-store");
		init = true;
	}
	lookup(buf, size, "https://hub.example:2092");
	lookup(buf, size, "ws://127.0.0.1:2092");
	ret = token_store_update(buf, size, "https://hub.example:2092",
				 "new.id.token", "new-refresh", &out);
	if (ret) {
		if (out)
			abort();
		return 0;
	}
	if (token_store_lookup(out, strlen(out), "https://hub.example:2092",
			       &id, &rt, &why) ||
	    strcmp(id, "new.id.token") || !rt || strcmp(rt, "new-refresh"))
		abort();
	free(id);
	free(rt);
	free(out);
	return 0;
}

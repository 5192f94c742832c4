// SPDX-License-Identifier: GPL-2.0
/*
 * oidc_callback.c - fuzz target: the parameters of nmb-server's GET
 * /oidc-callback (daemon/server/login_query.c) as libwebsockets hands
 * them over, one URL-decoded "key=value" per NUL-separated piece of the
 * input; the result must be an object of strings with at most
 * SRV_LOGIN_ARGS_MAX members.
 */
#include "fuzz.h"
#include "login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *args[SRV_LOGIN_ARGS_MAX + 2];
	size_t lens[SRV_LOGIN_ARGS_MAX + 2], n = 0, start = 0;
	const char *buf = (const char *)data, *why = NULL;
	json_object *o;

	for (size_t i = 0; i <= size && n < SRV_LOGIN_ARGS_MAX + 2; i++) {
		if (i < size && data[i])
			continue;
		args[n] = buf + start;
		lens[n++] = i - start;
		start = i + 1;
	}
	o = srv_login_query(args, lens, n, &why);
	if (!o) {
		if (!why)
			abort();
		return 0;
	}
	if (n > SRV_LOGIN_ARGS_MAX ||
	    json_object_object_length(o) > (int)n)
		abort();
	json_object_object_foreach(o, k, v) {
		if (!k[0] || !json_object_is_type(v, json_type_string))
			abort();
	}
	json_object_put(o);
	return 0;
}

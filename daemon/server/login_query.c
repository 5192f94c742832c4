// SPDX-License-Identifier: GPL-2.0
/*
 * login_query.c - the parameters of GET /oidc-callback as a JSON object:
 * libwebsockets splits the query at '&' and URL-decodes each part; this
 * file splits each part at its first '=' and checks what a JSON string
 * may hold.
 */
#include <stdlib.h>
#include <string.h>

#include "login.h"
#include "utf8.h"

json_object *srv_login_query(const char *const *args, const size_t *lens,
			     size_t n, const char **why)
{
	json_object *o;

	if (n > SRV_LOGIN_ARGS_MAX) {
		*why = "too many query parameters";
		return NULL;
	}
	o = json_object_new_object();
	if (!o) {
		*why = "out of memory";
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *eq = memchr(args[i], '=', lens[i]);
		size_t klen = eq ? (size_t)(eq - args[i]) : lens[i];
		const char *v = eq ? eq + 1 : "";
		size_t vlen = eq ? lens[i] - klen - 1 : 0;
		json_object *s;
		char *key;

		if (!lens[i])
			continue;	/* "a=1&&b=2" */
		if (!klen || memchr(args[i], 0, lens[i]) ||
		    !utf8_valid(args[i], lens[i])) {
			*why = "a query parameter without a name, or not UTF-8";
			json_object_put(o);
			return NULL;
		}
		key = strndup(args[i], klen);
		s = json_object_new_string_len(v, (int)vlen);
		if (!key || !s || json_object_object_add(o, key, s)) {
			free(key);
			json_object_put(s);
			json_object_put(o);
			*why = "out of memory";
			return NULL;
		}
		free(key);
	}
	return o;
}

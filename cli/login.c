// SPDX-License-Identifier: GPL-2.0
/*
 * login.c - nmbctl login [HUB_URL]: the agent runs the OpenID Connect
 * login for its server (daemon/agent/login.c) and sends the URL to open
 * in a browser (login_url); once the browser came back and the tokens
 * are stored, the claims the hub shows are printed. No token ever
 * reaches nmbctl.
 */
#include <stdio.h>

#include "ctl.h"
#include "ipc.h"
#include "protocol.h"
#include "subcommands.h"

static void on_url(void *arg, json_object *params)
{
	json_object *url, *hub;
	FILE *f = ctl.json ? stderr : stdout;

	(void)arg;
	if (!params || !json_object_object_get_ex(params, "url", &url))
		return;
	json_object_object_get_ex(params, "hub", &hub);
	fprintf(f, "Open this URL in a browser to log in to %s:\n\n    %s\n\n"
		"Waiting for the browser (Ctrl-C gives up)...\n",
		hub ? json_object_get_string(hub) : "the server",
		json_object_get_string(url));
	fflush(f);
}

static void print_claims(json_object *result)
{
	json_object *claims, *hub;
	char buf[1024];

	json_object_object_get_ex(result, "hub", &hub);
	printf("Logged in to %s.\n", hub ? json_object_get_string(hub) :
	       "the server");
	if (!json_object_object_get_ex(result, "claims", &claims) ||
	    !json_object_is_type(claims, json_type_object) ||
	    !json_object_object_length(claims))
		return;
	printf("Claims:\n");
	json_object_object_foreach(claims, k, v) {
		(void)v;
		printf("  %s: %s\n", k, ctl_field(claims, k, buf, sizeof(buf)));
	}
}

int login_main(int argc, char **argv)
{
	const struct ctl_opt opts[] = { { NULL, 0, 0, NULL, NULL, NULL } };
	json_object *params = json_object_new_object(), *result = NULL;
	struct ipc *ipc;
	int i, ret, err;

	i = ctl_parse(argc, argv, opts);
	if (i <= 0) {
		json_object_put(params);
		return i ? CTL_USAGE : CTL_OK;
	}
	if (argc - i > 1) {
		json_object_put(params);
		return ctl_usage_error(argv[0], "expected at most one HUB_URL");
	}
	if (argc - i == 1)
		json_object_object_add(params, "hub",
				       json_object_new_string(argv[i]));
	ret = ctl_connect(&ipc, "log in", NULL);
	if (ret) {
		json_object_put(params);
		return ret;
	}
	ipc_on_progress(ipc, on_url, NULL);
	err = ipc_call(ipc, CTL_LOGIN, params, &result);
	ipc_on_progress(ipc, NULL, NULL);
	if (err) {
		ret = ctl_ipc_fail(ipc, err, "log in", NULL);
	} else if (ctl.json) {
		ctl_print_json(result);
	} else {
		print_claims(result);
	}
	json_object_put(result);
	ipc_close(ipc);
	return ret;
}

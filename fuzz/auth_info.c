// SPDX-License-Identifier: GPL-2.0
/*
 * auth_info.c - fuzz target: the hub's /api/v1/auth-info (lib/
 * oidc_client) and the --token-cmd substitution with what it gives.
 */
#include <errno.h>

#include "fuzz.h"
#include "oidc_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oidc_auth_info ai;
	const char *why = NULL;
	static bool init;
	char *cmd, *out = NULL;
	int ret;

	if (!init) {
		fuzz_log_init("fuzz-auth-info");
		init = true;
	}
	ret = oidc_auth_info_parse((const char *)data, size, &ai, &why);
	if (ret) {
		if (ai.issuer || ai.client_id || ai.show || !why)
			abort();
	} else {
		if (!ai.issuer || !ai.client_id ||
		    (!ai.has_show && ai.n_show) || ai.n_show > OIDC_MAX_SHOW)
			abort();
		if (oidc_cmd_substitute("t --iss $issuer --aud ${client_id} $$",
					ai.issuer, ai.client_id, &out))
			abort();
		free(out);
		oidc_auth_info_free(&ai);
	}
	/* the bytes as a --token-cmd */
	cmd = fuzz_strdup(data, size);
	if (oidc_cmd_substitute(cmd, "https://i", "c", &out))
		abort();
	free(out);
	free(cmd);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * token_response.c - fuzz target: an identity provider's token endpoint
 * answer (lib/oidc_client), as login (token_type checked) and refresh
 * read it, and the refresh rule on the id token it holds.
 */
#include <errno.h>
#include <time.h>

#include "fuzz.h"
#include "oidc_client.h"

static void parse(const char *buf, size_t size, bool check_type)
{
	struct oidc_tokens t;
	char why[300] = "";
	char *iss = NULL, *aud = NULL;
	int ret = oidc_token_response_parse(buf, size, check_type, &t, why,
					    sizeof(why));

	if (ret) {
		if (t.id_token || t.refresh_token || !why[0])
			abort();
		return;
	}
	if (!t.id_token || !*t.id_token || !t.refresh_token ||
	    !*t.refresh_token)
		abort();
	oidc_id_token_fresh(t.id_token, (time_t)1700000000, &iss, &aud);
	free(iss);
	free(aud);
	oidc_tokens_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *iss = NULL, *aud = NULL;
	static bool init;

	if (!init) {
		fuzz_log_init("fuzz-token-response");
		init = true;
	}
	parse((const char *)data, size, true);
	parse((const char *)data, size, false);
	/* the bytes as a stored id token */
	s = fuzz_strdup(data, size);
	oidc_id_token_fresh(s, (time_t)1700000000, &iss, &aud);
	free(iss);
	free(aud);
	free(s);
	return 0;
}

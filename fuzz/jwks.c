// SPDX-License-Identifier: GPL-2.0
/*
 * jwks.c - fuzz target: a JWKS document (lib/jwks: JSON, base64url,
 * RSA and EC P-256 keys into OpenSSL) and the same bytes as an OpenID
 * discovery document, for the server (need_login false) and for login.
 */
#include <errno.h>

#include "fuzz.h"
#include "jwks.h"

#define ISSUER	"https://idp.example.test/realms/lab"

static void discovery(const char *buf, size_t size, bool need_login)
{
	struct oidc_discovery d;
	const char *why = NULL;
	int ret;

	ret = oidc_discovery_parse(buf, size, ISSUER, need_login, &d, &why);
	if (ret) {
		if (!why || d.issuer || d.jwks_uri || d.token_endpoint ||
		    d.authorization_endpoint)
			abort();
		return;
	}
	if (strcmp(d.issuer, ISSUER) || !d.jwks_uri ||
	    (need_login && (!d.token_endpoint || !d.authorization_endpoint)))
		abort();
	oidc_discovery_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kids[] = { "rsa1", "ec1", "", "k0" };
	const char *buf = (const char *)data;
	static bool init;
	enum jwks_alg alg;
	const char *why = NULL;
	struct jwks *ks;
	EVP_PKEY *pkey;
	size_t i;

	if (!init) {
		fuzz_log_init("fuzz-jwks");
		init = true;
	}
	ks = jwks_parse(buf, size, &why);
	if (!ks && !why)
		abort();
	if (ks && (!jwks_count(ks) || jwks_count(ks) > JWKS_MAX_KEYS ||
		   jwks_count(ks) + jwks_skipped(ks) > JWKS_MAX_KEYS))
		abort();
	for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		pkey = jwks_find(ks, kids[i], &alg);
		if (!!pkey != jwks_has_kid(ks, kids[i]))
			abort();
		if (pkey && !EVP_PKEY_is_a(pkey, alg == JWKS_ALG_RS256 ?
					   "RSA" : "EC"))
			abort();
		if (pkey && alg == JWKS_ALG_RS256 &&
		    EVP_PKEY_get_bits(pkey) < JWKS_RSA_MIN_BITS)
			abort();
	}
	jwks_free(ks);
	discovery(buf, size, false);
	discovery(buf, size, true);
	return 0;
}

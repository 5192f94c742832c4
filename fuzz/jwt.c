// SPDX-License-Identifier: GPL-2.0
/*
 * jwt.c - fuzz target: ID token validation (lib/jwt_verify) against a
 * fixed key set, and the claims functions (lib/claims). The first byte
 * chooses:
 *  0: the rest is a token, validated and peeked at;
 *  1: the rest is "HEADER\nPAYLOAD" (JSON), signed here with the EC key
 *     below so that the claim checks after the signature are reached;
 *  2: the rest is a claims object for claims_roles(),
 *     claims_user_name() and claims_show().
 * The key pair is made for this target only and trusts nothing.
 */
#include <openssl/ec.h>
#include <openssl/pem.h>

#include "claims.h"
#include "fuzz.h"
#include "jwks.h"
#include "jwt_verify.h"

#define NOW	1700000000

static const char jwks_doc[] =
	"{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"rsa1\", \"use\": \"sig\", \"n"
	"\": \"04msg9tD6BERghNao0OtJiUJkOOmmUNUAAwXx6YSop1HX6U4ayc4"
	"ITAuDcLRHQ_B-B2S2hUTywjyBY5AJo9SoKD-z6Q6BKWK1M2c_CQmJbva"
	"_coq6WlljZ_m6JyUqjZIjDvFTbfbX2DOZQEaS2tvOpva3vl25DargyH-"
	"tj_MMKhhtTyltGPYbCBDntVPwosIiqjxkh994JPD9GC6Us2J-H1h8_sg"
	"qqNDl4ZdIF8lO28KTeQmgkqPmIKQG0VmTkK6D2q5E0nXrFovIG9WMtKf"
	"kJG86fzYKFNHQX54rmp304Utt1sp8EbYXgLFPhalXQlI7ffUSMHSVKuO"
	"EHbyl1HFTQ\", \"e\": \"AQAB\"}, {\"kty\": \"EC\", \"kid\": \"ec1\", \""
	"crv\": \"P-256\", \"x\": \"gCLiadapO92NitzQfBRYzwYnfjSIvLInCBo"
	"D4x5kvqY\", \"y\": \"WaiF--MwqOo5yt5N8Wrepn6YAh8XPfkxY0YqGSb"
	"dsDY\"}]}";

static const char ec_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc5yZqbz2ebRT9e5d\n"
	"Di0VnCC1FKpzpfJFo96jpQjPNKyhRANCAASAIuJp1qk73Y2K3NB8FFjPBid+NIi8\n"
	"sicIGgPjHmS+plmohfvjMKjqOcreTfFq3qZ+mAIfFz35MWNGKhkm3bA2\n"
	"-----END PRIVATE KEY-----\n";

static const char *const issuers[] = {
	"https://idp.example.test/realms/lab", "https://ci.example.test",
};

static struct jwks *keys;
static EVP_PKEY *ec_priv;

static void check_token(const char *tok, size_t len, const char *nonce)
{
	struct jwt_expect ex = {
		.issuers = issuers, .n_issuers = 2, .audience = "nmb",
		.nonce = nonce, .now = NOW, .skew = 30,
	};
	json_object *claims = NULL;
	enum jwt_verdict v;
	char *iss, *kid;

	v = jwt_verify_token(tok, len, keys, &ex, &claims);
	if ((unsigned int)v >= JWT_VERDICT_COUNT || (v == JWT_OK) != !!claims ||
	    !jwt_verdict_str(v))
		abort();
	json_object_put(claims);
	v = jwt_peek(tok, len, 0, &iss, &kid);
	if (v != JWT_OK && (iss || kid))
		abort();
	free(iss);
	free(kid);
}

/* base64url without padding of len bytes, appended at out. */
static size_t b64url(char *out, const unsigned char *in, size_t len)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	int i;

	while (n > 0 && out[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return (size_t)n;
}

/* "HEADER\nPAYLOAD" made into a token signed with ec_priv (ES256). */
static void signed_token(const char *buf, size_t size)
{
	const char *nl = memchr(buf, '\n', size);
	unsigned char der[80], raw[64];
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	size_t n = 0, der_len = sizeof(der);
	EVP_MD_CTX *md;
	ECDSA_SIG *sig;
	char *tok;

	if (!nl || size > 8192)
		return;
	tok = malloc(size * 2 + 200);
	if (!tok)
		abort();
	n = b64url(tok, (const unsigned char *)buf, (size_t)(nl - buf));
	tok[n++] = '.';
	n += b64url(tok + n, (const unsigned char *)nl + 1,
		    size - (size_t)(nl - buf) - 1);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
				      ec_priv) != 1 ||
	    EVP_DigestSign(md, der, &der_len, (unsigned char *)tok, n) != 1)
		abort();
	EVP_MD_CTX_free(md);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!sig)
		abort();
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 ||
	    BN_bn2binpad(s, raw + 32, 32) != 32)
		abort();
	ECDSA_SIG_free(sig);
	tok[n++] = '.';
	n += b64url(tok + n, raw, sizeof(raw));
	check_token(tok, n, NULL);
	check_token(tok, n, "n-0S6_WzA2Mj");
	free(tok);
}

static void claims(const char *buf, size_t size)
{
	static const char *const formats[] = {
		"${preferred_username}", "$email ($$)", "${groups}@$iss",
	};
	static const char *const show[] = { "sub", "email" };
	json_object *token = jwks_json_object(buf, size);
	struct claims_permission perms[2];
	json_object *shown;
	char *name;
	int ret;

	if (!token)
		return;
	perms[0].claims = json_tokener_parse("{\"groups\": [\"lab\"]}");
	perms[0].roles = CLAIMS_ROLE_IMPORTER;
	perms[1].claims = json_tokener_parse(
		"{\"iss\": \"https://ci.example.test\", \"level\": 1, "
		"\"ctx\": {\"a\": [1, true, null]}, \"groups\": []}");
	perms[1].roles = CLAIMS_ROLE_EXPORTER;
	if (!perms[0].claims || !perms[1].claims)
		abort();
	if (claims_roles(perms, 2, token, issuers[0]) &
	    ~(CLAIMS_ROLE_IMPORTER | CLAIMS_ROLE_EXPORTER))
		abort();
	ret = claims_user_name(formats, 3, token, &name);
	if ((ret == 0) != !!name ||
	    (name && (strlen(name) > CLAIMS_NAME_MAX)))
		abort();
	free(name);
	shown = claims_show(token, show, 2);
	if (!shown || json_object_object_length(shown) > 2)
		abort();
	json_object_put(shown);
	json_object_put(perms[0].claims);
	json_object_put(perms[1].claims);
	json_object_put(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1;
	const char *why;
	BIO *bio;

	if (!keys) {
		fuzz_log_init("fuzz-jwt");
		keys = jwks_parse(jwks_doc, sizeof(jwks_doc) - 1, &why);
		bio = BIO_new_mem_buf(ec_pem, -1);
		ec_priv = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
			  NULL;
		BIO_free(bio);
		if (!keys || jwks_count(keys) != 2 || !ec_priv)
			abort();
	}
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		check_token(buf, size - 1, NULL);
		break;
	case 1:
		signed_token(buf, size - 1);
		break;
	default:
		claims(buf, size - 1);
	}
	return 0;
}

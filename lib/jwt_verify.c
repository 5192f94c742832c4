// SPDX-License-Identifier: GPL-2.0
/*
 * jwt_verify.c - ID token validation: the JWS parts split and decoded
 * (base64url via OpenSSL's EVP_DecodeBlock, JSON via json-c), the
 * algorithm refused or allowed before any key is touched, the signature
 * checked by EVP_DigestVerify, then the claims. See jwt_verify.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>

#include "jwt_verify.h"

static const char *const verdicts[JWT_VERDICT_COUNT] = {
	[JWT_OK] = "token valid",
	[JWT_ERR_SIZE] = "token empty or too long",
	[JWT_ERR_FORMAT] = "token malformed (not a compact JWS of JSON parts)",
	[JWT_ERR_ALG_NONE] = "unsigned token (alg none) refused",
	[JWT_ERR_ALG_HMAC] = "HMAC-signed token (alg HS*) refused",
	[JWT_ERR_ALG] = "signature algorithm not allowed (RS256, ES256 are)",
	[JWT_ERR_CRIT] = "token header has critical extensions (crit)",
	[JWT_ERR_NO_KID] = "token header without a key id (kid)",
	[JWT_ERR_UNKNOWN_KID] = "token signed with an unknown key id (kid)",
	[JWT_ERR_KEY_ALG] = "token algorithm does not match its key's type",
	[JWT_ERR_SIGNATURE] = "token signature verification failed",
	[JWT_ERR_ISS] = "token issuer (iss) missing or not trusted",
	[JWT_ERR_AUD] = "token audience (aud) missing or not this client",
	[JWT_ERR_SUB] = "token subject (sub) missing",
	[JWT_ERR_EXP] = "token expired (exp), or exp missing",
	[JWT_ERR_NBF] = "token not yet valid (nbf)",
	[JWT_ERR_IAT] = "token issued in the future (iat), or iat missing",
	[JWT_ERR_NONCE] = "token nonce does not match the login request",
	[JWT_ERR_NOMEM] = "out of memory validating token",
	[JWT_ERR_INVAL] = "token validation called with bad expectations",
};

const char *jwt_verdict_str(enum jwt_verdict v)
{
	if ((unsigned int)v >= JWT_VERDICT_COUNT)
		return "unknown token verdict";
	return verdicts[v];
}

struct jws {
	const char *part[3];
	size_t len[3];
	json_object *header, *payload;
	unsigned char *sig;
	size_t sig_len;
};

static void jws_free(struct jws *j)
{
	json_object_put(j->header);
	json_object_put(j->payload);
	free(j->sig);
}

/* A base64url part as a JSON object, or NULL. */
static json_object *part_json(const char *s, size_t len)
{
	unsigned char *raw;
	json_object *o;
	size_t n;

	raw = jwks_b64url_decode(s, len, &n);
	if (!raw)
		return NULL;	/* bad base64url (or out of memory) */
	o = jwks_json_object((const char *)raw, n);
	free(raw);
	return o;
}

/* Splits token into its three parts and parses header and payload. */
static enum jwt_verdict jws_split(const char *token, size_t len,
				  size_t max_len, struct jws *j)
{
	const char *p = token, *end = token + len, *dot;
	int i;

	memset(j, 0, sizeof(*j));
	if (!max_len)
		max_len = JWT_MAX_LEN_DEFAULT;
	if (!len || len > max_len || max_len > JWT_MAX_LEN)
		return JWT_ERR_SIZE;
	for (i = 0; i < 3; i++) {
		dot = memchr(p, '.', (size_t)(end - p));
		if (i < 2 && !dot)
			return JWT_ERR_FORMAT;
		if (i == 2 && dot)
			return JWT_ERR_FORMAT;
		j->part[i] = p;
		j->len[i] = (size_t)((i < 2 ? dot : end) - p);
		p = i < 2 ? dot + 1 : end;
	}
	j->header = part_json(j->part[0], j->len[0]);
	j->payload = part_json(j->part[1], j->len[1]);
	j->sig = jwks_b64url_decode(j->part[2], j->len[2], &j->sig_len);
	if (!j->header || !j->payload || !j->sig) {
		jws_free(j);
		memset(j, 0, sizeof(*j));
		return JWT_ERR_FORMAT;
	}
	return JWT_OK;
}

/* The header's alg, refused before any key is looked at. */
static enum jwt_verdict check_alg(json_object *header, enum jwks_alg *alg)
{
	const char *a = jwks_json_str(header, "alg");

	if (!a)
		return JWT_ERR_ALG;
	if (!strcmp(a, "RS256")) {
		*alg = JWKS_ALG_RS256;
	} else if (!strcmp(a, "ES256")) {
		*alg = JWKS_ALG_ES256;
	} else if (!strcasecmp(a, "none")) {
		return JWT_ERR_ALG_NONE;
	} else if (!strncmp(a, "HS", 2)) {
		return JWT_ERR_ALG_HMAC;
	} else {
		return JWT_ERR_ALG;
	}
	if (json_object_object_get_ex(header, "crit", NULL))
		return JWT_ERR_CRIT;
	return JWT_OK;
}

/* ES256's r||s (RFC 7518 §3.4) as the DER ECDSA-Sig-Value OpenSSL wants. */
static unsigned char *es256_der(const unsigned char *sig, size_t len,
				size_t *der_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int n;

	if (!es || len != 64)
		goto out;
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (!r || !s || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;	/* es owns them */
	n = i2d_ECDSA_SIG(es, &der);
	if (n <= 0) {
		der = NULL;
		goto out;
	}
	*der_len = (size_t)n;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return der;
}

static enum jwt_verdict check_signature(const struct jws *j, EVP_PKEY *pkey,
					enum jwks_alg alg)
{
	enum jwt_verdict v = JWT_ERR_SIGNATURE;
	const unsigned char *sig = j->sig;
	size_t sig_len = j->sig_len;
	unsigned char *der = NULL;
	EVP_MD_CTX *md = NULL;

	/* the key's type, independent of what the set says */
	if (!EVP_PKEY_is_a(pkey, alg == JWKS_ALG_RS256 ? "RSA" : "EC"))
		return JWT_ERR_KEY_ALG;
	if (alg == JWKS_ALG_ES256) {
		der = es256_der(j->sig, j->sig_len, &sig_len);
		if (!der)
			goto out;
		sig = der;
	} else if (sig_len != (size_t)EVP_PKEY_get_size(pkey)) {
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md) {
		v = JWT_ERR_NOMEM;
		goto out;
	}
	/* RSA keys default to PKCS #1 v1.5 padding: RS256 (RFC 7518 §3.3) */
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1)
		goto out;
	/* the signing input: header "." payload, as sent */
	if (EVP_DigestVerify(md, sig, sig_len,
			     (const unsigned char *)j->part[0],
			     j->len[0] + 1 + j->len[1]) == 1)
		v = JWT_OK;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return v;
}

/*
 * A NumericDate claim (RFC 7519 §2: a JSON number, maybe with a
 * fraction) in whole seconds, rounded the strict way (up when later is
 * stricter). 0 if it is one, -1 if absent, -2 if malformed.
 */
static int numeric_date(json_object *payload, const char *key, bool up,
			int64_t *t)
{
	json_object *v;
	double d;

	if (!json_object_object_get_ex(payload, key, &v) || !v)
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		*t = json_object_get_int64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_double))
		return -2;
	d = json_object_get_double(v);
	if (!isfinite(d) || d > 4e18 || d < -4e18)
		return -2;
	*t = (int64_t)(up ? ceil(d) : floor(d));
	return 0;
}

static enum jwt_verdict check_aud(json_object *payload, const char *audience)
{
	json_object *aud, *e;
	size_t i, n;
	bool found = false;
	const char *s;

	if (!json_object_object_get_ex(payload, "aud", &aud))
		return JWT_ERR_AUD;
	if (json_object_is_type(aud, json_type_string)) {
		s = jwks_json_str(payload, "aud");
		return s && !strcmp(s, audience) ? JWT_OK : JWT_ERR_AUD;
	}
	if (!json_object_is_type(aud, json_type_array))
		return JWT_ERR_AUD;
	n = json_object_array_length(aud);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(aud, i);
		/* every member a string, as PyJWT requires */
		if (!json_object_is_type(e, json_type_string))
			return JWT_ERR_AUD;
		s = json_object_get_string(e);
		if (strlen(s) == (size_t)json_object_get_string_len(e) &&
		    !strcmp(s, audience))
			found = true;
	}
	return found ? JWT_OK : JWT_ERR_AUD;
}

static enum jwt_verdict check_claims(json_object *payload,
				     const struct jwt_expect *ex)
{
	int64_t now = (int64_t)ex->now, skew = ex->skew, t;
	const char *iss, *sub, *nonce;
	enum jwt_verdict v;
	size_t i;
	int ret;

	iss = jwks_json_str(payload, "iss");
	for (i = 0; iss && i < ex->n_issuers; i++)
		if (ex->issuers[i] && !strcmp(iss, ex->issuers[i]))
			break;
	if (!iss || i == ex->n_issuers)
		return JWT_ERR_ISS;
	v = check_aud(payload, ex->audience);
	if (v)
		return v;
	sub = jwks_json_str(payload, "sub");
	if (!sub || !*sub)
		return JWT_ERR_SUB;
	if (numeric_date(payload, "exp", false, &t) || t <= now - skew)
		return JWT_ERR_EXP;
	ret = numeric_date(payload, "nbf", true, &t);
	if (ret == -2 || (!ret && t > now + skew))
		return JWT_ERR_NBF;
	if (numeric_date(payload, "iat", true, &t) || t > now + skew)
		return JWT_ERR_IAT;
	if (ex->nonce) {
		nonce = jwks_json_str(payload, "nonce");
		if (!nonce || strlen(nonce) != strlen(ex->nonce) ||
		    CRYPTO_memcmp(nonce, ex->nonce, strlen(nonce)))
			return JWT_ERR_NONCE;
	}
	return JWT_OK;
}

enum jwt_verdict jwt_verify_token(const char *token, size_t len,
				  const struct jwks *keys,
				  const struct jwt_expect *ex,
				  json_object **claims)
{
	enum jwks_alg alg, key_alg;
	enum jwt_verdict v;
	EVP_PKEY *pkey;
	struct jws j;
	const char *kid;

	if (claims)
		*claims = NULL;
	if (!token || !ex || !ex->issuers || !ex->n_issuers ||
	    !ex->audience || ex->skew > JWT_MAX_SKEW ||
	    ex->max_len > JWT_MAX_LEN)
		return JWT_ERR_INVAL;
	v = jws_split(token, len, ex->max_len, &j);
	if (v)
		return v;
	v = check_alg(j.header, &alg);
	if (v)
		goto out;
	kid = jwks_json_str(j.header, "kid");
	if (!kid) {
		v = JWT_ERR_NO_KID;
		goto out;
	}
	pkey = jwks_find(keys, kid, &key_alg);
	if (!pkey) {
		v = JWT_ERR_UNKNOWN_KID;
		goto out;
	}
	if (key_alg != alg) {
		v = JWT_ERR_KEY_ALG;
		goto out;
	}
	v = check_signature(&j, pkey, alg);
	if (v)
		goto out;
	v = check_claims(j.payload, ex);
	if (!v && claims)
		*claims = json_object_get(j.payload);
out:
	jws_free(&j);
	return v;
}

enum jwt_verdict jwt_peek(const char *token, size_t len, size_t max_len,
			  char **iss, char **kid)
{
	enum jwt_verdict v = JWT_OK;
	const char *s;
	struct jws j;

	*iss = NULL;
	*kid = NULL;
	if (!token || max_len > JWT_MAX_LEN)
		return JWT_ERR_INVAL;
	v = jws_split(token, len, max_len, &j);
	if (v)
		return v;
	s = jwks_json_str(j.payload, "iss");
	if (s && !(*iss = strdup(s)))
		v = JWT_ERR_NOMEM;
	s = jwks_json_str(j.header, "kid");
	if (!v && s && !(*kid = strdup(s)))
		v = JWT_ERR_NOMEM;
	if (v) {
		free(*iss);
		*iss = NULL;
	}
	jws_free(&j);
	return v;
}

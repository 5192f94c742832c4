// SPDX-License-Identifier: GPL-2.0
/*
 * jwks.c - JWKS and OpenID discovery documents parsed with json-c into
 * OpenSSL 3 public keys (EVP_PKEY_fromdata) and strings. See jwks.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "jwks.h"
#include "log.h"

struct jwks_key {
	char *kid;
	EVP_PKEY *pkey;
	enum jwks_alg alg;
};

struct jwks {
	struct jwks_key keys[JWKS_MAX_KEYS];
	size_t n;
	size_t skipped;
};

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

unsigned char *jwks_b64url_decode(const char *s, size_t len, size_t *outlen)
{
	size_t i, pad = (4 - len % 4) % 4;
	unsigned char *out = NULL;
	char *std, *p;
	int n, last = 0;

	if (len % 4 == 1 || len > INT_MAX / 2)
		return NULL;
	for (i = 0; i < len; i++) {
		p = s[i] ? strchr(b64url, s[i]) : NULL;
		if (!p)
			return NULL;
		last = (int)(p - b64url);
	}
	/* the bits after the last byte must be zero (one encoding only) */
	if ((len % 4 == 2 && (last & 0x0f)) || (len % 4 == 3 && (last & 0x03)))
		return NULL;
	std = malloc(len + pad + 1);
	if (!std)
		return NULL;
	for (i = 0; i < len; i++)
		std[i] = (char)(s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i]);
	memset(std + len, '=', pad);
	std[len + pad] = '\0';
	out = malloc((len + pad) / 4 * 3 + 1);
	if (!out)
		goto out;
	n = EVP_DecodeBlock(out, (const unsigned char *)std, (int)(len + pad));
	if (n < 0 || (size_t)n < pad) {
		free(out);
		out = NULL;
		goto out;
	}
	*outlen = (size_t)n - pad;
	out[*outlen] = '\0';
out:
	free(std);
	return out;
}

json_object *jwks_json_object(const char *buf, size_t len)
{
	struct json_tokener *tok;
	json_object *o = NULL;
	size_t used;

	if (len > INT_MAX || memchr(buf, '\0', len))
		return NULL;
	tok = json_tokener_new_ex(16);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success)
		goto bad;
	used = json_tokener_get_parse_end(tok);
	while (used < len && strchr(" \t\r\n", buf[used]))
		used++;
	if (used != len || !json_object_is_type(o, json_type_object))
		goto bad;
	json_tokener_free(tok);
	return o;
bad:
	json_object_put(o);
	json_tokener_free(tok);
	return NULL;
}

const char *jwks_json_str(json_object *o, const char *key)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/* The base64url member key of o as bytes; NULL if absent or invalid. */
static unsigned char *get_b64(json_object *o, const char *key, size_t *len)
{
	const char *s = jwks_json_str(o, key);

	return s ? jwks_b64url_decode(s, strlen(s), len) : NULL;
}

/* A public key of type name ("RSA", "EC") from params, checked. */
static EVP_PKEY *from_params(const char *name, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY *pkey = NULL;

	if (!params)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!check || EVP_PKEY_public_check(check) <= 0) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *rsa_key(json_object *jwk, const char **why)
{
	unsigned char *n_raw = NULL, *e_raw = NULL;
	size_t n_len = 0, e_len = 0;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	int bits;

	*why = "RSA key without valid n and e";
	n_raw = get_b64(jwk, "n", &n_len);
	e_raw = get_b64(jwk, "e", &e_len);
	if (!n_raw || !e_raw || !n_len || !e_len ||
	    n_len > JWKS_RSA_MAX_BITS / 8 + 1 || e_len > 8)
		goto out;
	n = BN_bin2bn(n_raw, (int)n_len, NULL);
	e = BN_bin2bn(e_raw, (int)e_len, NULL);
	if (!n || !e)
		goto out;
	bits = BN_num_bits(n);
	if (bits < JWKS_RSA_MIN_BITS || bits > JWKS_RSA_MAX_BITS) {
		*why = "RSA key size out of range (2048..8192 bits)";
		goto out;
	}
	if (!BN_is_odd(e) || BN_num_bits(e) > 32 || BN_is_one(e)) {
		*why = "RSA exponent out of range";
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	pkey = from_params("RSA", bld);
	if (!pkey)
		*why = "RSA key refused by OpenSSL";
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(n_raw);
	free(e_raw);
	return pkey;
}

static EVP_PKEY *ec_key(json_object *jwk, const char **why)
{
	unsigned char *x = NULL, *y = NULL, point[65];
	const char *crv = jwks_json_str(jwk, "crv");
	size_t x_len = 0, y_len = 0;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	if (!crv || strcmp(crv, "P-256") != 0) {
		*why = "EC key not on curve P-256";
		return NULL;
	}
	*why = "EC key without valid x and y";
	x = get_b64(jwk, "x", &x_len);
	y = get_b64(jwk, "y", &y_len);
	if (!x || !y || x_len != 32 || y_len != 32)
		goto out;
	point[0] = 0x04;	/* uncompressed (SEC 1 §2.3.3) */
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld,
			OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      point, sizeof(point)))
		goto out;
	pkey = from_params("EC", bld);
	if (!pkey)
		*why = "EC key not a point on P-256";
out:
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return pkey;
}

/* Adds jwk to ks if usable; else *why says why it was skipped. */
static int add_key(struct jwks *ks, json_object *jwk, const char **why)
{
	const char *kid, *kty, *use, *alg;
	struct jwks_key *k;
	EVP_PKEY *pkey;
	enum jwks_alg a;

	if (!json_object_is_type(jwk, json_type_object)) {
		*why = "entry is not an object";
		return -EINVAL;
	}
	kid = jwks_json_str(jwk, "kid");
	kty = jwks_json_str(jwk, "kty");
	use = jwks_json_str(jwk, "use");
	alg = jwks_json_str(jwk, "alg");
	if (!kid || !*kid || strlen(kid) > JWKS_MAX_KID) {
		*why = "no kid, or kid too long";
		return -EINVAL;
	}
	if (json_object_object_get_ex(jwk, "use", NULL) &&
	    (!use || strcmp(use, "sig") != 0)) {
		*why = "use is not \"sig\"";
		return -EINVAL;
	}
	if (jwks_has_kid(ks, kid)) {
		*why = "kid seen before in this set";
		return -EEXIST;
	}
	if (kty && !strcmp(kty, "RSA")) {
		a = JWKS_ALG_RS256;
		if (json_object_object_get_ex(jwk, "alg", NULL) &&
		    (!alg || strcmp(alg, "RS256") != 0)) {
			*why = "RSA key for an algorithm other than RS256";
			return -EINVAL;
		}
		pkey = rsa_key(jwk, why);
	} else if (kty && !strcmp(kty, "EC")) {
		a = JWKS_ALG_ES256;
		if (json_object_object_get_ex(jwk, "alg", NULL) &&
		    (!alg || strcmp(alg, "ES256") != 0)) {
			*why = "EC key for an algorithm other than ES256";
			return -EINVAL;
		}
		pkey = ec_key(jwk, why);
	} else {
		*why = "kty is neither RSA nor EC";
		return -EINVAL;
	}
	if (!pkey)
		return -EINVAL;
	k = &ks->keys[ks->n];
	k->kid = strdup(kid);
	if (!k->kid) {
		EVP_PKEY_free(pkey);
		*why = "out of memory";
		return -ENOMEM;
	}
	k->pkey = pkey;
	k->alg = a;
	ks->n++;
	return 0;
}

struct jwks *jwks_parse(const char *buf, size_t len, const char **why)
{
	json_object *doc, *keys;
	struct jwks *ks = NULL;
	const char *skip;
	size_t i, n;

	if (len > JWKS_MAX_DOC) {
		*why = "JWKS document too big";
		return NULL;
	}
	doc = jwks_json_object(buf, len);
	if (!doc) {
		*why = "JWKS document is not a JSON object";
		return NULL;
	}
	if (!json_object_object_get_ex(doc, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		*why = "JWKS document without a \"keys\" array";
		goto out;
	}
	n = json_object_array_length(keys);
	if (n > JWKS_MAX_KEYS) {
		*why = "JWKS document with too many keys";
		goto out;
	}
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		*why = "out of memory";
		goto out;
	}
	for (i = 0; i < n; i++) {
		switch (add_key(ks, json_object_array_get_idx(keys, i),
				&skip)) {
		case 0:
			break;
		case -ENOMEM:
			*why = skip;
			goto fail;
		default:
			ks->skipped++;
			log_info("jwks: key %zu skipped: %s", i, skip);
		}
	}
	if (!ks->n) {
		*why = "JWKS document without a usable signing key";
		goto fail;
	}
	goto out;
fail:
	jwks_free(ks);
	ks = NULL;
out:
	json_object_put(doc);
	return ks;
}

void jwks_free(struct jwks *ks)
{
	size_t i;

	if (!ks)
		return;
	for (i = 0; i < ks->n; i++) {
		free(ks->keys[i].kid);
		EVP_PKEY_free(ks->keys[i].pkey);
	}
	free(ks);
}

size_t jwks_count(const struct jwks *ks)
{
	return ks ? ks->n : 0;
}

size_t jwks_skipped(const struct jwks *ks)
{
	return ks ? ks->skipped : 0;
}

static const struct jwks_key *lookup(const struct jwks *ks, const char *kid)
{
	size_t i;

	if (!ks || !kid)
		return NULL;
	for (i = 0; i < ks->n; i++)
		if (!strcmp(ks->keys[i].kid, kid))
			return &ks->keys[i];
	return NULL;
}

bool jwks_has_kid(const struct jwks *ks, const char *kid)
{
	return lookup(ks, kid) != NULL;
}

EVP_PKEY *jwks_find(const struct jwks *ks, const char *kid,
		    enum jwks_alg *alg)
{
	const struct jwks_key *k = lookup(ks, kid);

	if (!k)
		return NULL;
	if (alg)
		*alg = k->alg;
	return k->pkey;
}

/*
 * A URL member of doc into *out. Absent or bad: -EINVAL with *why set if
 * required, else 0 with *out NULL.
 */
static int get_url(json_object *doc, const char *key, bool required,
		   char **out, const char **why)
{
	const char *s = jwks_json_str(doc, key);
	size_t i, len;

	*out = NULL;
	if (!s)
		goto bad;
	len = strlen(s);
	if (!len || len > OIDC_MAX_URL ||
	    (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0))
		goto bad;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			goto bad;
	*out = strdup(s);
	if (!*out) {
		*why = "out of memory";
		return -ENOMEM;
	}
	return 0;
bad:
	if (!required)
		return 0;	/* optional: left NULL */
	*why = !strcmp(key, "issuer") ? "discovery: bad or missing issuer" :
	       !strcmp(key, "jwks_uri") ? "discovery: bad or missing jwks_uri" :
	       !strcmp(key, "token_endpoint") ?
	       "discovery: bad or missing token_endpoint" :
	       "discovery: bad or missing authorization_endpoint";
	return -EINVAL;
}

int oidc_discovery_parse(const char *buf, size_t len,
			 const char *expected_issuer, bool need_login,
			 struct oidc_discovery *d, const char **why)
{
	json_object *doc;
	int ret;

	memset(d, 0, sizeof(*d));
	if (len > JWKS_MAX_DOC) {
		*why = "discovery document too big";
		return -EMSGSIZE;
	}
	doc = jwks_json_object(buf, len);
	if (!doc) {
		*why = "discovery document is not a JSON object";
		return -EINVAL;
	}
	ret = get_url(doc, "issuer", true, &d->issuer, why);
	if (!ret)
		ret = get_url(doc, "jwks_uri", true, &d->jwks_uri, why);
	if (!ret)
		ret = get_url(doc, "authorization_endpoint", need_login,
			      &d->authorization_endpoint, why);
	if (!ret)
		ret = get_url(doc, "token_endpoint", need_login,
			      &d->token_endpoint, why);
	if (!ret && (!expected_issuer ||
		     strcmp(d->issuer, expected_issuer) != 0)) {
		*why = "discovery: issuer differs from the configured issuer";
		ret = -EPERM;
	}
	json_object_put(doc);
	if (ret)
		oidc_discovery_free(d);
	return ret;
}

void oidc_discovery_free(struct oidc_discovery *d)
{
	free(d->issuer);
	free(d->jwks_uri);
	free(d->authorization_endpoint);
	free(d->token_endpoint);
	memset(d, 0, sizeof(*d));
}

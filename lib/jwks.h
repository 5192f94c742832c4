/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jwks.h - an OpenID provider's signing keys and discovery document,
 * parsed and held (issue 15). Pure: no I/O, no clock, no event loop.
 *
 * The future fetcher (nmb-server, login in nmbctl) GETs
 * <issuer>/.well-known/openid-configuration, hands the body to
 * oidc_discovery_parse() with the issuer it trusts, GETs the document's
 * jwks_uri, hands that body to jwks_parse() and keeps the key set until
 * its cache time ends. When a token names a kid that jwks_has_kid()
 * does not know, the fetcher refetches the JWKS (at most once per
 * JWKS_REFETCH_MIN_S per issuer, so that a stream of made-up kids does not
 * turn into a stream of requests to the provider) and swaps the set.
 *
 * Key sets are immutable after parsing: a set may be shared by
 * any number of verifications; replacing it is the caller's business
 * (free the old one when no verification uses it).
 *
 * Contract of the parsers: input is bytes with a length (no NUL needed,
 * a NUL inside refuses it); every refusal returns NULL or a negative
 * errno and sets *why to a short static text for an operator log
 * line, never a copy of the input.
 */
#ifndef NMB_JWKS_H
#define NMB_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

/* Largest discovery or JWKS document accepted, in bytes. */
#define JWKS_MAX_DOC		((size_t)128 * 1024)
/* Most keys in one JWKS ("keys" array entries, usable or not). */
#define JWKS_MAX_KEYS		32
/* Longest kid, in bytes. */
#define JWKS_MAX_KID		256
/* RSA modulus size accepted, in bits. */
#define JWKS_RSA_MIN_BITS	2048
#define JWKS_RSA_MAX_BITS	8192
/* Longest URL or issuer taken from a discovery document, in bytes. */
#define OIDC_MAX_URL		2048
/* Advice to the fetcher: least seconds between refetches for unknown kid. */
#define JWKS_REFETCH_MIN_S	60

/* Signature algorithms nmb accepts. There is no "none" and no HMAC. */
enum jwks_alg {
	JWKS_ALG_RS256 = 1,
	JWKS_ALG_ES256,
};

struct jwks;

/*
 * Parses a JWKS document ({"keys": [...]}) of len bytes.
 *
 * A key is used when it has a string "kid" (1..JWKS_MAX_KID bytes), "use"
 * absent or "sig", and is either kty "RSA" (n, e; JWKS_RSA_MIN_BITS..
 * JWKS_RSA_MAX_BITS bits, e odd, 3..2^32-1; "alg" absent or RS256) or
 * kty "EC" with crv "P-256" (x, y of 32 bytes each, a point on the
 * curve; "alg" absent or ES256). Other keys are skipped and counted
 * (jwks_skipped()), as not-my-board skips what it cannot parse; a kid
 * seen twice keeps its first key. Private members ("d", ...) are never
 * read.
 *
 * Refused (NULL, *why set): more than JWKS_MAX_DOC bytes, invalid JSON,
 * no "keys" array, more than JWKS_MAX_KEYS entries, no usable key,
 * out of memory. Free the result with jwks_free().
 */
struct jwks *jwks_parse(const char *buf, size_t len, const char **why);
void jwks_free(struct jwks *ks);

/* Usable keys held, and "keys" entries skipped. */
size_t jwks_count(const struct jwks *ks);
size_t jwks_skipped(const struct jwks *ks);

/*
 * Whether kid names a key of the set: the future fetcher's "refetch?"
 * question. ks NULL or kid NULL: false.
 */
bool jwks_has_kid(const struct jwks *ks, const char *kid);

/*
 * The key of kid and the one algorithm it may verify (RS256 for an RSA
 * key, ES256 for a P-256 key), or NULL if kid is unknown. The key
 * belongs to the set: valid until jwks_free(); never modify it.
 */
EVP_PKEY *jwks_find(const struct jwks *ks, const char *kid,
		    enum jwks_alg *alg);

/* An OpenID provider's discovery document: the members nmb uses. */
struct oidc_discovery {
	char *issuer;
	char *jwks_uri;
	char *authorization_endpoint;	/* NULL if absent */
	char *token_endpoint;		/* NULL if absent */
};

/*
 * Parses a discovery document of len bytes into *d (zeroed first).
 * "issuer" and "jwks_uri" are required; "issuer" must equal
 * expected_issuer byte for byte (OpenID Connect Discovery 1.0 §4.3;
 * not-my-board does not compare it, so a provider could name another
 * issuer's keys). When need_login is true, "authorization_endpoint" and
 * "token_endpoint" are required too (nmbctl login); otherwise each is
 * taken if valid and left NULL if absent or not valid. Each URL is a string
 * of 1..OIDC_MAX_URL bytes starting with "https://" or "http://" (the
 * latter for test providers on loopback; whether to allow it is the
 * fetcher's policy), without control characters or spaces.
 *
 * Returns 0, or -EINVAL (bad document), -EPERM (issuer mismatch),
 * -EMSGSIZE (too big), -ENOMEM, with *why set and *d left empty.
 * Free with oidc_discovery_free() (also fine on an empty one).
 */
int oidc_discovery_parse(const char *buf, size_t len,
			 const char *expected_issuer, bool need_login,
			 struct oidc_discovery *d, const char **why);
void oidc_discovery_free(struct oidc_discovery *d);

/*
 * Shared with jwt_verify.c. Strict base64url without padding (RFC 7515
 * §2): only [A-Za-z0-9_-], length % 4 != 1, unused trailing bits zero.
 * Returns a malloc'ed buffer (with one NUL byte after *outlen bytes, for
 * callers that want a string) or NULL.
 */
unsigned char *jwks_b64url_decode(const char *s, size_t len, size_t *outlen);
/*
 * Shared with jwt_verify.c. The string member key of o, if it is a
 * string without a NUL inside (a \u0000 escape); NULL otherwise.
 */
const char *jwks_json_str(json_object *o, const char *key);

/*
 * Strict JSON (json-c, JSON_TOKENER_STRICT, depth 16) of exactly len
 * bytes, whitespace aside, that must be an object. NULL if not.
 */
json_object *jwks_json_object(const char *buf, size_t len);

#endif /* NMB_JWKS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jwt_verify.h - validation of an OpenID Connect ID token (a compact
 * JWS, RFC 7515/7519) against a key set (jwks.h) and expectations
 * (issue 15). Signatures are checked by OpenSSL (EVP_DigestVerify);
 * JSON is parsed by json-c. Pure: the caller gives the time.
 *
 * Order of the checks, each with its own refusal (enum jwt_verdict):
 *  1. size (1..max_len bytes), three base64url parts (the signature
 *     may be empty), header and payload JSON objects;
 *  2. header "alg" in the allow-list (RS256, ES256) BEFORE any key is
 *     looked at: "none" and HS256/384/512 are refused here, so a token
 *     MACed with the provider's public key as secret never reaches a
 *     verification; "crit" present is refused (no extension is known);
 *  3. header "kid" a string naming a key of the set; the key's
 *     algorithm must be the header's (no RSA key for ES256 or back);
 *  4. the signature (OpenSSL; ES256 as 64 bytes r||s, RFC 7518 §3.4);
 *  5. "iss" one of the expected issuers (exact);
 *     "sub" a non-empty string; "aud" a string equal to, or an array of
 *     strings containing, the audience; "exp", "iat" numbers and "nbf"
 *     a number if present: refused when exp <= now - skew, nbf > now +
 *     skew, or iat > now + skew; "nonce" equal to the expected nonce
 *     when one is given.
 *
 * Nothing of the token is ever logged or copied into a message: the
 * texts of jwt_verdict_str() are static. The header "jku", "x5u", "jwk"
 * and "x5c" members are ignored: keys come from the set only.
 *
 * Thread-safe; the key set is only read.
 */
#ifndef NMB_JWT_VERIFY_H
#define NMB_JWT_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "jwks.h"

/* Default and largest token size, in bytes. */
#define JWT_MAX_LEN_DEFAULT	((size_t)16 * 1024)
#define JWT_MAX_LEN		((size_t)64 * 1024)
/* Largest clock skew accepted in struct jwt_expect, in seconds. */
#define JWT_MAX_SKEW		300

enum jwt_verdict {
	JWT_OK = 0,
	JWT_ERR_SIZE,		/* empty or longer than max_len */
	JWT_ERR_FORMAT,		/* not 3 base64url parts, or bad JSON */
	JWT_ERR_ALG_NONE,	/* alg "none" (unsigned) */
	JWT_ERR_ALG_HMAC,	/* alg HS256/HS384/HS512 */
	JWT_ERR_ALG,		/* any other alg not allowed, or no alg */
	JWT_ERR_CRIT,		/* header "crit": unknown extensions */
	JWT_ERR_NO_KID,		/* header without a string "kid" */
	JWT_ERR_UNKNOWN_KID,	/* kid not in the key set: refetch it */
	JWT_ERR_KEY_ALG,	/* the kid's key is for another algorithm */
	JWT_ERR_SIGNATURE,	/* signature does not verify */
	JWT_ERR_ISS,		/* iss missing or not trusted */
	JWT_ERR_AUD,		/* aud missing, malformed or not ours */
	JWT_ERR_SUB,		/* sub missing or not a non-empty string */
	JWT_ERR_EXP,		/* exp missing, malformed or passed */
	JWT_ERR_NBF,		/* nbf malformed or in the future */
	JWT_ERR_IAT,		/* iat missing, malformed or future */
	JWT_ERR_NONCE,		/* nonce expected, missing or different */
	JWT_ERR_NOMEM,		/* (while decoding: reads as FORMAT) */
	JWT_ERR_INVAL,		/* the caller's arguments */
	JWT_VERDICT_COUNT
};

/* A short text for an operator's log line, e.g. "token expired". */
const char *jwt_verdict_str(enum jwt_verdict v);

struct jwt_expect {
	/* Trusted issuers, compared byte for byte with "iss". Required. */
	const char *const *issuers;
	size_t n_issuers;
	/* The client id that "aud" must hold. Required. */
	const char *audience;
	/* Expected "nonce" (login flow), or NULL: not checked. */
	const char *nonce;
	/* Current time, seconds since the epoch. */
	time_t now;
	/* Leeway for exp, nbf and iat, 0..JWT_MAX_SKEW seconds. */
	unsigned int skew;
	/* Token size limit, 0 for JWT_MAX_LEN_DEFAULT; at most JWT_MAX_LEN. */
	size_t max_len;
};

/*
 * Validates the len bytes of token (no NUL needed) with keys and ex.
 * On JWT_OK, *claims (if claims is not NULL) is the payload, a new
 * reference for the caller to json_object_put(); on any refusal
 * *claims is NULL. Out-of-range expectations give JWT_ERR_INVAL.
 */
enum jwt_verdict jwt_verify_token(const char *token, size_t len,
				  const struct jwks *keys,
				  const struct jwt_expect *ex,
				  json_object **claims);

/*
 * UNVERIFIED look at a token, for the caller to choose a key set before
 * jwt_verify_token(): the payload's "iss" and the header's "kid",
 * malloc'ed into *iss and *kid (each NULL if absent or not a string).
 * Nothing it returns may be trusted or acted on beyond picking which
 * trusted issuer's keys to use (iss must be in the trusted list) and
 * whether to refetch them (jwks_has_kid()). Returns JWT_OK,
 * JWT_ERR_SIZE, JWT_ERR_FORMAT or JWT_ERR_NOMEM.
 */
enum jwt_verdict jwt_peek(const char *token, size_t len, size_t max_len,
			  char **iss, char **kid);

#endif /* NMB_JWT_VERIFY_H */

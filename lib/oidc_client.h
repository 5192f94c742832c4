/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oidc_client.h - what a client of an OpenID Connect hub (nmb-agent,
 * nmb-exporter) parses and decides (issue 15; auth note §3, §8, §9):
 * the hub's /api/v1/auth-info, an identity provider's token endpoint
 * answer, the --token-cmd substitution, whether a stored ID token needs
 * a refresh, and the PKCE/state/nonce strings of a login. Pure: no I/O,
 * no loop; JSON by json-c (jwks_json_object(): strict, depth 16).
 *
 * Nothing here logs or copies a token into a message: the why texts
 * are static or name members only.
 */
#ifndef NMB_OIDC_CLIENT_H
#define NMB_OIDC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Largest auth-info or token endpoint answer accepted, in bytes. */
#define OIDC_MAX_ANSWER		((size_t)256 * 1024)
/* Most show_claims names kept from auth-info. */
#define OIDC_MAX_SHOW		64

struct oidc_auth_info {
	char *issuer;
	char *client_id;
	bool has_show;		/* show_claims present (possibly []) */
	char **show;		/* the names, n_show of them */
	size_t n_show;
};

/*
 * GET <hub>/api/v1/auth-info (§3). Returns 0, -ENOENT when the hub has
 * no auth ({} or no issuer: "the hub has no authentication set up"),
 * -EINVAL (malformed), -ENOMEM; *why set on every error. Free with
 * oidc_auth_info_free() (also fine on a zeroed one).
 */
int oidc_auth_info_parse(const char *buf, size_t len,
			 struct oidc_auth_info *ai, const char **why);
void oidc_auth_info_free(struct oidc_auth_info *ai);

struct oidc_tokens {
	char *id_token;
	char *refresh_token;
};

/*
 * A token endpoint's JSON answer (§8 step 9, §9). Both id_token and
 * refresh_token are required; with check_type, token_type must be
 * "bearer" in any case. An {"error": ...} answer gives -EACCES and
 * why = "the identity provider refused: <error>" (error is copied
 * only when it is a short [A-Za-z0-9_.-] word, else "invalid"). Other
 * refusals: -EINVAL. why is written into whybuf (whylen bytes).
 */
int oidc_token_response_parse(const char *buf, size_t len, bool check_type,
			      struct oidc_tokens *t, char *whybuf,
			      size_t whylen);
void oidc_tokens_free(struct oidc_tokens *t);

/*
 * --token-cmd (§9): $issuer/${issuer} and $client_id/${client_id}
 * replaced, $$ gives $, any other $ kept as it is (Python's
 * string.Template.safe_substitute: $issuerX is the unknown name
 * "issuerX" and stays). Returns 0 and a malloc'ed *out, or -ENOMEM.
 */
int oidc_cmd_substitute(const char *cmd, const char *issuer,
			const char *client_id, char **out);

/*
 * §9, without checking the signature: whether the stored id token can
 * be sent as it is. False when it does not decode, lacks iss, sub, aud,
 * exp or iat, or exp <= now, iat > now, nbf > now (no leeway). Also
 * gives (malloc'ed, when the pointers are not NULL and the claims are
 * strings; aud: the string or the first of an array) iss and aud, which
 * a refresh needs even for an expired token.
 */
bool oidc_id_token_fresh(const char *token, time_t now, char **iss,
			 char **aud);

/* 32 random bytes, base64url without padding (43 chars + NUL). */
#define OIDC_RANDOM_LEN		44
int oidc_random_string(char out[OIDC_RANDOM_LEN]);
/* PKCE S256: base64url(SHA-256(verifier)) without padding. */
int oidc_pkce_challenge(const char *verifier, char out[OIDC_RANDOM_LEN]);

#endif /* NMB_OIDC_CLIENT_H */

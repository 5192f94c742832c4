// SPDX-License-Identifier: GPL-2.0
/*
 * oidc_client.c - the parsers and small decisions of an OpenID Connect
 * client of the hub (see oidc_client.h): json-c for JSON, OpenSSL for
 * random bytes, SHA-256 and base64.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "jwks.h"
#include "jwt_verify.h"
#include "oidc_client.h"

void oidc_auth_info_free(struct oidc_auth_info *ai)
{
	free(ai->issuer);
	free(ai->client_id);
	for (size_t i = 0; i < ai->n_show; i++)
		free(ai->show[i]);
	free(ai->show);
	memset(ai, 0, sizeof(*ai));
}

static int show_claims(json_object *arr, struct oidc_auth_info *ai,
		       const char **why)
{
	size_t n;

	if (!json_object_is_type(arr, json_type_array)) {
		*why = "show_claims is not an array";
		return -EINVAL;
	}
	n = json_object_array_length(arr);
	if (n > OIDC_MAX_SHOW) {
		*why = "show_claims has too many names";
		return -EINVAL;
	}
	ai->has_show = true;
	ai->show = calloc(n + 1, sizeof(*ai->show)); /* NOLINT(bugprone-sizeof-expression) */
	if (!ai->show)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(v, json_type_string) ||
		    !json_object_get_string_len(v)) {
			*why = "show_claims holds something else than names";
			return -EINVAL;
		}
		ai->show[i] = strdup(json_object_get_string(v));
		if (!ai->show[i])
			return -ENOMEM;
		ai->n_show++;
	}
	return 0;
}

int oidc_auth_info_parse(const char *buf, size_t len,
			 struct oidc_auth_info *ai, const char **why)
{
	json_object *o, *v;
	const char *iss, *cid;
	int err = 0;

	memset(ai, 0, sizeof(*ai));
	*why = "out of memory";
	if (len > OIDC_MAX_ANSWER) {
		*why = "auth-info is too big";
		return -EINVAL;
	}
	o = jwks_json_object(buf, len);
	if (!o) {
		*why = "auth-info is not a JSON object";
		return -EINVAL;
	}
	iss = jwks_json_str(o, "issuer");
	cid = jwks_json_str(o, "client_id");
	if (!json_object_object_length(o) ||
	    !json_object_object_get_ex(o, "issuer", NULL)) {
		*why = "the hub has no authentication set up (auth-info is {})";
		err = -ENOENT;
	} else if (!iss || !*iss || strlen(iss) > OIDC_MAX_URL ||
		   !cid || !*cid || strlen(cid) > OIDC_MAX_URL) {
		*why = "auth-info: issuer or client_id missing or not a string";
		err = -EINVAL;
	} else {
		ai->issuer = strdup(iss);
		ai->client_id = strdup(cid);
		if (!ai->issuer || !ai->client_id)
			err = -ENOMEM;
		else if (json_object_object_get_ex(o, "show_claims", &v) &&
			 !json_object_is_type(v, json_type_null))
			err = show_claims(v, ai, why);
	}
	json_object_put(o);
	if (err)
		oidc_auth_info_free(ai);
	return err;
}

void oidc_tokens_free(struct oidc_tokens *t)
{
	if (t->id_token)
		OPENSSL_cleanse(t->id_token, strlen(t->id_token));
	if (t->refresh_token)
		OPENSSL_cleanse(t->refresh_token, strlen(t->refresh_token));
	free(t->id_token);
	free(t->refresh_token);
	memset(t, 0, sizeof(*t));
}

static bool word(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static bool token_ok(const char *s)
{
	return s && *s && strlen(s) <= JWT_MAX_LEN;
}

int oidc_token_response_parse(const char *buf, size_t len, bool check_type,
			      struct oidc_tokens *t, char *whybuf,
			      size_t whylen)
{
	const char *id, *rt, *type, *e;
	json_object *o;
	int err = -EINVAL;

	memset(t, 0, sizeof(*t));
	if (len > OIDC_MAX_ANSWER) {
		snprintf(whybuf, whylen, "the token endpoint's answer is too big");
		return -EINVAL;
	}
	o = jwks_json_object(buf, len);
	if (!o) {
		snprintf(whybuf, whylen,
			 "the token endpoint's answer is not a JSON object");
		return -EINVAL;
	}
	e = jwks_json_str(o, "error");
	id = jwks_json_str(o, "id_token");
	rt = jwks_json_str(o, "refresh_token");
	type = jwks_json_str(o, "token_type");
	if (e || json_object_object_get_ex(o, "error", NULL)) {
		snprintf(whybuf, whylen, "the identity provider refused: %s",
			 e && word(e) ? e : "invalid");
		err = -EACCES;
	} else if (check_type && (!type || strcasecmp(type, "bearer") != 0)) {
		snprintf(whybuf, whylen,
			 "expected token type \"Bearer\", got %s",
			 type && word(type) ? type : "something else");
	} else if (!token_ok(id)) {
		snprintf(whybuf, whylen,
			 "the token endpoint's answer has no id_token");
	} else if (!token_ok(rt)) {
		snprintf(whybuf, whylen,
			 "the token endpoint's answer has no refresh_token (scope offline_access?)");
	} else {
		t->id_token = strdup(id);
		t->refresh_token = strdup(rt);
		err = t->id_token && t->refresh_token ? 0 : -ENOMEM;
		if (err) {
			snprintf(whybuf, whylen, "out of memory");
			oidc_tokens_free(t);
		}
	}
	json_object_put(o);
	return err;
}

static size_t name_len(const char *s)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)*s) || *s == '_') || !isascii(*s))
		return 0;
	while (isascii(s[n]) && (isalnum((unsigned char)s[n]) || s[n] == '_'))
		n++;
	return n;
}

static const char *value_of(const char *name, size_t n, const char *issuer,
			    const char *client_id)
{
	if (n == 6 && !strncmp(name, "issuer", 6))
		return issuer;
	if (n == 9 && !strncmp(name, "client_id", 9))
		return client_id;
	return NULL;
}

int oidc_cmd_substitute(const char *cmd, const char *issuer,
			const char *client_id, char **out)
{
	size_t cap = strlen(cmd) + 1, n = 0;
	const char *s = cmd, *v;
	char *buf;

	/* each of the two values may replace many names */
	for (const char *p = cmd; (p = strchr(p, '$')); p++)
		cap += strlen(issuer) + strlen(client_id);
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	while (*s) {
		size_t k, skip = 0;

		if (*s != '$') {
			buf[n++] = *s++;
			continue;
		}
		if (s[1] == '$') {
			buf[n++] = '$';
			s += 2;
			continue;
		}
		if (s[1] == '{') {
			k = name_len(s + 2);
			v = k && s[2 + k] == '}' ?
			    value_of(s + 2, k, issuer, client_id) : NULL;
			skip = k + 3;
		} else {
			k = name_len(s + 1);
			v = k ? value_of(s + 1, k, issuer, client_id) : NULL;
			skip = k + 1;
		}
		if (v) {
			memcpy(buf + n, v, strlen(v));
			n += strlen(v);
			s += skip;
		} else {
			buf[n++] = *s++;	/* kept as it is */
		}
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static bool num(json_object *o, const char *key, double *v)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x) ||
	    !(json_object_is_type(x, json_type_int) ||
	      json_object_is_type(x, json_type_double)))
		return false;
	*v = json_object_get_double(x);
	return isfinite(*v);
}

static char *aud_of(json_object *o)
{
	json_object *a;

	if (!json_object_object_get_ex(o, "aud", &a))
		return NULL;
	if (json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a))
		a = json_object_array_get_idx(a, 0);
	if (!json_object_is_type(a, json_type_string))
		return NULL;
	return strdup(json_object_get_string(a));
}

bool oidc_id_token_fresh(const char *token, time_t now, char **iss,
			 char **aud)
{
	const char *dot1, *dot2, *s;
	unsigned char *payload;
	json_object *o = NULL;
	double exp, iat, nbf;
	size_t plen;
	bool fresh;

	if (iss)
		*iss = NULL;
	if (aud)
		*aud = NULL;
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2 || strlen(token) > JWT_MAX_LEN)
		return false;
	payload = jwks_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1),
				     &plen);
	if (payload)
		o = jwks_json_object((const char *)payload, plen);
	free(payload);
	if (!o)
		return false;
	s = jwks_json_str(o, "iss");
	if (iss && s)
		*iss = strdup(s);
	if (aud)
		*aud = aud_of(o);
	fresh = s && json_object_object_get_ex(o, "sub", NULL) &&
		json_object_object_get_ex(o, "aud", NULL) &&
		num(o, "exp", &exp) && num(o, "iat", &iat) &&
		exp > (double)now && iat <= (double)now &&
		(!json_object_object_get_ex(o, "nbf", NULL) ||
		 (num(o, "nbf", &nbf) && nbf <= (double)now));
	json_object_put(o);
	return fresh;
}

static void b64url(const unsigned char *in, size_t len,
		   char out[OIDC_RANDOM_LEN])
{
	char tmp[64];
	int n = EVP_EncodeBlock((unsigned char *)tmp, in, (int)len);
	int j = 0;

	for (int i = 0; i < n && j < OIDC_RANDOM_LEN - 1; i++) {
		if (tmp[i] == '=')
			break;
		char c = tmp[i];

		if (c == '+')
			c = '-';
		else if (c == '/')
			c = '_';
		out[j++] = c;
	}
	out[j] = '\0';
}

int oidc_random_string(char out[OIDC_RANDOM_LEN])
{
	unsigned char r[32];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -EIO;
	b64url(r, sizeof(r), out);
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

int oidc_pkce_challenge(const char *verifier, char out[OIDC_RANDOM_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (!SHA256((const unsigned char *)verifier, strlen(verifier), md))
		return -EIO;
	b64url(md, sizeof(md), out);
	return 0;
}

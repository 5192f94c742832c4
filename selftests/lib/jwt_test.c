// SPDX-License-Identifier: GPL-2.0
/*
 * jwt_test.c - unit tests of lib/jwt_verify, lib/jwks and lib/claims
 * (issue 15). Keys, key sets, discovery documents and tokens are made
 * by selftests/lib/make_tokens.py (python3-jwt, python3-cryptography)
 * into a temporary directory; the claims tests build their claims here.
 *
 * Usage (from the repository root): build/selftests/lib/jwt_test [DIR]
 * With DIR, the files already made there are used and kept; without,
 * $PYTHON (default /usr/bin/python3) runs make_tokens.py into a new
 * directory under /tmp, removed at the end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claims.h"
#include "jwks.h"
#include "jwt_verify.h"
#include "log.h"
#include "tap.h"

/* cond first: the message's arguments may read what cond computed. */
#define OK(cond, ...)							\
	do {								\
		bool ok_ = (cond);					\
		ok(ok_, __VA_ARGS__);					\
	} while (0)

#define ISSUER		"https://idp.example.test/realms/lab"
#define CI_ISSUER	"https://ci.example.test"
#define AUDIENCE	"nmb"
#define NONCE		"n-0S6_WzA2Mj"

static const char *dir;
static time_t now;

/* The file dir/name, NUL-terminated, its length in *len; exits if absent. */
static char *slurp(const char *name, size_t *len)
{
	char path[4096];
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f || !buf) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	for (;;) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf)
			exit(1);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static struct jwks *load_jwks(const char *name, const char **why)
{
	size_t len;
	char *doc = slurp(name, &len);
	struct jwks *ks = jwks_parse(doc, len, why);

	free(doc);
	return ks;
}

static const char *const issuers[] = { ISSUER };

/* A token checked against ks with skew and nonce; claims kept if OK. */
static enum jwt_verdict check(const struct jwks *ks, const char *name,
			      unsigned int skew, const char *nonce,
			      json_object **claims)
{
	struct jwt_expect ex = {
		.issuers = issuers, .n_issuers = 1, .audience = AUDIENCE,
		.nonce = nonce, .now = now, .skew = skew,
	};
	json_object *c = NULL;
	enum jwt_verdict v;
	char file[256];
	size_t len;
	char *tok;

	snprintf(file, sizeof(file), "%s.jwt", name);
	tok = slurp(file, &len);
	v = jwt_verify_token(tok, len, ks, &ex, &c);
	free(tok);
	/* claims come back exactly when the token is valid */
	if ((v == JWT_OK) != (c != NULL)) {
		printf("# %s: claims %s with verdict %d\n", name,
		       c ? "returned" : "missing", v);
		v = JWT_VERDICT_COUNT;
	}
	if (claims)
		*claims = c;
	else
		json_object_put(c);
	return v;
}

#define VERDICT(ks, name, skew, nonce, want)				\
	do {								\
		enum jwt_verdict v_ = check(ks, name, skew, nonce, NULL); \
		OK(v_ == (want), "token %s (skew %u%s): %s", name,	\
		   (skew), (nonce) ? ", nonce" : "", jwt_verdict_str(v_)); \
	} while (0)

static void test_tokens(const struct jwks *ks)
{
	const struct jwt_expect *none = NULL;
	json_object *c, *sub;
	enum jwt_verdict v;
	unsigned int i, j, dup;

	v = check(ks, "good-rs256", 30, NULL, &c);
	OK(v == JWT_OK && json_object_object_get_ex(c, "sub", &sub) &&
	   !strcmp(json_object_get_string(sub), "u-1234"),
	   "good-rs256: valid, claims returned with sub");
	json_object_put(c);
	VERDICT(ks, "good-es256", 30, NULL, JWT_OK);
	VERDICT(ks, "good-es256", 0, NULL, JWT_OK);
	VERDICT(ks, "aud-array", 30, NULL, JWT_OK);
	VERDICT(ks, "float-dates", 0, NULL, JWT_OK);
	VERDICT(ks, "nonce", 30, NONCE, JWT_OK);
	VERDICT(ks, "nonce-wrong", 30, NULL, JWT_OK);	/* not asked */
	VERDICT(ks, "nonce-wrong", 30, NONCE, JWT_ERR_NONCE);
	VERDICT(ks, "good-rs256", 30, NONCE, JWT_ERR_NONCE);

	VERDICT(ks, "expired", 30, NULL, JWT_ERR_EXP);
	VERDICT(ks, "expired-in-skew", 30, NULL, JWT_OK);
	VERDICT(ks, "expired-in-skew", 0, NULL, JWT_ERR_EXP);
	VERDICT(ks, "nbf-future", 30, NULL, JWT_ERR_NBF);
	VERDICT(ks, "nbf-in-skew", 30, NULL, JWT_OK);
	VERDICT(ks, "nbf-in-skew", 0, NULL, JWT_ERR_NBF);
	VERDICT(ks, "iat-future", 30, NULL, JWT_ERR_IAT);
	VERDICT(ks, "no-exp", 30, NULL, JWT_ERR_EXP);
	VERDICT(ks, "no-iat", 30, NULL, JWT_ERR_IAT);
	VERDICT(ks, "exp-string", 30, NULL, JWT_ERR_EXP);

	VERDICT(ks, "wrong-iss", 30, NULL, JWT_ERR_ISS);
	VERDICT(ks, "no-iss", 30, NULL, JWT_ERR_ISS);
	VERDICT(ks, "wrong-aud", 30, NULL, JWT_ERR_AUD);
	VERDICT(ks, "aud-array-wrong", 30, NULL, JWT_ERR_AUD);
	VERDICT(ks, "aud-array-number", 30, NULL, JWT_ERR_AUD);
	VERDICT(ks, "no-aud", 30, NULL, JWT_ERR_AUD);
	VERDICT(ks, "no-sub", 30, NULL, JWT_ERR_SUB);

	VERDICT(ks, "alg-none", 30, NULL, JWT_ERR_ALG_NONE);
	VERDICT(ks, "alg-none-upper", 30, NULL, JWT_ERR_ALG_NONE);
	VERDICT(ks, "hmac-pubkey", 30, NULL, JWT_ERR_ALG_HMAC);
	VERDICT(ks, "alg-ps256", 30, NULL, JWT_ERR_ALG);
	VERDICT(ks, "crit", 30, NULL, JWT_ERR_CRIT);
	VERDICT(ks, "unknown-kid", 30, NULL, JWT_ERR_UNKNOWN_KID);
	VERDICT(ks, "no-kid", 30, NULL, JWT_ERR_NO_KID);
	VERDICT(ks, "bad-signature", 30, NULL, JWT_ERR_SIGNATURE);
	VERDICT(ks, "tampered", 30, NULL, JWT_ERR_SIGNATURE);
	VERDICT(ks, "key-alg-mismatch", 30, NULL, JWT_ERR_KEY_ALG);

	VERDICT(ks, "oversize", 30, NULL, JWT_ERR_SIZE);
	VERDICT(ks, "garbage", 30, NULL, JWT_ERR_FORMAT);
	VERDICT(ks, "two-dots-empty", 30, NULL, JWT_ERR_FORMAT);
	VERDICT(ks, "four-parts", 30, NULL, JWT_ERR_FORMAT);
	VERDICT(ks, "padded", 30, NULL, JWT_ERR_FORMAT);

	/* a good token against no keys at all: its kid is unknown */
	VERDICT(NULL, "good-rs256", 30, NULL, JWT_ERR_UNKNOWN_KID);

	/* expectations out of range, a size limit, several issuers */
	{
		const char *const two[] = { CI_ISSUER, ISSUER };
		struct jwt_expect ex = {
			.issuers = two, .n_issuers = 2, .audience = AUDIENCE,
			.now = now, .skew = 30,
		};
		size_t len;
		char *tok = slurp("good-rs256.jwt", &len);

		OK(jwt_verify_token(tok, len, ks, &ex, NULL) == JWT_OK,
		   "good-rs256: valid when its issuer is the second trusted");
		ex.n_issuers = 1;
		OK(jwt_verify_token(tok, len, ks, &ex, NULL) ==
		   JWT_ERR_ISS, "good-rs256: refused when its issuer is not in the list");
		ex.n_issuers = 2;
		ex.max_len = len - 1;
		OK(jwt_verify_token(tok, len, ks, &ex, NULL) ==
		   JWT_ERR_SIZE, "max_len one byte short: size refused");
		ex.max_len = len;
		OK(jwt_verify_token(tok, len, ks, &ex, NULL) == JWT_OK,
		   "max_len exactly the token's length: valid");
		ex.max_len = 0;
		ex.skew = JWT_MAX_SKEW + 1;
		OK(jwt_verify_token(tok, len, ks, &ex, NULL) ==
		   JWT_ERR_INVAL, "skew above JWT_MAX_SKEW: refused");
		ex.skew = 30;
		ex.audience = NULL;
		OK(jwt_verify_token(tok, len, ks, &ex, NULL) ==
		   JWT_ERR_INVAL, "no audience expected: refused");
		OK(jwt_verify_token(tok, len, ks, none, NULL) ==
		   JWT_ERR_INVAL, "no expectations: refused");
		ex.audience = AUDIENCE;
		/* a NUL byte inside the token */
		tok[len / 2] = '\0';
		OK(jwt_verify_token(tok, len, ks, &ex, NULL) ==
		   JWT_ERR_FORMAT, "NUL byte inside the token: malformed");
		free(tok);
	}

	/* every verdict has its own text, none empty */
	dup = 0;
	for (i = 0; i < JWT_VERDICT_COUNT; i++) {
		if (!*jwt_verdict_str(i))
			dup++;
		for (j = 0; j < i; j++)
			if (!strcmp(jwt_verdict_str(i), jwt_verdict_str(j)))
				dup++;
	}
	OK(dup == 0, "each of the %d verdicts has a text of its own",
	   JWT_VERDICT_COUNT);
	OK(!strcmp(jwt_verdict_str(JWT_VERDICT_COUNT),
		       "unknown token verdict"), "out-of-range verdict has a text");
}

static void test_peek(const struct jwks *ks)
{
	char *iss, *kid, *tok;
	enum jwt_verdict v;
	size_t len;

	tok = slurp("good-rs256.jwt", &len);
	v = jwt_peek(tok, len, 0, &iss, &kid);
	OK(v == JWT_OK && iss && !strcmp(iss, ISSUER) && kid &&
	   !strcmp(kid, "rsa1"), "peek good-rs256: iss and kid rsa1");
	free(iss);
	free(kid);
	free(tok);
	tok = slurp("unknown-kid.jwt", &len);
	v = jwt_peek(tok, len, 0, &iss, &kid);
	OK(v == JWT_OK && kid && !strcmp(kid, "rsa9") &&
	   !jwks_has_kid(ks, kid),
	   "peek unknown-kid: kid rsa9, which the set does not know (refetch)");
	free(iss);
	free(kid);
	free(tok);
	tok = slurp("garbage.jwt", &len);
	v = jwt_peek(tok, len, 0, &iss, &kid);
	OK(v == JWT_ERR_FORMAT && !iss && !kid, "peek garbage: malformed");
	free(tok);
	tok = slurp("oversize.jwt", &len);
	v = jwt_peek(tok, len, 0, &iss, &kid);
	OK(v == JWT_ERR_SIZE && !iss && !kid, "peek oversize: size");
	free(tok);
}

static void test_jwks(const struct jwks *ks)
{
	struct jwks *other;
	enum jwks_alg alg = 0;
	const char *why = NULL;
	char *big;

	OK(jwks_count(ks) == 2 && jwks_skipped(ks) == 0,
	   "jwks.json: 2 keys, none skipped");
	OK(jwks_has_kid(ks, "rsa1") && jwks_has_kid(ks, "ec1") &&
	   !jwks_has_kid(ks, "rsa9") && !jwks_has_kid(ks, NULL) &&
	   !jwks_has_kid(NULL, "rsa1"), "jwks.json: kid rsa1, ec1 known; rsa9 not");
	OK(jwks_find(ks, "ec1", &alg) && alg == JWKS_ALG_ES256 &&
	   EVP_PKEY_is_a(jwks_find(ks, "ec1", NULL), "EC"),
	   "jwks.json: ec1 is an EC key for ES256");
	OK(jwks_find(ks, "rsa1", &alg) && alg == JWKS_ALG_RS256 &&
	   EVP_PKEY_get_bits(jwks_find(ks, "rsa1", NULL)) == 2048,
	   "jwks.json: rsa1 is a 2048-bit RSA key for RS256");

	other = load_jwks("jwks-weak.json", &why);
	OK(!other && why && strstr(why, "usable"),
	   "jwks-weak.json (RSA 1024 only): refused, %s", why);
	jwks_free(other);

	why = NULL;
	other = load_jwks("jwks-mixed.json", &why);
	OK(other && jwks_count(other) == 1 && jwks_skipped(other) == 6,
	   "jwks-mixed.json: weak, enc, oct, duplicate kid, off-curve and non-object skipped; 1 kept");
	OK(!jwks_has_kid(other, "weak") && !jwks_has_kid(other, "enc") &&
	   !jwks_has_kid(other, "hmac") && !jwks_has_kid(other, "ec-off"),
	   "jwks-mixed.json: the skipped kids are unknown");
	/* the first rsa1 (another key) wins: a good token fails */
	VERDICT(other, "good-rs256", 30, NULL, JWT_ERR_SIGNATURE);
	jwks_free(other);

	why = NULL;
	other = load_jwks("jwks-toomany.json", &why);
	OK(!other && why && strstr(why, "too many"),
	   "jwks-toomany.json (33 keys): refused, %s", why);
	why = NULL;
	other = load_jwks("jwks-nokeys.json", &why);
	OK(!other && why && strstr(why, "keys"),
	   "jwks-nokeys.json: refused, %s", why);
	why = NULL;
	other = load_jwks("garbage.jwt", &why);
	OK(!other && why && strstr(why, "JSON"),
	   "JWKS of garbage: refused, %s", why);

	big = malloc(JWKS_MAX_DOC + 1);
	memset(big, ' ', JWKS_MAX_DOC + 1);
	memcpy(big, "{\"keys\":[]}", 11);
	why = NULL;
	other = jwks_parse(big, JWKS_MAX_DOC + 1, &why);
	OK(!other && why && strstr(why, "too big"),
	   "JWKS of JWKS_MAX_DOC + 1 bytes: refused, %s", why);
	why = NULL;
	other = jwks_parse(big, JWKS_MAX_DOC, &why);
	OK(!other && why && strstr(why, "usable"),
	   "JWKS of JWKS_MAX_DOC bytes: parsed (then no usable key)");
	free(big);
}

static void test_discovery(void)
{
	static const char file_doc[] = "{\"issuer\": \"" ISSUER "\", "
		"\"jwks_uri\": \"file:///etc/passwd\"}";
	struct oidc_discovery d;
	const char *why = NULL;
	size_t len;
	char *doc;
	int ret;

	doc = slurp("discovery-good.json", &len);
	ret = oidc_discovery_parse(doc, len, ISSUER, true, &d, &why);
	OK(ret == 0 && !strcmp(d.issuer, ISSUER) &&
	   !strcmp(d.jwks_uri, ISSUER "/certs") &&
	   !strcmp(d.authorization_endpoint, ISSUER "/auth") &&
	   !strcmp(d.token_endpoint, ISSUER "/token"),
	   "discovery-good.json: all four members");
	oidc_discovery_free(&d);
	ret = oidc_discovery_parse(doc, len, ISSUER "/", false, &d, &why);
	OK(ret == -EPERM && !d.issuer && strstr(why, "differs"),
	   "discovery-good.json for the issuer with a trailing /: refused, %s",
	   why);
	free(doc);

	doc = slurp("discovery-bad-issuer.json", &len);
	ret = oidc_discovery_parse(doc, len, ISSUER, false, &d, &why);
	OK(ret == -EPERM && !d.issuer && !d.jwks_uri,
	   "discovery-bad-issuer.json: refused, %s", why);
	free(doc);
	doc = slurp("discovery-slash-issuer.json", &len);
	ret = oidc_discovery_parse(doc, len, ISSUER, false, &d, &why);
	OK(ret == -EPERM, "discovery-slash-issuer.json: refused (exact match)");
	free(doc);
	doc = slurp("discovery-no-jwks.json", &len);
	ret = oidc_discovery_parse(doc, len, ISSUER, false, &d, &why);
	OK(ret == -EINVAL && strstr(why, "jwks_uri"),
	   "discovery-no-jwks.json: refused, %s", why);
	free(doc);
	doc = slurp("discovery-no-login.json", &len);
	ret = oidc_discovery_parse(doc, len, ISSUER, true, &d, &why);
	OK(ret == -EINVAL && strstr(why, "endpoint"),
	   "discovery-no-login.json for login: refused, %s", why);
	ret = oidc_discovery_parse(doc, len, ISSUER, false, &d, &why);
	OK(ret == 0 && d.jwks_uri && !d.token_endpoint &&
	   !d.authorization_endpoint,
	   "discovery-no-login.json for the server: issuer and jwks_uri");
	oidc_discovery_free(&d);
	free(doc);
	ret = oidc_discovery_parse(file_doc, strlen(file_doc), ISSUER, false,
				   &d, &why);
	OK(ret == -EINVAL, "discovery with a file: jwks_uri: refused");
}

static json_object *json(const char *s)
{
	json_object *o = json_tokener_parse(s);

	if (!o) {
		printf("Bail out! bad JSON in the test: %s\n", s);
		exit(1);
	}
	return o;
}

/* claims of the main and the CI issuer, in json-c's lenient JSON */
#define MAIN	"{'iss': '" ISSUER "', "
#define CI	"{'iss': '" CI_ISSUER "', "

#define ROLES(perms, claims_json, want)					\
	do {								\
		json_object *t_ = json(claims_json);			\
		unsigned int r_ = claims_roles(perms,			\
			sizeof(perms) / sizeof((perms)[0]), t_, ISSUER);	\
		OK(r_ == (want), "roles %u of %s", r_, claims_json); \
		json_object_put(t_);					\
	} while (0)

#define NAME(formats, n, claims_json, want)				\
	do {								\
		json_object *t_ = json(claims_json);			\
		char *name_ = NULL;					\
		int ret_ = claims_user_name(formats, n, t_, &name_);	\
		OK((want) ? ret_ == 0 && !strcmp(name_, (want) ? (want) : "") \
			    : ret_ == -ENOENT && !name_,			\
		   "user name \"%s\" of %s", name_ ? name_ : "(none)", \
		   claims_json);					\
		free(name_);						\
		json_object_put(t_);					\
	} while (0)

static void test_claims(void)
{
	struct claims_permission perms[3] = {
		{ json("{'groups': ['lab']}"), CLAIMS_ROLE_IMPORTER },
		{ json("{'groups': ['lab', 'admin'], 'sub': 'u-1'}"),
		  CLAIMS_ROLE_EXPORTER | CLAIMS_ROLE_IMPORTER },
		{ json(CI "'repository': 'org/farm', 'run': {'attempt': 1}}"),
		  CLAIMS_ROLE_IMPORTER },
	};
	struct claims_permission nums[2] = {
		{ json("{'level': 1}"), CLAIMS_ROLE_IMPORTER },
		{ json("{'staff': true, 'ratio': 0.5}"),
		  CLAIMS_ROLE_EXPORTER },
	};
	const char *formats[] = { "${preferred_username}", "$email via $$",
				  "${preferred-name}" };
	const char *const show[] = { "sub", "preferred_username" };
	json_object *t, *s;
	char *out;
	size_t i;

	OK(claims_role_bit("exporter") == CLAIMS_ROLE_EXPORTER &&
	   claims_role_bit("importer") == CLAIMS_ROLE_IMPORTER &&
	   claims_role_bit("admin") == 0 && claims_role_bit(NULL) == 0,
	   "role names: exporter, importer; others 0");
	/* the two-role table */
	ROLES(perms, MAIN "'sub': 'u-1', 'groups': ['ci', 'lab']}",
	      CLAIMS_ROLE_IMPORTER);
	ROLES(perms, MAIN "'sub': 'u-1', 'groups': ['admin', 'x', 'lab']}",
	      CLAIMS_ROLE_IMPORTER | CLAIMS_ROLE_EXPORTER);
	ROLES(perms, MAIN "'sub': 'u-2', 'groups': ['admin', 'lab']}",
	      CLAIMS_ROLE_IMPORTER);
	/* not-my-board lets these pass (set(T) not a proper subset of R) */
	ROLES(perms, MAIN "'sub': 'u-1', 'groups': ['lab', 'z']}",
	      CLAIMS_ROLE_IMPORTER);
	ROLES(perms, MAIN "'sub': 'u-1', 'groups': ['x']}", 0);
	ROLES(perms, MAIN "'sub': 'u-1', 'groups': 'lab'}", 0);
	ROLES(perms, MAIN "'sub': 'u-1'}", 0);
	ROLES(perms, MAIN "'groups': [{'a': 1}, 'lab']}",
	      CLAIMS_ROLE_IMPORTER);
	/* the default issuer, and a permission naming its own */
	ROLES(perms, CI "'sub': 'u-1', 'groups': ['lab', 'admin']}", 0);
	ROLES(perms, CI "'repository': 'org/farm', 'run': {'attempt': 1.0}}",
	      CLAIMS_ROLE_IMPORTER);
	ROLES(perms, CI "'repository': 'org/farm', 'run': {'attempt': 1, 'x': 0}}", 0);
	ROLES(perms, CI "'repository': 'org/farm2', 'run': {'attempt': 1}}", 0);
	/* Python equality of numbers and booleans */
	ROLES(nums, MAIN "'level': true}", CLAIMS_ROLE_IMPORTER);
	ROLES(nums, MAIN "'level': 1.0}", CLAIMS_ROLE_IMPORTER);
	ROLES(nums, MAIN "'level': '1'}", 0);
	ROLES(nums, MAIN "'level': 2}", 0);
	ROLES(nums, MAIN "'level': null}", 0);
	ROLES(nums, MAIN "'staff': 1, 'ratio': 0.5}", CLAIMS_ROLE_EXPORTER);
	ROLES(nums, MAIN "'staff': true, 'ratio': 0.25}", 0);
	for (i = 0; i < 3; i++)
		json_object_put(perms[i].claims);
	for (i = 0; i < 2; i++)
		json_object_put(nums[i].claims);

	/* user_name_formats, then ${sub}@${iss} */
	NAME(formats, 3, "{\"preferred_username\": \"alice\", \"email\": \"a@x\"}", "alice");
	NAME(formats, 3, "{\"email\": \"a@x\"}", "a@x via $");
	NAME(formats, 3, "{\"sub\": \"u-1\", \"iss\": \"" ISSUER "\"}", "u-1@" ISSUER);
	NAME(formats, 3, "{\"preferred_username\": \"al\\nice\", \"sub\": \"s\", \"iss\": \"i\"}", "s@i");
	NAME(formats, 3, "{\"preferred_username\": null}", "None");
	NAME(formats, 0, "{\"email\": \"a@x\"}", NULL);
	{
		const char *py[] = { "$groups $admin $n $f $big $tiny ${ctx}" };

		NAME(py, 1, "{\"groups\": [\"lab\", \"it's\", 2], \"admin\": false, \"n\": -42,"
		     " \"f\": 1.0, \"big\": 1e16, \"tiny\": 1.5e-05, \"ctx\": {\"a\": null}}",
		     "['lab', \"it's\", 2] False -42 1.0 1e+16 1.5e-05 {'a': None}");
	}
	{
		const char *py[] = { "$a $b $c $d $e $f $g" };

		/* as Python 3 prints them (repr of float) */
		NAME(py, 1, "{\"a\": 123456789012345.6, \"b\": 1e15, \"c\": -0.0,"
		     " \"d\": 0.0001, \"e\": 1e-5, \"f\": 2.5e20, \"g\": 0.1}",
		     "123456789012345.6 1000000000000000.0 -0.0 0.0001 1e-05 2.5e+20 0.1");
	}
	t = json("{\"sub\": \"u\", \"v\": 0.1}");
	OK(claims_format("${v}x", t, &out) == 0 && !strcmp(out, "0.1x"),
	   "format ${v}x of 0.1: \"%s\"", out ? out : "");
	free(out);
	OK(claims_format("$", t, &out) == -EINVAL && !out,
	   "format \"$\": fails");
	OK(claims_format("${sub", t, &out) == -EINVAL && !out,
	   "format \"${sub\": fails");
	OK(claims_format("$1", t, &out) == -EINVAL && !out,
	   "format \"$1\": fails");
	json_object_put(t);

	/* show_claims */
	t = json("{\"iss\": \"i\", \"sub\": \"u\", \"preferred_username\": \"alice\", \"email\": \"a@x\"}");
	s = claims_show(t, show, 2);
	OK(s && json_object_object_length(s) == 2 &&
	   json_object_object_get_ex(s, "sub", NULL) &&
	   json_object_object_get_ex(s, "preferred_username", NULL),
	   "show_claims [sub, preferred_username]: %s",
	   json_object_to_json_string(s));
	json_object_put(s);
	s = claims_show(t, NULL, 0);
	OK(s && json_object_object_length(s) == 4,
	   "show_claims unset: all 4 claims");
	json_object_put(s);
	s = claims_show(t, show, 0);
	OK(s && json_object_object_length(s) == 0, "show_claims []: none");
	json_object_put(s);
	json_object_put(t);
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/nmb-jwt-test.XXXXXX", cmd[4096];
	const char *why = NULL, *py;
	struct jwks *ks;
	char *s;

	nmb_log_init("jwt_test", LOG_WARNING);
	printf("TAP version 13\n");
	if (argc > 1) {
		dir = argv[1];
	} else {
		if (!mkdtemp(tmp)) {
			printf("Bail out! mkdtemp: %s\n", strerror(errno));
			return 1;
		}
		dir = tmp;
		/* Debian's python3 (python3-jwt), not one earlier in PATH */
		py = getenv("PYTHON");
		snprintf(cmd, sizeof(cmd), "%s selftests/lib/make_tokens.py %s",
			 py && *py ? py : "/usr/bin/python3", tmp);
		if (system(cmd)) {
			printf("Bail out! %s failed (run from the repository root)\n",
			       cmd);
			snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
			if (system(cmd))
				return 1;
			return 1;
		}
	}
	s = slurp("now", NULL);
	now = (time_t)strtoll(s, NULL, 10);
	free(s);
	ks = load_jwks("jwks.json", &why);
	if (!ks)
		printf("Bail out! jwks.json refused: %s\n", why);
	else {
		test_tokens(ks);
		test_peek(ks);
		test_jwks(ks);
		test_discovery();
		test_claims();
		jwks_free(ks);
	}
	if (dir == tmp) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		if (system(cmd))
			printf("# could not remove %s\n", tmp);
	}
	if (!ks)
		return 1;
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * oidc_client_test.c - unit tests of the OpenID Connect client pieces
 * of nmb-agent and nmb-exporter: lib/oidc_client (auth-info, token
 * endpoint answers, --token-cmd substitution, the §9 refresh rule,
 * PKCE), lib/token_store (its JSON, the file's mode, the lock) and
 * lib/spawn_capture (stdout, exit status, limits, cancel).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "loop.h"
#include "oidc_client.h"
#include "spawn_capture.h"
#include "tap.h"
#include "token_store.h"

#define LEN(s)	(s), strlen(s)

static void subst(const char *cmd, const char *want)
{
	char *out = NULL;
	int err = oidc_cmd_substitute(cmd, "https://idp", "nmb", &out);

	ok(!err && !strcmp(out, want), "substitute '%s' -> '%s' (%s)", cmd,
	   want, out ? out : "NULL");
	free(out);
}

static void test_substitute(void)
{
	subst("mint --iss $issuer --aud ${client_id}",
	      "mint --iss https://idp --aud nmb");
	subst("$$issuer costs $$5", "$issuer costs $5");
	subst("$issuerX ${issuer}X $client_idY", "$issuerX https://idpX $client_idY");
	subst("${other} $HOME ${ $ $1 ${issuer", "${other} $HOME ${ $ $1 ${issuer");
	subst("a$issuer$client_id", "ahttps://idpnmb");
	subst("", "");
	subst("$", "$");
}

static void test_auth_info(void)
{
	struct oidc_auth_info ai;
	const char *why = "";

	ok(oidc_auth_info_parse(LEN("{}"), &ai, &why) == -ENOENT &&
	   strstr(why, "no authentication"), "auth-info {}: auth off (%s)",
	   why);
	ok(!oidc_auth_info_parse(LEN("{\"issuer\": \"https://i\", \"client_id\": \"c\"}"),
				 &ai, &why) && !strcmp(ai.issuer, "https://i") &&
	   !strcmp(ai.client_id, "c") && !ai.has_show,
	   "auth-info without show_claims");
	oidc_auth_info_free(&ai);
	ok(!oidc_auth_info_parse(LEN("{\"issuer\": \"https://i\", \"client_id\": \"c\", \"show_claims\": [\"sub\", \"email\"]}"),
				 &ai, &why) && ai.has_show && ai.n_show == 2 &&
	   !strcmp(ai.show[1], "email"), "auth-info with show_claims");
	oidc_auth_info_free(&ai);
	ok(!oidc_auth_info_parse(LEN("{\"issuer\": \"https://i\", \"client_id\": \"c\", \"show_claims\": []}"),
				 &ai, &why) && ai.has_show && !ai.n_show,
	   "auth-info with show_claims []");
	oidc_auth_info_free(&ai);
	ok(oidc_auth_info_parse(LEN("{\"issuer\": 3, \"client_id\": \"c\"}"),
				&ai, &why) == -EINVAL, "issuer not a string");
	ok(oidc_auth_info_parse(LEN("{\"issuer\": \"i\", \"client_id\": \"c\", \"show_claims\": [1]}"),
				&ai, &why) == -EINVAL && !ai.issuer,
	   "show_claims with a number refused, nothing kept");
	ok(oidc_auth_info_parse(LEN("[1]"), &ai, &why) == -EINVAL &&
	   oidc_auth_info_parse(LEN("{\"issuer\": \"i\"} x"), &ai, &why) ==
	   -EINVAL, "not an object, trailing bytes");
}

static void test_token_response(void)
{
	struct oidc_tokens t;
	char why[200];

	ok(!oidc_token_response_parse(LEN("{\"token_type\": \"Bearer\", \"id_token\": \"a.b.c\", \"refresh_token\": \"r\", \"access_token\": \"x\"}"),
				      true, &t, why, sizeof(why)) &&
	   !strcmp(t.id_token, "a.b.c") && !strcmp(t.refresh_token, "r"),
	   "token answer");
	oidc_tokens_free(&t);
	ok(oidc_token_response_parse(LEN("{\"token_type\": \"mac\", \"id_token\": \"a\", \"refresh_token\": \"r\"}"),
				     true, &t, why, sizeof(why)) == -EINVAL &&
	   strstr(why, "\"Bearer\", got mac"), "token_type checked: %s", why);
	ok(!oidc_token_response_parse(LEN("{\"id_token\": \"a\", \"refresh_token\": \"r\"}"),
				      false, &t, why, sizeof(why)),
	   "refresh answer without token_type");
	oidc_tokens_free(&t);
	ok(oidc_token_response_parse(LEN("{\"token_type\": \"bearer\", \"id_token\": \"a\"}"),
				     true, &t, why, sizeof(why)) == -EINVAL &&
	   strstr(why, "no refresh_token") && !t.id_token,
	   "refresh_token required: %s", why);
	ok(oidc_token_response_parse(LEN("{\"error\": \"invalid_grant\"}"),
				     false, &t, why, sizeof(why)) == -EACCES &&
	   strstr(why, "refused: invalid_grant"), "error answer: %s", why);
	ok(oidc_token_response_parse(LEN("{\"error\": \"<script>\\n\"}"),
				     false, &t, why, sizeof(why)) == -EACCES &&
	   strstr(why, "refused: invalid"), "odd error word not copied: %s",
	   why);
	ok(oidc_token_response_parse(LEN("not json"), false, &t, why,
				     sizeof(why)) == -EINVAL, "not JSON");
}

/* An unsigned token with payload p, for the §9 rule (no signature check). */
static char *token(const char *p)
{
	size_t n = strlen(p);
	unsigned char *b = malloc(4 * n / 3 + 8);
	char *t = malloc(4 * n / 3 + 64);
	int m = EVP_EncodeBlock(b, (const unsigned char *)p, (int)n);
	int j = 0;

	j += sprintf(t, "eyJhbGciOiJSUzI1NiJ9.");
	for (int i = 0; i < m && b[i] != '='; i++) {
		char c = (char)b[i];

		if (c == '+')
			c = '-';
		else if (c == '/')
			c = '_';
		t[j++] = c;
	}
	strcpy(t + j, ".c2ln");
	free(b);
	return t;
}

static void fresh(const char *payload, bool want, const char *what)
{
	char buf[400], *t, *iss = NULL, *aud = NULL;
	time_t now = 1700000000;

	snprintf(buf, sizeof(buf), payload, (long long)now, (long long)now);
	t = token(buf);
	ok(oidc_id_token_fresh(t, now, &iss, &aud) == want, "%s", what);
	free(t);
	free(iss);
	free(aud);
}

static void test_fresh(void)
{
	char *t, *iss, *aud;

	fresh("{\"iss\": \"i\", \"sub\": \"s\", \"aud\": \"a\", \"exp\": %lld1, \"iat\": %lld}",
	      true, "a token valid for 10 more seconds... (exp = now*10+1)");
	fresh("{\"iss\": \"i\", \"sub\": \"s\", \"aud\": \"a\", \"exp\": %lld, \"iat\": %lld}",
	      false, "exp == now: expired");
	fresh("{\"iss\": \"i\", \"sub\": \"s\", \"aud\": \"a\", \"exp\": 1e12, \"iat\": %lld, \"nbf\": %lld}",
	      true, "nbf == now is fine");
	fresh("{\"iss\": \"i\", \"sub\": \"s\", \"aud\": \"a\", \"exp\": 1e12, \"iat\": 1e11, \"x\": \"%lld%lld\"}",
	      false, "iat in the future");
	fresh("{\"iss\": \"i\", \"sub\": \"s\", \"aud\": \"a\", \"exp\": 1e12, \"iat\": 1, \"nbf\": 1e11, \"x\": \"%lld%lld\"}",
	      false, "nbf in the future");
	fresh("{\"sub\": \"s\", \"aud\": \"a\", \"exp\": 1e12, \"iat\": 1, \"x\": \"%lld%lld\"}",
	      false, "no iss");
	fresh("{\"iss\": \"i\", \"aud\": \"a\", \"exp\": 1e12, \"iat\": 1, \"x\": \"%lld%lld\"}",
	      false, "no sub");
	fresh("{\"iss\": \"i\", \"sub\": \"s\", \"exp\": 1e12, \"iat\": 1, \"x\": \"%lld%lld\"}",
	      false, "no aud");
	fresh("{\"iss\": \"i\", \"sub\": \"s\", \"aud\": \"a\", \"exp\": \"1e12\", \"iat\": 1, \"x\": \"%lld%lld\"}",
	      false, "exp a string");
	ok(!oidc_id_token_fresh("abc", 0, NULL, NULL) &&
	   !oidc_id_token_fresh("a.!!.c", 0, NULL, NULL) &&
	   !oidc_id_token_fresh("", 0, NULL, NULL), "not a token");
	t = token("{\"iss\": \"https://i\", \"aud\": [\"nmb\", \"x\"], \"exp\": 1}");
	ok(!oidc_id_token_fresh(t, 5, &iss, &aud) && iss && aud &&
	   !strcmp(iss, "https://i") && !strcmp(aud, "nmb"),
	   "expired token still gives iss and the first aud for the refresh");
	free(t);
	free(iss);
	free(aud);
}

static void test_pkce(void)
{
	char v[OIDC_RANDOM_LEN], w[OIDC_RANDOM_LEN], c[OIDC_RANDOM_LEN];

	ok(!oidc_random_string(v) && !oidc_random_string(w) &&
	   strlen(v) == 43 && strcmp(v, w) != 0 &&
	   strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43,
	   "random strings: 43 base64url characters, different");
	/* RFC 7636 appendix B */
	ok(!oidc_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
				c) &&
	   !strcmp(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
	   "PKCE S256 of RFC 7636's example: %s", c);
}

static void test_store_json(void)
{
	const char *s = "{\"https://a\": {\"id\": \"I\", \"refresh\": \"R\"}, \"https://b\": {\"id\": \"J\"}}";
	char *id, *rt, *out = NULL;
	const char *why = "";

	ok(!token_store_lookup(LEN(s), "https://a", &id, &rt, &why) &&
	   !strcmp(id, "I") && !strcmp(rt, "R"), "lookup");
	free(id);
	free(rt);
	ok(!token_store_lookup(LEN(s), "https://b", &id, &rt, &why) &&
	   !strcmp(id, "J") && !rt, "lookup without refresh");
	free(id);
	ok(token_store_lookup(LEN(s), "https://a/", &id, &rt, &why) ==
	   -ENOENT && !id, "the key is the URL as given: a slash differs");
	ok(token_store_lookup(LEN("{\"h\": {\"id\": 3}}"), "h", &id, &rt,
			      &why) == -EINVAL, "id not a string: %s", why);
	ok(token_store_lookup(LEN("{\"h\": []}"), "h", &id, &rt, &why) ==
	   -EINVAL, "entry not an object");
	ok(token_store_lookup(LEN("[]"), "h", &id, &rt, &why) == -EINVAL,
	   "store not an object");
	ok(!token_store_update(LEN(s), "https://a", "I2", "R2", &out) &&
	   !token_store_lookup(LEN(out), "https://a", &id, &rt, &why) &&
	   !strcmp(id, "I2") && !strcmp(rt, "R2"), "update replaces");
	free(id);
	free(rt);
	ok(!token_store_lookup(LEN(out), "https://b", &id, &rt, &why) &&
	   !strcmp(id, "J"), "update keeps the other hubs");
	free(id);
	free(out);
	ok(!token_store_update(LEN("{}"), "h", "i", "r", &out) &&
	   strstr(out, "\"h\""), "update of an empty store");
	free(out);
	ok(token_store_update(LEN("{bad"), "h", "i", "r", &out) == -EINVAL,
	   "a malformed store is not overwritten");
}

static void test_store_file(void)
{
	char dir[] = "/tmp/nmb-store-XXXXXX", path[128], why[400];
	char *text;
	size_t len;
	struct stat st;
	int fd, fd2, err;

	if (!mkdtemp(dir))
		return (void)ok(false, "mkdtemp");
	snprintf(path, sizeof(path), "%s/sub/store.json", dir);
	err = token_store_lock(path, false, &fd, why, sizeof(why));
	ok(err == -ENOENT, "missing store, not created: %d", err);
	err = token_store_lock(path, true, &fd, why, sizeof(why));
	ok(!err && !stat(path, &st) && (st.st_mode & 0777) == 0600,
	   "created 0600 (folder made): %s", err ? why : "ok");
	if (err)
		return;
	ok(token_store_lock(path, false, &fd2, why, sizeof(why)) ==
	   -EWOULDBLOCK, "locked: a second lock does not wait");
	ok(!token_store_read(fd, &text, &len) && !strcmp(text, "{}"),
	   "an empty store reads as {}");
	free(text);
	ok(!token_store_write(fd, LEN("{\"h\": {\"id\": \"x\"}}")) &&
	   !token_store_write(fd, LEN("{}")) &&
	   !token_store_read(fd, &text, &len) && !strcmp(text, "{}"),
	   "rewritten in place, shorter");
	free(text);
	token_store_unlock(fd);
	chmod(path, 0644);
	err = token_store_lock(path, false, &fd, why, sizeof(why));
	ok(err == -EPERM && strstr(why, "chmod 600 ") && strstr(why, path),
	   "group/other-readable refused: %s", why);
	chmod(path, 0660);
	ok(token_store_lock(path, false, &fd, why, sizeof(why)) == -EPERM,
	   "group-writable refused");
	unlink(path);
	snprintf(why, sizeof(why), "%s/sub", dir);
	rmdir(why);
	rmdir(dir);
}

struct run {
	struct loop *loop;
	int status;
	char out[256];
	char err[128];
	bool done;
};

static void run_done(void *arg, int status, const char *out, size_t len,
		     const char *err)
{
	struct run *r = arg;

	r->done = true;
	r->status = status;
	snprintf(r->out, sizeof(r->out), "%.*s", (int)(len < 255 ? len : 255),
		 out);
	snprintf(r->err, sizeof(r->err), "%s", err ? err : "");
	loop_stop(r->loop);
}

static struct run *run(struct loop *loop, const char *cmd, size_t max,
		       unsigned int ms)
{
	static struct run r;
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };

	memset(&r, 0, sizeof(r));
	r.loop = loop;
	if (!spawn_capture_start(loop, argv, max, ms, run_done, &r))
		return &r;
	loop_run(loop);
	return &r;
}

static void stop_cb(struct loop_timer *t, void *arg)
{
	(void)t;
	loop_stop(arg);
}

static void test_spawn_capture(void)
{
	struct loop *loop = loop_new();
	struct loop_timer *t = loop_timer_new(loop, stop_cb, loop);
	char *argv[] = { "/bin/sh", "-c", "sleep 5", NULL };
	struct spawn_capture *c;
	struct run *r;

	r = run(loop, "printf 'tok\\n'", 1024, 5000);
	ok(r->done && !r->status && !strcmp(r->out, "tok\n") && !r->err[0],
	   "stdout captured with its newline, exit 0");
	r = run(loop, "printf abc; exit 3", 1024, 5000);
	ok(r->done && r->status == 3 && !strcmp(r->out, "abc"),
	   "exit status 3 with its output");
	r = run(loop, "head -c 5000 /dev/zero | tr '\\0' x", 1000, 5000);
	ok(r->done && r->status == -1 && strstr(r->err, "output over 1000"),
	   "output limit: %s", r->err);
	r = run(loop, "sleep 5", 1024, 200);
	ok(r->done && r->status == -1 && strstr(r->err, "no exit within"),
	   "timeout: the child is killed: %s", r->err);
	r = run(loop, "kill -9 $$", 1024, 5000);
	ok(r->done && r->status == -1 && !r->err[0], "killed by a signal");
	c = spawn_capture_start(loop, argv, 1024, 5000, run_done, r);
	memset(r, 0, sizeof(*r));
	spawn_capture_cancel(c);
	loop_timer_set(t, 300);
	loop_run(loop);
	ok(!r->done, "cancelled: no callback");
	loop_timer_free(t);
	loop_free(loop);
}

int main(void)
{
	test_substitute();
	test_auth_info();
	test_token_response();
	test_fresh();
	test_pkce();
	test_store_json();
	test_store_file();
	test_spawn_capture();
	return tap_done();
}

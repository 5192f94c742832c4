// SPDX-License-Identifier: GPL-2.0
/*
 * login.c - nmbctl login, run by the agent (auth note §8): it has the
 * loop, libwebsockets with the TLS settings, the hub connection and the
 * token store, while nmbctl stays a synchronous client of the control
 * socket. The steps, each waiting on the loop:
 *
 *  1. GET <server>/api/v1/auth-info: issuer, client_id, show_claims;
 *  2. GET <issuer>/.well-known/openid-configuration, whose issuer must
 *     be the hub's (nmb: not-my-board does not compare it);
 *  3. state, nonce, PKCE verifier (32 random bytes each); the hub's
 *     get_authentication_response([state]) on the agent's own hub
 *     connection; on its oidc_callback_registered notification, the
 *     authorization URL goes to nmbctl (login_url);
 *  4. the browser's redirect reaches the hub, whose answer is the
 *     callback's query: its code is exchanged at the token endpoint
 *     (authorization_code, PKCE verifier, no client secret);
 *  5. GET the provider's JWKS; the id token is validated with
 *     lib/jwt_verify: RS256/ES256, iss = the hub's issuer (nmb:
 *     not-my-board accepts any), aud, exp/iat/nbf without leeway, and
 *     the nonce;
 *  6. id and refresh token saved under the server URL as given in the
 *     token store (flock, 0600); nmbctl gets the claims allowed by
 *     show_claims. No token is ever sent to nmbctl or logged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "agent.h"
#include "claims.h"
#include "http_client.h"
#include "jwks.h"
#include "jwt_verify.h"
#include "log.h"
#include "login.h"
#include "loop.h"
#include "oidc_client.h"
#include "protocol.h"
#include "token_source.h"
#include "token_store.h"
#include "unixrpc.h"

#define IDP_TIMEOUT_MS		10000
#define LOCK_RETRY_MS		50
#define LOCK_TRIES		100

struct login {
	struct agent *a;
	struct rpc_req *req;		/* nmbctl's login() */
	struct http_client_req *http;
	struct rpc_call *call;		/* get_authentication_response */
	struct loop_timer *timer;	/* the store's lock, again */
	unsigned int lock_tries;
	struct oidc_auth_info ai;
	struct oidc_discovery d;
	char state[OIDC_RANDOM_LEN], nonce[OIDC_RANDOM_LEN];
	char verifier[OIDC_RANDOM_LEN];
	char redirect[2048];
	struct oidc_tokens t;
	json_object *claims;		/* validated */
};

static void login_free(struct login *l)
{
	l->a->login = NULL;
	http_client_cancel(l->http);
	if (l->call)
		rpc_call_cancel(l->call);
	loop_timer_free(l->timer);
	oidc_auth_info_free(&l->ai);
	oidc_discovery_free(&l->d);
	oidc_tokens_free(&l->t);
	json_object_put(l->claims);
	OPENSSL_cleanse(l->verifier, sizeof(l->verifier));
	free(l);
}

static void on_cancel(struct rpc_req *req, void *data)
{
	struct login *l = data;

	(void)req;
	log_info("login: nmbctl went away; login abandoned");
	login_free(l);
}

static void fail(struct login *l, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct login *l, const char *kind, const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("login to %s failed: %s", l->a->cfg.server, msg);
	rpc_req_on_cancel(l->req, NULL, NULL);
	unixrpc_error(l->req, kind, "%s", msg);
	login_free(l);
}

static struct http_client_req *fetch(struct login *l, const char *url,
				     const char *form, http_client_cb cb)
{
	const struct http_client_opts o = {
		.ca_file = l->a->cfg.ca_file,
		.insecure = l->a->cfg.insecure,
		.timeout_ms = IDP_TIMEOUT_MS,
		.body_max = JWKS_MAX_DOC,
		.form = form,
	};

	return http_client_start(l->a->hub_lws, url, &o, cb, l);
}

/* --- 6. the store, the answer ----------------------------------------- */

static void answer(struct login *l)
{
	json_object *o = json_object_new_object(), *shown;

	shown = claims_show(l->claims,
			    l->ai.has_show ? (const char *const *)l->ai.show :
			    NULL, l->ai.n_show);
	json_object_object_add(o, "hub",
			       json_object_new_string(l->a->cfg.server));
	json_object_object_add(o, "claims", shown);
	log_notice("login to %s done; tokens saved in %s", l->a->cfg.server,
		   l->a->cfg.token_store);
	rpc_req_on_cancel(l->req, NULL, NULL);
	rpc_reply(l->req, o);
	login_free(l);
}

static void save(struct loop_timer *t, void *arg)
{
	struct login *l = arg;
	const char *path = l->a->cfg.token_store;
	char why[600], *text = NULL, *out = NULL;
	size_t len;
	int fd, err;

	(void)t;
	err = token_store_lock(path, true, &fd, why, sizeof(why));
	if (err == -EWOULDBLOCK && ++l->lock_tries < LOCK_TRIES) {
		loop_timer_set(l->timer, LOCK_RETRY_MS);
		return;
	}
	if (err)
		return fail(l, "internal", "%s", why);
	err = token_store_read(fd, &text, &len);
	if (!err)
		err = token_store_update(text, len, l->a->cfg.server,
					 l->t.id_token, l->t.refresh_token,
					 &out);
	if (!err)
		err = token_store_write(fd, out, strlen(out));
	token_store_unlock(fd);
	if (text)
		OPENSSL_cleanse(text, len);
	if (out)
		OPENSSL_cleanse(out, strlen(out));
	free(text);
	free(out);
	if (err == -EINVAL)
		return fail(l, "internal",
			    "the token store %s is not a JSON object; fix or remove it",
			    path);
	if (err)
		return fail(l, "internal", "cannot write the token store %s: %s",
			    path, strerror(-err));
	answer(l);
}

/* --- 5. the keys, the validation -------------------------------------- */

static void jwks_done(void *arg, int status, const char *body, size_t len,
		      const char *err)
{
	struct login *l = arg;
	const char *iss = l->ai.issuer, *why;
	struct jwt_expect ex = {
		.issuers = &iss,
		.n_issuers = 1,
		.audience = l->ai.client_id,
		.nonce = l->nonce,
		.now = time(NULL),
		.skew = 0,
	};
	enum jwt_verdict v;
	struct jwks *keys;

	l->http = NULL;
	if (err)
		return fail(l, "unavailable",
			    "identity provider unreachable: %s: %s",
			    l->d.jwks_uri, err);
	if (status != 200)
		return fail(l, "unavailable",
			    "identity provider %s: its keys answered HTTP %d",
			    l->ai.issuer, status);
	keys = jwks_parse(body, len, &why);
	if (!keys)
		return fail(l, "internal", "identity provider %s: keys: %s",
			    l->ai.issuer, why);
	v = jwt_verify_token(l->t.id_token, strlen(l->t.id_token), keys, &ex,
			     &l->claims);
	jwks_free(keys);
	if (v == JWT_ERR_NONCE)
		return fail(l, "invalid",
			    "Nonce in the ID token doesn't match the one in the authorization request");
	if (v != JWT_OK)
		return fail(l, "invalid", "the ID token from %s is not valid: %s",
			    l->ai.issuer, jwt_verdict_str(v));
	l->timer = loop_timer_new(l->a->loop, save, l);
	if (!l->timer)
		return fail(l, "internal", "out of memory");
	save(l->timer, l);
}

/* --- 4. the code exchange --------------------------------------------- */

static void token_done(void *arg, int status, const char *body, size_t len,
		       const char *err)
{
	struct login *l = arg;
	char why[300];
	int e;

	l->http = NULL;
	if (err)
		return fail(l, "unavailable",
			    "identity provider unreachable: %s: %s",
			    l->d.token_endpoint, err);
	e = oidc_token_response_parse(body, len, true, &l->t, why,
				      sizeof(why));
	if (e || status != 200)
		return fail(l, "invalid", "the token endpoint %s (HTTP %d): %s",
			    l->d.token_endpoint, status,
			    e ? why : "unexpected status");
	l->http = fetch(l, l->d.jwks_uri, NULL, jwks_done);
	if (!l->http)
		fail(l, "unavailable", "identity provider unreachable: %s: %s",
		     l->d.jwks_uri, strerror(errno));
}

static const char *safe_text(json_object *o, const char *key)
{
	const char *s = jwks_json_str(o, key);

	return s && strlen(s) < 300 ? log_esc(s) : NULL;
}

static void auth_response(void *data, json_object *result,
			  const struct rpc_err *err)
{
	struct login *l = data;
	const char *code, *e, *desc, *state;
	char *form;
	size_t size;

	l->call = NULL;
	if (err)
		return fail(l, "unavailable",
			    err->code == RPC_CONNECTION_CLOSED ?
			    "the connection to the server %s closed during the login%s" :
			    "the server %s cannot relay a login: %s",
			    l->a->cfg.server,
			    err->code == RPC_CONNECTION_CLOSED ? "" :
			    log_esc(err->message));
	e = safe_text(result, "error");
	desc = safe_text(result, "error_description");
	if (json_object_object_get_ex(result, "error", NULL)) {
		if (desc)
			return fail(l, "invalid", "Authentication error: %s (%s)",
				    desc, e ? e : "?");
		return fail(l, "invalid", "Authentication error: %s",
			    e ? e : "?");
	}
	state = jwks_json_str(result, "state");
	code = jwks_json_str(result, "code");
	if (state && strcmp(state, l->state) != 0)
		return fail(l, "invalid",
			    "the server relayed the answer of another login (state differs)");
	if (!code || !*code || strlen(code) > 4096)
		return fail(l, "invalid",
			    "the identity provider's redirect carried no code");
	size = 3 * (strlen(code) + strlen(l->redirect) +
		    strlen(l->ai.client_id)) + 256;
	form = calloc(1, size);
	if (!form ||
	    http_form_add(form, size, "grant_type", "authorization_code") ||
	    http_form_add(form, size, "code", code) ||
	    http_form_add(form, size, "redirect_uri", l->redirect) ||
	    http_form_add(form, size, "client_id", l->ai.client_id) ||
	    http_form_add(form, size, "code_verifier", l->verifier)) {
		free(form);
		return fail(l, "internal", "out of memory");
	}
	log_info("login: the browser came back; exchanging the code at %s",
		 l->d.token_endpoint);
	l->http = fetch(l, l->d.token_endpoint, form, token_done);
	OPENSSL_cleanse(form, size);
	free(form);
	if (!l->http)
		fail(l, "unavailable", "identity provider unreachable: %s: %s",
		     l->d.token_endpoint, strerror(errno));
}

/* --- 3. the relay at the hub, the URL --------------------------------- */

void login_registered(struct agent *a)
{
	struct login *l = a->login;
	char challenge[OIDC_RANDOM_LEN], *url;
	size_t size;
	json_object *o;
	int err = 0;

	if (!l || !l->call)
		return;
	if (oidc_pkce_challenge(l->verifier, challenge))
		return fail(l, "internal", "cannot hash the PKCE verifier");
	size = strlen(l->d.authorization_endpoint) + 3 * strlen(l->redirect) +
	       3 * strlen(l->ai.client_id) + 512;
	url = calloc(1, size);
	if (!url)
		return fail(l, "internal", "out of memory");
	/* the endpoint's own query parameters stay (auth note §8.6) */
	snprintf(url, size, "%s%c", l->d.authorization_endpoint,
		 strchr(l->d.authorization_endpoint, '?') ? '&' : '?');
	{
		size_t n = strlen(url);

		err |= http_form_add(url + n, size - n, "response_type", "code");
		err |= http_form_add(url + n, size - n, "scope",
				     "openid profile email offline_access");
		err |= http_form_add(url + n, size - n, "client_id",
				     l->ai.client_id);
		err |= http_form_add(url + n, size - n, "redirect_uri",
				     l->redirect);
		err |= http_form_add(url + n, size - n, "state", l->state);
		err |= http_form_add(url + n, size - n, "nonce", l->nonce);
		err |= http_form_add(url + n, size - n, "code_challenge",
				     challenge);
		err |= http_form_add(url + n, size - n,
				     "code_challenge_method", "S256");
	}
	if (err) {
		free(url);
		return fail(l, "internal", "the authorization URL is too long");
	}
	o = json_object_new_object();
	json_object_object_add(o, "url", json_object_new_string(url));
	json_object_object_add(o, "hub",
			       json_object_new_string(a->cfg.server));
	rpc_notify(rpc_req_chan(l->req), CTL_LOGIN_URL, o);
	log_info("login: waiting for the browser (authorization at %s)",
		 l->d.authorization_endpoint);
	free(url);
}

static void relay(struct login *l)
{
	json_object *params;

	if (!l->a->chan)
		return fail(l, "unavailable",
			    "not connected to the server %s; try again when it is up",
			    l->a->cfg.server);
	if (oidc_random_string(l->state) || oidc_random_string(l->nonce) ||
	    oidc_random_string(l->verifier))
		return fail(l, "internal", "no random bytes from OpenSSL");
	params = json_object_new_array();
	json_object_array_add(params, json_object_new_string(l->state));
	l->call = rpc_call(l->a->chan, WIRE_GET_AUTHENTICATION_RESPONSE,
			   params, auth_response, l);
	if (!l->call)
		fail(l, "unavailable", "cannot call the server %s",
		     l->a->cfg.server);
}

/* --- 1., 2. auth-info, discovery --------------------------------------- */

static void discovery_done(void *arg, int status, const char *body,
			   size_t len, const char *err)
{
	struct login *l = arg;
	const char *why;

	l->http = NULL;
	if (err)
		return fail(l, "unavailable",
			    "identity provider unreachable: %s: %s",
			    l->ai.issuer, err);
	if (status != 200)
		return fail(l, "unavailable",
			    "identity provider %s: discovery answered HTTP %d",
			    l->ai.issuer, status);
	if (oidc_discovery_parse(body, len, l->ai.issuer, true, &l->d, &why))
		return fail(l, "internal", "identity provider %s: %s",
			    l->ai.issuer, why);
	relay(l);
}

static void auth_info_done(void *arg, int status, const char *body,
			   size_t len, const char *err)
{
	struct login *l = arg;
	char url[OIDC_MAX_URL + 64];
	const char *why;
	size_t n;
	int e;

	l->http = NULL;
	if (err)
		return fail(l, "unavailable",
			    "cannot get auth-info from the server %s: %s",
			    l->a->cfg.server, err);
	if (status != 200)
		return fail(l, "unavailable",
			    "the server %s answered auth-info with HTTP %d",
			    l->a->cfg.server, status);
	e = oidc_auth_info_parse(body, len, &l->ai, &why);
	if (e)
		return fail(l, e == -ENOENT ? "invalid" : "internal",
			    "server %s: %s", l->a->cfg.server, why);
	n = strlen(l->ai.issuer);
	snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
		 (int)(n && l->ai.issuer[n - 1] == '/' ? n - 1 : n),
		 l->ai.issuer);
	l->http = fetch(l, url, NULL, discovery_done);
	if (!l->http)
		fail(l, "unavailable", "identity provider unreachable: %s: %s",
		     l->ai.issuer, strerror(errno));
}

void login_start(struct agent *a, struct rpc_req *req)
{
	struct login *l;
	char url[2048];

	if (a->login)
		return unixrpc_error(req, "conflict",
				     "a login is already running; finish it in the browser or stop its nmbctl");
	if (token_source_hub_http(a->cfg.server, "/oidc-callback",
				  url, sizeof(url)))
		return unixrpc_error(req, "invalid",
				     "the server URL %s has no HTTP form",
				     a->cfg.server);
	l = calloc(1, sizeof(*l));
	if (!l)
		return unixrpc_error(req, "internal", "out of memory");
	l->a = a;
	l->req = req;
	a->login = l;
	snprintf(l->redirect, sizeof(l->redirect), "%s", url);
	rpc_req_on_cancel(req, on_cancel, l);
	token_source_hub_http(a->cfg.server, "/api/v1/auth-info", url,
			      sizeof(url));
	l->http = fetch(l, url, NULL, auth_info_done);
	if (!l->http)
		fail(l, "unavailable", "cannot ask the server %s for auth-info: %s",
		     a->cfg.server, strerror(errno));
}

void login_stop(struct agent *a)
{
	if (a->login)
		fail(a->login, "unavailable", "the agent stops");
}

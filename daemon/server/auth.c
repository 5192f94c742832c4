// SPDX-License-Identifier: GPL-2.0
/*
 * auth.c - a connection's ID token: asked for with get_id_token() when a
 * protected call needs it, validated, its roles derived, its user named,
 * refreshed 30 s after exp. Where not-my-board 0.13 is weaker, nmb:
 *  - gives the first get_id_token auth.id_token_timeout seconds too (a
 *    client that never answers does not pin its calls for ever);
 *  - says "Permission lost" when a refreshed token lacks any role used
 *    so far (not-my-board only when the new roles are a proper subset);
 *  - keeps a token only if it granted at least one call.
 * The token itself is never logged or kept beyond its validation: only
 * its claims are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "auth.h"
#include "auth_config.h"
#include "claims.h"
#include "config.h"
#include "idp.h"
#include "jwt_verify.h"
#include "log.h"
#include "net.h"
#include "protocol.h"
#include "server.h"
#include "timer.h"

_Static_assert(CLAIMS_ROLE_EXPORTER == SRV_ROLE_EXPORTER &&
	       CLAIMS_ROLE_IMPORTER == SRV_ROLE_IMPORTER,
	       "an ID token's roles are the connection's");

struct gated {
	struct srv_auth_conn *a;
	struct rpc_req *req;
	json_object *params;
	rpc_handler_fn fn;
	unsigned int role;
	TAILQ_ENTRY(gated) link;
};

TAILQ_HEAD(gated_queue, gated);

struct srv_auth_conn {
	struct srv_conn *c;
	json_object *claims;		/* the held token's; NULL: none */
	unsigned int roles, used;
	struct rpc_call *call;		/* get_id_token in flight */
	bool busy;			/* asking or validating */
	bool refreshing;
	char *token;			/* received, until validated */
	size_t token_len;
	struct srv_idp_wait wait;
	struct srv_timer *refresh;	/* exp + 30 s */
	struct srv_timer *deadline;	/* the answer's 30 s */
	struct gated_queue queue;
};

static const char *role_name(unsigned int role)
{
	return role & CLAIMS_ROLE_EXPORTER ? "exporter" : "importer";
}

static void roles_text(unsigned int roles, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", roles & CLAIMS_ROLE_EXPORTER ?
		 "exporter" : "", roles == (CLAIMS_ROLE_EXPORTER |
					    CLAIMS_ROLE_IMPORTER) ? "," : "",
		 roles & CLAIMS_ROLE_IMPORTER ? "importer" :
		 roles & CLAIMS_ROLE_EXPORTER ? "" : "none");
}

static void drop_token(struct srv_auth_conn *a)
{
	if (!a->token)
		return;
	explicit_bzero(a->token, a->token_len);
	free(a->token);
	a->token = NULL;
	a->token_len = 0;
}

static void gated_free(struct gated *g)
{
	TAILQ_REMOVE(&g->a->queue, g, link);
	json_object_put(g->params);
	free(g);
}

static void gated_cancelled(struct rpc_req *req, void *data)
{
	(void)req;
	gated_free(data);
}

/* Runs or refuses one waiting call against the held token. */
static void check(struct srv_auth_conn *a, struct rpc_req *req,
		  json_object *params, unsigned int role, rpc_handler_fn fn)
{
	struct srv_conn *c = a->c;

	if (!a->claims || !(a->roles & role)) {
		log_notice("conn=%u peer=%s user=%s: %s refused: the ID token has no %s role",
			   c->id, c->ip, c->sess ? c->sess->user : "?",
			   rpc_req_method(req), role_name(role));
		rpc_errorf(req, RPC_INTERNAL_ERROR,
			   "Permission denied: requires role \"%s\"",
			   role_name(role));
		return;
	}
	a->used |= role;
	c->roles = a->roles;
	fn(req, params, c);
}

/* The queue after an answer: each call checked, or failed with err. */
static void run_queue(struct srv_auth_conn *a, const char *err)
{
	struct gated_queue q;
	struct gated *g;

	/* handlers may queue again (they should not): keep those */
	TAILQ_INIT(&q);
	TAILQ_CONCAT(&q, &a->queue, link);
	while ((g = TAILQ_FIRST(&q))) {
		struct rpc_req *req = g->req;
		json_object *params = g->params;
		rpc_handler_fn fn = g->fn;
		unsigned int role = g->role;

		TAILQ_REMOVE(&q, g, link);
		free(g);
		rpc_req_on_cancel(req, NULL, NULL);
		if (err)
			rpc_error(req, RPC_INTERNAL_ERROR, err);
		else
			check(a, req, params, role, fn);
		json_object_put(params);
	}
}

static void ask(struct srv_auth_conn *a);

static void refresh_due(struct server *srv, void *data)
{
	struct srv_auth_conn *a = data;

	(void)srv;
	if (a->busy || a->c->closing)
		return;
	a->refreshing = true;
	ask(a);
}

/* A failure of the asking: a refresh closes, a first ask answers. */
static void fail(struct srv_auth_conn *a, const char *why)
{
	struct srv_conn *c = a->c;

	a->busy = false;
	drop_token(a);
	srv_idp_cancel(&a->wait);
	srv_timer_stop(a->deadline);
	c->srv->metrics.id_tokens_refused++;
	if (a->refreshing) {
		log_warn("conn=%u peer=%s user=%s: ID token refresh failed: %s; closing the connection",
			 c->id, c->ip, c->sess ? c->sess->user : "?",
			 log_esc(why));
		a->refreshing = false;
		/*
		 * Its places and reservations go at once: a session kept for
		 * the grace time could be resumed by a connection that holds
		 * no token yet, and keep what the user may no longer hold.
		 */
		c->no_grace = true;
		/* the reason is kept until the close: static texts only */
		srv_conn_close(c, 1008, strcmp(why, "Permission lost") != 0 ?
			       "ID token refresh failed" : "Permission lost");
		run_queue(a, "ID token refresh failed; connection closing");
		return;
	}
	log_warn("conn=%u peer=%s: ID token refused: %s", c->id, c->ip,
		 log_esc(why));
	run_queue(a, why);
}

static void set_user(struct srv_auth_conn *a, const char *iss)
{
	const struct srv_auth_issuer *is = srv_auth_issuer(a->c->srv->cfg->auth,
							   iss);
	struct srv_session *s = a->c->sess;
	char *name = NULL;

	if (!s)
		return;
	if (claims_user_name(is ? (const char *const *)is->formats : NULL,
			     is ? is->n_formats : 0, a->claims, &name)) {
		snprintf(s->user, sizeof(s->user), "<%u>", a->c->id);
		return;
	}
	snprintf(s->user, sizeof(s->user), "%s", name);
	free(name);
}

static void log_accepted(struct srv_auth_conn *a, const char *iss)
{
	const struct srv_auth_issuer *is = srv_auth_issuer(a->c->srv->cfg->auth,
							   iss);
	struct srv_conn *c = a->c;
	json_object *shown;
	char roles[32], buf[1024];
	const char *text = "{}";
	size_t len = 2;

	shown = claims_show(a->claims, is && is->show ?
			    (const char *const *)is->show : NULL,
			    is && is->show ? is->n_show : 0);
	if (shown)
		text = json_object_to_json_string_length(shown,
				JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	roles_text(a->roles, roles, sizeof(roles));
	log_escape(buf, sizeof(buf), text, len, 900);
	log_info("conn=%u peer=%s user=%s: ID token %s from %s, roles %s, claims %s",
		 c->id, c->ip, c->sess ? c->sess->user : "?",
		 a->refreshing ? "refreshed" : "accepted", log_esc(iss),
		 roles, buf);
	json_object_put(shown);
}

static void accept_token(struct srv_auth_conn *a, json_object *claims)
{
	const struct srv_auth_cfg *cfg = a->c->srv->cfg->auth;
	struct srv_conn *c = a->c;
	unsigned int roles = claims_roles(cfg->perms, cfg->n_perms, claims,
					  cfg->issuer);
	json_object *v;
	const char *iss;
	double exp = 0, delay;

	if (a->refreshing && (a->used & ~roles)) {
		json_object_put(claims);
		return fail(a, "Permission lost");
	}
	json_object_put(a->claims);
	a->claims = claims;
	a->roles = roles;
	c->roles = roles;
	c->srv->metrics.id_tokens_accepted++;
	iss = json_object_object_get_ex(claims, "iss", &v) ?
	      json_object_get_string(v) : "";
	set_user(a, iss);
	log_accepted(a, iss);
	if (json_object_object_get_ex(claims, "exp", &v))
		exp = json_object_get_double(v);
	/* exp is any JSON number: clamped before it becomes an integer */
	delay = exp + SRV_AUTH_REFRESH_AFTER_S - (double)time(NULL);
	if (!(delay >= 1))
		delay = 1;
	if (delay > SRV_AUTH_REFRESH_MAX_S)
		delay = SRV_AUTH_REFRESH_MAX_S;
	srv_timer_set(a->refresh, (uint64_t)delay * 1000000);
	a->busy = false;
	a->refreshing = false;
	srv_timer_stop(a->deadline);
	run_queue(a, NULL);
	if (!a->used && !a->busy) {
		/* granted nothing: the next protected call asks again */
		json_object_put(a->claims);
		a->claims = NULL;
		a->roles = 0;
		c->roles = 0;
		srv_timer_stop(a->refresh);
	}
}

static void got_keys(void *arg, const struct jwks *keys, const char *err)
{
	struct srv_auth_conn *a = arg;
	const struct srv_auth_cfg *cfg = a->c->srv->cfg->auth;
	struct jwt_expect ex = {
		.issuers = (const char *const *)cfg->trusted,
		.n_issuers = cfg->n_trusted,
		.audience = cfg->client_id,
		.now = time(NULL),
		.skew = SRV_AUTH_SKEW_S,
	};
	json_object *claims = NULL;
	enum jwt_verdict v;
	char why[128];

	if (err)
		return fail(a, err);
	v = jwt_verify_token(a->token, a->token_len, keys, &ex, &claims);
	drop_token(a);
	if (v != JWT_OK) {
		snprintf(why, sizeof(why), "Invalid ID token: %s",
			 jwt_verdict_str(v));
		return fail(a, why);
	}
	accept_token(a, claims);
}

static void validate(struct srv_auth_conn *a, const char *token, size_t len)
{
	char *iss = NULL, *kid = NULL, why[400];
	enum jwt_verdict v;

	v = jwt_peek(token, len, 0, &iss, &kid);
	if (v != JWT_OK) {
		snprintf(why, sizeof(why), "Invalid ID token: %s",
			 jwt_verdict_str(v));
		goto out;
	}
	if (!iss || !srv_auth_trusted(a->c->srv->cfg->auth, iss)) {
		snprintf(why, sizeof(why), "Unknown issuer: %.300s",
			 iss ? iss : "(none)");
		goto out;
	}
	a->token = malloc(len + 1);
	if (!a->token) {
		snprintf(why, sizeof(why), "Out of memory");
		goto out;
	}
	memcpy(a->token, token, len);
	a->token[len] = 0;
	a->token_len = len;
	srv_idp_keys(a->c->srv, iss, kid, &a->wait, got_keys, a);
	why[0] = 0;
out:
	free(iss);
	free(kid);
	if (why[0])
		fail(a, why);
}

static void answered(void *data, json_object *result,
		     const struct rpc_err *err)
{
	struct srv_auth_conn *a = data;
	char why[300];

	a->call = NULL;
	if (err && err->code == RPC_CONNECTION_CLOSED)
		return;
	if (err) {
		snprintf(why, sizeof(why), "%.280s", err->message ?
			 err->message : "get_id_token failed");
		return fail(a, why);
	}
	if (!json_object_is_type(result, json_type_string))
		return fail(a, "get_id_token did not answer a string");
	validate(a, json_object_get_string(result),
		 (size_t)json_object_get_string_len(result));
}

static void too_late(struct server *srv, void *data)
{
	struct srv_auth_conn *a = data;
	char why[80];

	(void)srv;
	if (a->call) {
		rpc_call_cancel(a->call);
		a->call = NULL;
	}
	snprintf(why, sizeof(why), "get_id_token: no valid answer within %u s",
		 a->c->srv->cfg->auth->answer_s);
	fail(a, why);
}

static void ask(struct srv_auth_conn *a)
{
	a->busy = true;
	srv_timer_set(a->deadline, a->c->srv->cfg->auth->answer_s * 1000000ull);
	a->call = rpc_call(a->c->rpc, WIRE_GET_ID_TOKEN, NULL, answered, a);
	if (!a->call)
		fail(a, "cannot call get_id_token");
}

void srv_auth_gate(struct srv_conn *c, struct rpc_req *req,
		   json_object *params, unsigned int role, rpc_handler_fn fn)
{
	struct srv_auth_conn *a = c->auth;
	struct gated *g;

	if (!a)
		return fn(req, params, c);
	if (!a->busy && a->claims)
		return check(a, req, params, role, fn);
	g = calloc(1, sizeof(*g));
	if (!g)
		return rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
	g->a = a;
	g->req = req;
	g->params = json_object_get(params);
	g->fn = fn;
	g->role = role;
	TAILQ_INSERT_TAIL(&a->queue, g, link);
	rpc_req_on_cancel(req, gated_cancelled, g);
	if (!a->busy)
		ask(a);
}

int srv_auth_conn_new(struct srv_conn *c)
{
	struct srv_auth_conn *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->c = c;
	TAILQ_INIT(&a->queue);
	a->refresh = srv_timer_new(c->srv, refresh_due, a);
	a->deadline = srv_timer_new(c->srv, too_late, a);
	c->auth = a;
	if (!a->refresh || !a->deadline) {
		srv_auth_conn_free(c);
		return -ENOMEM;
	}
	return 0;
}

void srv_auth_conn_free(struct srv_conn *c)
{
	struct srv_auth_conn *a = c->auth;

	if (!a)
		return;
	while (!TAILQ_EMPTY(&a->queue))
		gated_free(TAILQ_FIRST(&a->queue));
	srv_idp_cancel(&a->wait);
	drop_token(a);
	srv_timer_free(&a->deadline);
	srv_timer_free(&a->refresh);
	json_object_put(a->claims);
	free(a);
	c->auth = NULL;
}

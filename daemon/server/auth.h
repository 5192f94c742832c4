/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth.h - OpenID Connect on a /ws connection (auth.c), as not-my-board
 * 0.13 does it (auth note §4): at the first role-protected call the
 * server calls get_id_token() back on the same connection while that
 * call waits, validates the token (lib/jwt_verify, keys from idp.h),
 * derives roles (lib/claims) and keeps it; it asks again 30 s after
 * exp; each answer has auth.id_token_timeout seconds (30 by default).
 * Calls are serialised per connection: while get_id_token is in
 * flight, later protected calls wait behind it.
 *
 * Only connections without a static bearer token, on a server with
 * `auth:` configured, have this state (srv_conn.auth).
 */
#ifndef NMB_SERVER_AUTH_H
#define NMB_SERVER_AUTH_H

#include "jsonrpc.h"

struct srv_conn;

/* Seconds after exp before the server asks again (not-my-board's). */
#define SRV_AUTH_REFRESH_AFTER_S	30
/* Longest wait for a refresh, whatever exp says (a year). */
#define SRV_AUTH_REFRESH_MAX_S		(365 * 86400)
/* Clock skew allowed on exp, nbf, iat (not-my-board's leeway). */
#define SRV_AUTH_SKEW_S			30

/* 0 or -ENOMEM. */
int srv_auth_conn_new(struct srv_conn *c);
/* After the channel is closed (queued calls are cancelled by then). */
void srv_auth_conn_free(struct srv_conn *c);

/*
 * Runs fn(req, params, c) once c holds a token with role (a
 * CLAIMS_ROLE_* bit), or answers req with why not. Without OIDC state
 * on c, runs fn at once (the handler checks static tokens' roles).
 */
void srv_auth_gate(struct srv_conn *c, struct rpc_req *req,
		   json_object *params, unsigned int role, rpc_handler_fn fn);

#endif /* NMB_SERVER_AUTH_H */

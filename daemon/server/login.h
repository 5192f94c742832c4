/* SPDX-License-Identifier: GPL-2.0 */
/*
 * login.h - the login relay of not-my-board 0.13 (auth note §8 steps 5
 * and 7; login.c): get_authentication_response(state) waits until the
 * browser comes back to GET /oidc-callback?state=...&code=..., whose
 * query parameters become its result. The server only relays: the CLI
 * exchanges the code itself.
 */
#ifndef NMB_SERVER_LOGIN_H
#define NMB_SERVER_LOGIN_H

#include <stddef.h>

#include <json-c/json.h>

#include "jsonrpc.h"

struct lws;
struct server;
struct srv_conn;

#define SRV_LOGIN_STATE_MAX	512	/* bytes of a state */
#define SRV_LOGIN_PER_CONN	4	/* logins waiting per connection */
#define SRV_LOGIN_MAX		256	/* logins waiting in all */
#define SRV_LOGIN_QUERY_MAX	8192	/* bytes of a callback's query */
#define SRV_LOGIN_ARGS_MAX	64	/* parameters of a callback */
#define SRV_LOGIN_LINGER_S	10	/* an answered state answers 200 */

/* The method (any role may call it, even with auth on). */
void srv_login_method(struct rpc_req *req, json_object *params, void *ctx);
/* GET /oidc-callback; returns the lws callback result. */
int srv_login_callback(struct server *srv, struct lws *wsi);
/* The connection is going: its logins go too. */
void srv_login_conn_closed(struct server *srv, struct srv_conn *c);
void srv_login_free(struct server *srv);

/*
 * login_query.c: the query's parameters, each "key=value" or "key" as
 * libwebsockets gives them (URL-decoded), as a flat object (the last
 * of repeated keys wins, as not-my-board's dict() does). NULL with *why
 * set when there are more than SRV_LOGIN_ARGS_MAX, a key is empty, or
 * one is not UTF-8 (or holds a NUL).
 */
json_object *srv_login_query(const char *const *args, const size_t *lens,
			     size_t n, const char **why);

#endif /* NMB_SERVER_LOGIN_H */

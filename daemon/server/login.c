// SPDX-License-Identifier: GPL-2.0
/*
 * login.c - the login relay (auth note §8): each waiting
 * get_authentication_response is an entry of the server's list, found
 * by its state when the browser comes back to /oidc-callback. The entry
 * goes when the call ends (answered, cancelled, connection closed); an
 * answered one lingers SRV_LOGIN_LINGER_S seconds so that a browser's
 * repeat of the same callback gets 200 (ignored), not 500. Limits: the
 * state's length and alphabet, entries per connection and in all, the
 * query's size and parameter count.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <libwebsockets.h>

#include "http.h"
#include "log.h"
#include "login.h"
#include "protocol.h"
#include "server.h"
#include "timer.h"

struct srv_login {
	struct server *srv;
	struct srv_conn *c;
	char *state;
	struct rpc_req *req;		/* NULL once answered */
	struct srv_timer *linger;
	LIST_ENTRY(srv_login) link;
};

static const char continue_text[] = "Continue in not-my-board CLI";

static void entry_free(struct srv_login *l)
{
	LIST_REMOVE(l, link);
	l->srv->n_logins--;
	srv_timer_free(&l->linger);
	free(l->state);
	free(l);
}

static void lingered(struct server *srv, void *data)
{
	(void)srv;
	entry_free(data);
}

static void cancelled(struct rpc_req *req, void *data)
{
	(void)req;
	entry_free(data);
}

static bool state_ok(const char *s, size_t len)
{
	if (!len || len > SRV_LOGIN_STATE_MAX)
		return false;
	/* RFC 3986 unreserved: base64url states, nothing to escape */
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    (!s[i] || !strchr("-._~", s[i])))
			return false;
	return true;
}

static struct srv_login *find(struct server *srv, const char *state)
{
	struct srv_login *l;

	LIST_FOREACH(l, &srv->logins, link)
		if (!strcmp(l->state, state))
			return l;
	return NULL;
}

void srv_login_method(struct rpc_req *req, json_object *params, void *ctx)
{
	struct srv_conn *c = ctx;
	struct server *srv = c->srv;
	struct srv_login *l;
	unsigned int mine = 0;
	json_object *a[1];
	char err[160];

	if (rpc_args(params, (const char *[]){ "state", NULL }, 1, a, err,
		     sizeof(err)))
		return rpc_errorf(req, RPC_INTERNAL_ERROR, "%s() %s",
				  WIRE_GET_AUTHENTICATION_RESPONSE, err);
	if (!json_object_is_type(a[0], json_type_string) ||
	    !state_ok(json_object_get_string(a[0]),
		      (size_t)json_object_get_string_len(a[0])))
		return rpc_errorf(req, RPC_INTERNAL_ERROR,
				  "state: Expected str of 1 to %d characters A-Z a-z 0-9 - . _ ~",
				  SRV_LOGIN_STATE_MAX);
	LIST_FOREACH(l, &srv->logins, link)
		mine += l->c == c;
	if (mine >= SRV_LOGIN_PER_CONN || srv->n_logins >= SRV_LOGIN_MAX) {
		log_warn("conn=%u peer=%s: login refused: %u logins waiting on the connection, %u in all (limits %d, %d)",
			 c->id, c->ip, mine, srv->n_logins, SRV_LOGIN_PER_CONN,
			 SRV_LOGIN_MAX);
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "Too many logins waiting; finish or cancel one first");
	}
	if (find(srv, json_object_get_string(a[0])))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "state already registered");
	l = calloc(1, sizeof(*l));
	if (!l)
		return rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
	l->srv = srv;
	l->c = c;
	l->req = req;
	l->state = strdup(json_object_get_string(a[0]));
	l->linger = srv_timer_new(srv, lingered, l);
	LIST_INSERT_HEAD(&srv->logins, l, link);
	srv->n_logins++;
	if (!l->state || !l->linger) {
		entry_free(l);
		return rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
	}
	rpc_req_on_cancel(req, cancelled, l);
	log_info("conn=%u peer=%s: login waiting for its /oidc-callback",
		 c->id, c->ip);
	rpc_notify(c->rpc, WIRE_OIDC_CALLBACK_REGISTERED,
		   json_object_new_object());
}

static int reply(struct lws *wsi, unsigned int status, const char *text)
{
	return srv_http_reply(wsi, status, "text/plain; charset=utf-8", text,
			      strlen(text), NULL, 0);
}

int srv_login_callback(struct server *srv, struct lws *wsi)
{
	char buf[SRV_LOGIN_QUERY_MAX + 1];
	const char *args[SRV_LOGIN_ARGS_MAX + 1], *why, *state;
	size_t lens[SRV_LOGIN_ARGS_MAX + 1], used = 0, n = 0;
	struct srv_login *l;
	json_object *q, *v;
	int len;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) >
	    SRV_LOGIN_QUERY_MAX) {
		log_warn("/oidc-callback: query over %d bytes refused",
			 SRV_LOGIN_QUERY_MAX);
		return reply(wsi, 500, "Internal Server Error");
	}
	for (int i = 0; n <= SRV_LOGIN_ARGS_MAX && used < sizeof(buf); i++) {
		len = lws_hdr_copy_fragment(wsi, buf + used,
					    (int)(sizeof(buf) - used),
					    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (len < 0)
			break;
		args[n] = buf + used;
		lens[n++] = (size_t)len;
		used += (size_t)len + 1;
	}
	q = srv_login_query(args, lens, n, &why);
	if (!q) {
		log_warn("/oidc-callback refused: %s", why);
		return reply(wsi, 500, "Internal Server Error");
	}
	state = json_object_object_get_ex(q, "state", &v) ?
		json_object_get_string(v) : NULL;
	l = state ? find(srv, state) : NULL;
	if (!l) {
		log_notice("/oidc-callback with %s state; no login waits for it",
			   state ? "an unknown" : "no");
		json_object_put(q);
		return reply(wsi, 500, "Internal Server Error");
	}
	if (!l->req) {
		json_object_put(q);
		return reply(wsi, 200, continue_text);
	}
	log_info("conn=%u peer=%s: login callback received; relaying it",
		 l->c->id, l->c->ip);
	rpc_req_on_cancel(l->req, NULL, NULL);
	rpc_reply(l->req, q);
	l->req = NULL;
	srv_timer_set(l->linger, SRV_LOGIN_LINGER_S * 1000000ull);
	return reply(wsi, 200, continue_text);
}

void srv_login_conn_closed(struct server *srv, struct srv_conn *c)
{
	struct srv_login *l, *next;

	for (l = LIST_FIRST(&srv->logins); l; l = next) {
		next = LIST_NEXT(l, link);
		if (l->c == c && !l->req)
			entry_free(l);
	}
}

void srv_login_free(struct server *srv)
{
	while (!LIST_EMPTY(&srv->logins)) {
		struct srv_login *l = LIST_FIRST(&srv->logins);

		if (l->req)
			rpc_req_on_cancel(l->req, NULL, NULL);
		entry_free(l);
	}
}

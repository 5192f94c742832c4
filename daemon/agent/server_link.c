// SPDX-License-Identifier: GPL-2.0
/*
 * server_link.c - the agent's connection to nmb-server through
 * lib/hub_client: hello with the grace token on every (re)connection
 * (Documentation/protocol.rst), so that reservations survive a short
 * outage, and the server's notifications (reservation_lost, handed to
 * reservation.c; reserve_queued, to queue.c; part_state, to
 * part_power.c). A not-my-board hub has no hello: the agent then works
 * without grace, lease and priority.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "connwait.h"
#include "hub_client.h"
#include "log.h"
#include "part_power.h"
#include "part_state.h"
#include "login.h"
#include "protocol.h"
#include "queue.h"
#include "queue_note.h"
#include "reservation.h"
#include "server_link.h"
#include "token_source.h"

static void m_reservation_lost(struct rpc_req *req, json_object *params,
			       void *ctx)
{
	static const char *const names[] = { "place_id", "reason", NULL };
	struct agent *a = hub_client_arg(ctx);
	json_object *x[2];
	char err[160];

	if (rpc_args(params, names, 1, x, err, sizeof(err))) {
		log_warn("server %s sent a malformed reservation_lost: %s",
			 a->cfg.server, log_esc(err));
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	}
	res_lost(a, json_object_get_int(x[0]),
		 x[1] ? json_object_get_string(x[1]) : "unknown");
	rpc_reply(req, NULL);
}

static void m_reserve_queued(struct rpc_req *req, json_object *params,
			     void *ctx)
{
	struct agent *a = hub_client_arg(ctx);
	struct queue_queued q;
	struct reservation *r;
	char err[160];

	if (queue_note_queued(params, &q, err, sizeof(err))) {
		log_warn("server %s sent a malformed reserve_queued: %s",
			 a->cfg.server, log_esc(err));
		return rpc_error(req, RPC_INTERNAL_ERROR, "malformed");
	}
	r = res_find(a, q.ticket);
	if (r)
		queue_position(r, q.position);
	rpc_reply(req, NULL);
}

static void m_part_state(struct rpc_req *req, json_object *params,
			 void *ctx)
{
	struct agent *a = hub_client_arg(ctx);
	struct part_state s;
	unsigned int place_id;
	char err[160];

	if (part_state_parse(params, &place_id, &s, err, sizeof(err))) {
		log_warn("server %s sent a malformed part_state: %s",
			 a->cfg.server, log_esc(err));
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	}
	part_power_tell(a, place_id, &s);
	rpc_reply(req, NULL);
}

/* OpenID Connect: the hub asks for our ID token (auth note §1). */
static void m_get_id_token(struct rpc_req *req, json_object *params,
			   void *ctx)
{
	struct agent *a = hub_client_arg(ctx);

	(void)params;
	token_source_answer(a->tokens, req);
}

/* nmbctl login: the hub keeps our state now (auth note §8.5). */
static void m_oidc_callback_registered(struct rpc_req *req,
				       json_object *params, void *ctx)
{
	(void)params;
	login_registered(hub_client_arg(ctx));
	rpc_reply(req, NULL);
}

static const struct rpc_method methods[] = {
	{ WIRE_GET_ID_TOKEN, m_get_id_token },
	{ WIRE_OIDC_CALLBACK_REGISTERED, m_oidc_callback_registered },
	{ WIRE_RESERVATION_LOST, m_reservation_lost },
	{ WIRE_RESERVE_QUEUED, m_reserve_queued },
	{ WIRE_PART_STATE, m_part_state },
	{ NULL, NULL },
};

static bool has_feature(json_object *list, const char *name)
{
	size_t n = json_object_is_type(list, json_type_array) ?
		   json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(json_object_get_string(
				json_object_array_get_idx(list, i)), name))
			return true;
	return false;
}

static void hello_done(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct rpc_chan *chan = data;
	struct agent *a = hub_client_arg(rpc_chan_ctx(chan));
	struct server_features *f = &a->feat;
	json_object *v;
	bool resumed = false;
	int grace = 0;

	if (err && err->code == RPC_CONNECTION_CLOSED)
		return;
	if (err) {
		/* A not-my-board hub: no hello, no grace. */
		log_info("server %s has no hello (%s): no reconnect grace, lease or priority",
			 a->cfg.server, log_esc(err->message));
		a->session[0] = '\0';
		memset(f, 0, sizeof(*f));
	} else {
		if (json_object_object_get_ex(result, "session", &v))
			snprintf(a->session, sizeof(a->session), "%s",
				 json_object_get_string(v));
		if (json_object_object_get_ex(result, "resumed", &v))
			resumed = json_object_get_boolean(v);
		if (json_object_object_get_ex(result, "grace", &v))
			grace = json_object_get_int(v);
		json_object_object_get_ex(result, "features", &v);
		f->lease = has_feature(v, "lease");
		f->priority = has_feature(v, "priority");
		f->notify = has_feature(v, "notify");
		f->queue = has_feature(v, "queue");
		f->hosts = has_feature(v, "hosts");
		log_info("connected to server %s: session %s, grace %d s",
			 a->cfg.server, resumed ? "resumed" : "new", grace);
	}
	a->chan = chan;
	a->down_logged = false;
	if (!resumed)
		res_lost(a, 0, "the server did not keep our session");
	connwait_up(a);
}

/* This machine's name for nmbctl who, if the server would take it. */
static bool plain_hostname(char *buf, size_t len)
{
	if (gethostname(buf, len) || !buf[0] || strlen(buf) > 64)
		return false;
	for (const char *s = buf; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_", *s))
			return false;
	return true;
}

static void up(struct hub_client *hc, struct rpc_chan *chan, void *arg)
{
	static const char *const features[] = {
		"grace", "lease", "priority", "notify", "queue", "hosts",
		"part_state", WIRE_FEATURE_SECRET, NULL,
	};
	struct agent *a = arg;
	json_object *params = json_object_new_object(), *f;
	char host[256];

	(void)hc;
	f = json_object_new_array();
	for (const char *const *s = features; *s; s++)
		json_object_array_add(f, json_object_new_string(*s));
	json_object_object_add(params, "features", f);
	if (a->session[0])
		json_object_object_add(params, "session",
				       json_object_new_string(a->session));
	if (plain_hostname(host, sizeof(host)))
		json_object_object_add(params, "host",
				       json_object_new_string(host));
	if (!rpc_call(chan, WIRE_HELLO, params, hello_done, chan))
		log_err("server %s: cannot send hello", a->cfg.server);
}

static void down(struct hub_client *hc, const char *why, void *arg)
{
	struct agent *a = arg;

	(void)hc;
	if (a->chan)
		log_warn("server %s: connection lost: %s; reconnecting%s",
			 a->cfg.server, why, a->session[0] ?
			 " within the grace time keeps our reservations" : "");
	else if (!a->down_logged)
		log_warn("server %s: cannot connect: %s; retrying with backoff up to 30 s",
			 a->cfg.server, why);
	else
		log_debug("server %s: still unreachable: %s", a->cfg.server,
			  why);
	a->down_logged = true;
	a->chan = NULL;
	snprintf(a->down_why, sizeof(a->down_why), "%s", why);
}

static const struct hub_client_ops ops = { .up = up, .down = down };

int server_link_start(struct agent *a)
{
	struct hub_client_conf hc = {
		.url = a->cfg.server,
		.token = a->cfg.token,
		.insecure = a->cfg.insecure,
		.proxy = a->cfg.proxy,
		.name = "agent",
		.methods = methods,
		.ops = &ops,
		.arg = a,
	};
	int err = hub_client_new(a->hub_lws, &hc, &a->hub);

	/* -ELIBACC, -EDESTADDRREQ: hub_client logged what is wrong. */
	if (err && err != -ELIBACC && err != -EDESTADDRREQ)
		log_err("cannot use the server URL '%s': %s", a->cfg.server,
			err == -EINVAL ?
			"expected ws://, wss://, http:// or https://HOST[:PORT][/PATH]" :
			strerror(-err));
	return err;
}

int agent_tokens_start(struct agent *a)
{
	const struct token_source_conf c = {
		.hub_url = a->cfg.server,
		.token_cmd = a->cfg.token_cmd,
		.store = a->cfg.token_store,
		.ca_file = a->cfg.ca_file,
		.insecure = a->cfg.insecure,
		.name = "agent",
	};
	int err = token_source_new(a->hub_lws, &c, &a->tokens);

	if (err)
		log_err("cannot set up the ID token source: %s",
			strerror(-err));
	return err;
}

void server_link_stop(struct agent *a)
{
	a->chan = NULL;
	hub_client_free(a->hub);
	a->hub = NULL;
}

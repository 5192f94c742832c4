// SPDX-License-Identifier: GPL-2.0
/*
 * hub.c - the connection to nmb-server through lib/hub_client: hello
 * with the grace token on every (re)connection (Documentation/
 * protocol.rst), so that reservations survive a short outage, and the
 * server's reservation_lost notifications. A not-my-board hub has no
 * hello: the agent then works without grace, lease and priority.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "hub_client.h"
#include "log.h"

/* The first failed attempt is a warning, the repeats are debug. */
static bool down_logged;

static void m_reservation_lost(struct rpc_req *req, json_object *params,
			       void *ctx)
{
	static const char *const names[] = { "place_id", "reason", NULL };
	json_object *a[2];
	char err[160];

	(void)ctx;
	if (rpc_args(params, names, 1, a, err, sizeof(err))) {
		log_warn("server sent a malformed reservation_lost: %s", err);
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	}
	res_lost(json_object_get_int(a[0]),
		 a[1] ? json_object_get_string(a[1]) : "unknown");
	rpc_reply(req, NULL);
}

static void m_reserve_queued(struct rpc_req *req, json_object *params,
			     void *ctx)
{
	static const char *const names[] = { "ticket", "position", NULL };
	struct reservation *r;
	json_object *a[2];
	char err[160] = "";

	(void)ctx;
	if (rpc_args(params, names, 2, a, err, sizeof(err)) ||
	    !json_object_is_type(a[0], json_type_string) ||
	    !json_object_is_type(a[1], json_type_int) ||
	    json_object_get_int64(a[1]) < 1) {
		log_warn("server sent a malformed reserve_queued: %s",
			 err[0] ? log_esc(err) :
			 "expected a ticket and a position");
		return rpc_error(req, RPC_INTERNAL_ERROR, "malformed");
	}
	r = res_find(json_object_get_string(a[0]));
	if (r)
		queue_position(r, (unsigned int)json_object_get_int(a[1]));
	rpc_reply(req, NULL);
}

static const struct rpc_method methods[] = {
	{ "reservation_lost", m_reservation_lost },
	{ "reserve_queued", m_reserve_queued },
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
	json_object *v;
	bool resumed = false;
	int grace = 0;

	if (err && err->code == RPC_CONNECTION_CLOSED)
		return;
	if (err) {
		/* A not-my-board hub: no hello, no grace. */
		log_info("server %s has no hello (%s): no reconnect grace, lease or priority",
			 agent.cfg.server, log_esc(err->message));
		agent.session[0] = '\0';
		agent.feat_lease = agent.feat_priority = false;
		agent.feat_notify = agent.feat_queue = false;
		agent.feat_hosts = false;
	} else {
		if (json_object_object_get_ex(result, "session", &v))
			snprintf(agent.session, sizeof(agent.session), "%s",
				 json_object_get_string(v));
		if (json_object_object_get_ex(result, "resumed", &v))
			resumed = json_object_get_boolean(v);
		if (json_object_object_get_ex(result, "grace", &v))
			grace = json_object_get_int(v);
		json_object_object_get_ex(result, "features", &v);
		agent.feat_lease = has_feature(v, "lease");
		agent.feat_priority = has_feature(v, "priority");
		agent.feat_notify = has_feature(v, "notify");
		agent.feat_queue = has_feature(v, "queue");
		agent.feat_hosts = has_feature(v, "hosts");
		log_info("connected to server %s: session %s, grace %d s",
			 agent.cfg.server, resumed ? "resumed" : "new", grace);
	}
	agent.chan = chan;
	down_logged = false;
	if (!resumed)
		res_lost(0, "the server did not keep our session");
	connwait_up();
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
	json_object *params = json_object_new_object(), *f;
	char host[256];

	(void)hc;
	(void)arg;
	f = json_object_new_array();
	json_object_array_add(f, json_object_new_string("grace"));
	json_object_array_add(f, json_object_new_string("lease"));
	json_object_array_add(f, json_object_new_string("priority"));
	json_object_array_add(f, json_object_new_string("notify"));
	json_object_array_add(f, json_object_new_string("queue"));
	json_object_array_add(f, json_object_new_string("hosts"));
	json_object_object_add(params, "features", f);
	if (agent.session[0])
		json_object_object_add(params, "session",
				       json_object_new_string(agent.session));
	if (plain_hostname(host, sizeof(host)))
		json_object_object_add(params, "host",
				       json_object_new_string(host));
	if (!rpc_call(chan, "hello", params, hello_done, chan))
		log_err("server %s: cannot send hello", agent.cfg.server);
}

static void down(struct hub_client *hc, const char *why, void *arg)
{
	(void)hc;
	(void)arg;
	if (agent.chan)
		log_warn("server %s: connection lost: %s; reconnecting%s",
			 agent.cfg.server, why, agent.session[0] ?
			 " within the grace time keeps our reservations" : "");
	else if (!down_logged)
		log_warn("server %s: cannot connect: %s; retrying with backoff up to 30 s",
			 agent.cfg.server, why);
	else
		log_debug("server %s: still unreachable: %s", agent.cfg.server,
			  why);
	down_logged = true;
	agent.chan = NULL;
	snprintf(agent.down_why, sizeof(agent.down_why), "%s", why);
}

static const struct hub_client_ops ops = { .up = up, .down = down };

int hub_start(void)
{
	struct hub_client_conf hc = {
		.url = agent.cfg.server,
		.token = agent.cfg.token,
		.ca_file = agent.cfg.ca_file,
		.insecure = agent.cfg.insecure,
		.name = "agent",
		.methods = methods,
		.ops = &ops,
	};
	int err = hub_client_new(agent.loop, &hc, &agent.hub);

	/* -ELIBACC: hub_client named the missing package already. */
	if (err && err != -ELIBACC)
		log_err("cannot use the server URL '%s': %s", agent.cfg.server,
			err == -EINVAL ?
			"expected ws://, wss://, http:// or https://HOST[:PORT][/PATH]" :
			strerror(-err));
	return err;
}

void hub_stop(void)
{
	agent.chan = NULL;
	hub_client_free(agent.hub);
	agent.hub = NULL;
	hub_client_cleanup();
}

struct rpc_chan *hub_chan(void)
{
	return agent.chan;
}

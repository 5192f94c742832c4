// SPDX-License-Identifier: GPL-2.0
/*
 * server_link.c - each place's link to the server (nmb-server or a
 * not-my-board hub), one hub connection per place: register_place with
 * the §5 description on every (re)connection, and set_allowed_ips from
 * the hub.
 * While the hub is away the allow-list stays as it was.
 *
 * Against nmb-server, each connection first calls hello (protocol.rst,
 * "Reconnect grace"): after a drop, hello with the session token of the
 * last connection resumes the place under its id, reservation included,
 * and no register_place follows. A not-my-board hub answers hello with
 * "Method not found": the place is then simply registered again.
 *
 * Once the place is registered or resumed, and if hello named the
 * feature part_state, the state of each emulated board is told with the
 * notification part_state, and again whenever it changes.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial_out.h"
#include "exporter.h"
#include "grant_secret.h"
#include "hub_client.h"
#include "jsonrpc.h"
#include "log.h"
#include "protocol.h"
#include "proxy.h"
#include "server_link.h"
#include "token_source.h"
#include "token_store.h"
#include "session.h"
#include "virtual.h"

static void set_allowed_ips(struct rpc_req *req, json_object *params,
			    void *ctx)
{
	static const char *const names[] = { "ips", WIRE_PARAM_SECRET, NULL };
	struct place *p = hub_client_arg(ctx);
	const char *secret = NULL;
	json_object *arg[2];
	char err[160], ip[INET6_ADDRSTRLEN], **ips;
	size_t n, i;

	if (rpc_args(params, names, 1, arg, err, sizeof(err)))
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	if (!arg[0] || !json_object_is_type(arg[0], json_type_array))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "ips: expected a list of IP addresses");
	if (arg[1] && !json_object_is_type(arg[1], json_type_null)) {
		secret = json_object_get_string(arg[1]);
		if (!json_object_is_type(arg[1], json_type_string) ||
		    !grant_secret_valid(secret))
			return rpc_error(req, RPC_INTERNAL_ERROR,
					 "secret: expected 43 base64url characters");
	}
	n = json_object_array_length(arg[0]);
	ips = calloc(n + 1, sizeof(*ips));
	if (!ips)
		return rpc_error(req, RPC_INTERNAL_ERROR, "out of memory");
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arg[0], i);
		const char *s = json_object_is_type(o, json_type_string) ?
				json_object_get_string(o) : NULL;

		if (s && !ip_normalise(s, ip, sizeof(ip)))
			ips[i] = strdup(ip);
		if (!ips[i]) {
			rpc_errorf(req, RPC_INTERNAL_ERROR,
				   "'%s' does not appear to be an IPv4 or IPv6 address",
				   s ? s : json_object_to_json_string(o));
			log_warn("place %s: the hub sent an invalid allow-list entry",
				 p->name);
			while (i--)
				free(ips[i]);
			free(ips);
			return;
		}
	}
	log_notice("place %s: allow-list set to [%s%s]%s", p->name,
		   n ? ips[0] : "", n > 1 ? ", ..." : "",
		   secret ? " with a reservation secret" : "");
	proxy_set_allowed(p, ips, n, secret);
	rpc_reply(req, NULL);
}

static void tell_part(struct place *p, unsigned int part)
{
	struct rpc_chan *chan;
	struct part_state s;

	if (!p->tells_parts || part >= p->n_parts || !p->parts[part].virt)
		return;
	chan = hub_client_chan(p->hub);
	if (!chan)
		return;
	virtual_part_state(p->parts[part].virt, &s);
	if (rpc_notify(chan, WIRE_PART_STATE, part_state_json(&s, -1)))
		log_warn("place %s: cannot send part_state of part %u",
			 p->name, part);
}

void server_link_part_state(struct place *p, unsigned int part)
{
	tell_part(p, part);
}

/* Registered or resumed: every board's state, as it is now. */
static void tell_parts(struct place *p)
{
	p->tells_parts = p->hub_part_state;
	for (size_t i = 0; i < p->n_parts; i++)
		tell_part(p, (unsigned int)i);
}

/* OpenID Connect: the hub asks for our ID token (auth note §1). */
static void get_id_token(struct rpc_req *req, json_object *params,
			 void *ctx)
{
	struct place *p = hub_client_arg(ctx);

	(void)params;
	token_source_answer(p->exp->tokens, req);
}

static const struct rpc_method methods[] = {
	{ WIRE_SET_ALLOWED_IPS, set_allowed_ips },
	{ WIRE_GET_ID_TOKEN, get_id_token },
	{ WIRE_RELAY_OPEN, dial_out_open },
	{ NULL, NULL },
};

static void registered(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct place *p = data;

	if (err) {
		if (err->code == RPC_CONNECTION_CLOSED)
			return;
		if (err->message && p->session &&
		    !strcmp(err->message, "Place already registered")) {
			log_notice("place %s: session resumed with its place",
				   p->name);
			tell_parts(p);
			return;
		}
		log_err("place %s: the hub refused the registration: %s; retrying",
			p->name, log_esc(err->message));
		hub_client_reconnect(p->hub);
		return;
	}
	p->place_id = json_object_get_int(result);
	log_notice("place %s: registered at the hub as place %d", p->name,
		   p->place_id);
	session_save(p->exp);
	tell_parts(p);
}

static void register_place(struct place *p)
{
	struct rpc_chan *chan = hub_client_chan(p->hub);
	json_object *params = json_object_new_array();

	json_object_array_add(params, config_place_desc(p));
	if (!chan || !rpc_call(chan, WIRE_REGISTER_PLACE, params, registered, p))
		log_err("place %s: cannot send register_place", p->name);
}

/* Does hello's answer list the feature? */
static bool has_feature(json_object *result, const char *name)
{
	json_object *list, *f;

	if (!json_object_object_get_ex(result, "features", &list) ||
	    !json_object_is_type(list, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		f = json_object_array_get_idx(list, i);
		if (json_object_is_type(f, json_type_string) &&
		    !strcmp(json_object_get_string(f), name))
			return true;
	}
	return false;
}

static void hello_done(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct place *p = data;
	json_object *o;
	bool resumed = false;

	if (err && err->code == RPC_CONNECTION_CLOSED)
		return;
	free(p->session);
	p->session = NULL;
	p->hub_part_state = false;
	if (err) {
		log_info("place %s: the hub has no session extension (%s); registering",
			 p->name, log_esc(err->message));
	} else if (json_object_is_type(result, json_type_object)) {
		if (json_object_object_get_ex(result, "session", &o) &&
		    json_object_is_type(o, json_type_string))
			p->session = strdup(json_object_get_string(o));
		resumed = json_object_object_get_ex(result, "resumed", &o) &&
			  json_object_get_boolean(o);
		p->hub_part_state = has_feature(result, "part_state");
	}
	if (resumed && p->place_id) {
		log_notice("place %s: session resumed, still place %d",
			   p->name, p->place_id);
		session_save(p->exp);
		tell_parts(p);
		return;
	}
	register_place(p);
}

static void up(struct hub_client *hc, struct rpc_chan *chan, void *arg)
{
	struct place *p = arg;
	json_object *params = json_object_new_object();
	json_object *features = json_object_new_array();

	(void)hc;
	p->tells_parts = false;
	json_object_array_add(features, json_object_new_string("grace"));
	json_object_array_add(features, json_object_new_string("part_state"));
	json_object_array_add(features,
			      json_object_new_string(WIRE_FEATURE_SECRET));
	if (p->dial_out)	/* relay_open's tls (dial_out.c) */
		json_object_array_add(features,
				json_object_new_string(WIRE_FEATURE_RELAY_TLS));
	json_object_object_add(params, "features", features);
	if (p->session)
		json_object_object_add(params, "session",
				       json_object_new_string(p->session));
	if (!rpc_call(chan, WIRE_HELLO, params, hello_done, p))
		log_err("place %s: cannot send hello", p->name);
}

static void down(struct hub_client *hc, const char *why, void *arg)
{
	struct place *p = arg;

	(void)hc;
	p->tells_parts = false;
	/* place_id stays: a resumed session keeps it */
	if (strstr(why, "unauthorized") || strstr(why, "403")) {
		log_err("place %s: the hub refused the connection (%s): check 'token' in the configuration and its role (exporter) on the server",
			p->name, why);
		return;
	}
	log_warn("place %s: hub connection: %s; reconnecting (allow-list kept: %zu IP(s))",
		 p->name, why, p->n_allowed);
}

static const struct hub_client_ops ops = { .up = up, .down = down };

int server_link_start(struct place *p)
{
	struct exporter_conf *cfg = &p->exp->cfg;
	struct hub_client_conf hc = {
		.url = cfg->server,
		.token = cfg->token,
		.insecure = !cfg->tls_verify,
		.proxy = cfg->proxy,
		.methods = methods,
		.ops = &ops,
		.arg = p,
	};
	char name[256];
	int err;

	snprintf(name, sizeof(name), "place %s", p->name);
	hc.name = name;
	err = hub_client_new(p->exp->hub_lws, &hc, &p->hub);
	/* -ELIBACC, -EDESTADDRREQ: hub_client logged what is wrong. */
	if (err && err != -ELIBACC && err != -EDESTADDRREQ)
		log_err("place %s: cannot use the hub URL '%s': %s", p->name,
			cfg->server, err == -EINVAL ?
			"expected ws://, wss://, http:// or https://HOST[:PORT][/PATH]" :
			strerror(-err));
	return err;
}

int server_link_tokens(struct exporter *e)
{
	char store[PATH_MAX];
	const struct token_source_conf c = {
		.hub_url = e->cfg.server,
		.token_cmd = e->cfg.token_cmd,
		.store = store,
		.ca_file = e->cfg.ca_file,
		.insecure = !e->cfg.tls_verify,
		.name = "exporter",
	};
	int err;

	/* default: in state_dir, beside sessions.json */
	if (e->cfg.token_store)
		snprintf(store, sizeof(store), "%s", e->cfg.token_store);
	else
		snprintf(store, sizeof(store), "%s/%s", e->cfg.state_dir,
			 TOKEN_STORE_NAME);
	err = token_source_new(e->hub_lws, &c, &e->tokens);
	if (err)
		log_err("cannot set up the ID token source: %s",
			strerror(-err));
	return err;
}

void server_link_stop(struct place *p)
{
	p->tells_parts = false;
	hub_client_free(p->hub);
	p->hub = NULL;
	free(p->session);
	p->session = NULL;
}

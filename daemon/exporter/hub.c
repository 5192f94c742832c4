// SPDX-License-Identifier: GPL-2.0
/*
 * hub.c - one hub connection per place: register_place with the §5
 * description on every (re)connection, and set_allowed_ips from the hub.
 * While the hub is away the allow-list stays as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "hub_client.h"
#include "jsonrpc.h"
#include "log.h"

static void set_allowed_ips(struct rpc_req *req, json_object *params,
			    void *ctx)
{
	static const char *const names[] = { "ips", NULL };
	struct place *p = hub_client_arg(ctx);
	json_object *arg[1];
	char err[160], ip[INET6_ADDRSTRLEN], **ips;
	size_t n, i;

	if (rpc_args(params, names, 1, arg, err, sizeof(err)))
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	if (!arg[0] || !json_object_is_type(arg[0], json_type_array))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "ips: expected a list of IP addresses");
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
	log_notice("place %s: allow-list set to [%s%s]", p->name,
		   n ? ips[0] : "", n > 1 ? ", ..." : "");
	proxy_set_allowed(p, ips, n);
	rpc_reply(req, NULL);
}

static const struct rpc_method methods[] = {
	{ "set_allowed_ips", set_allowed_ips },
	{ NULL, NULL },
};

static void registered(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct place *p = data;

	if (err) {
		if (err->code == RPC_CONNECTION_CLOSED)
			return;
		log_err("place %s: the hub refused the registration: %s; retrying",
			p->name, err->message ? err->message : "?");
		hub_client_reconnect(p->hub);
		return;
	}
	p->place_id = result ? json_object_get_int(result) : 0;
	log_notice("place %s: registered at the hub as place %d", p->name,
		   p->place_id);
}

static void up(struct hub_client *hc, struct rpc_chan *chan, void *arg)
{
	struct place *p = arg;
	json_object *params = json_object_new_array();

	(void)hc;
	json_object_array_add(params, config_place_desc(p));
	if (!rpc_call(chan, "register_place", params, registered, p))
		log_err("place %s: cannot send register_place", p->name);
}

static void down(struct hub_client *hc, const char *why, void *arg)
{
	struct place *p = arg;

	(void)hc;
	p->place_id = 0;
	log_warn("place %s: hub connection: %s; reconnecting (allow-list kept: %zu IP(s))",
		 p->name, why, p->n_allowed);
}

static const struct hub_client_ops ops = { .up = up, .down = down };

int hub_start(struct place *p)
{
	struct exporter_conf *cfg = &p->exp->cfg;
	struct hub_client_conf hc = {
		.url = cfg->server,
		.token = cfg->token,
		.ca_file = cfg->ca_file,
		.insecure = !cfg->tls_verify,
		.methods = methods,
		.ops = &ops,
		.arg = p,
	};
	char name[256];
	int err;

	snprintf(name, sizeof(name), "place %s", p->name);
	hc.name = name;
	err = hub_client_new(p->exp->loop, &hc, &p->hub);
	if (err)
		log_err("place %s: cannot use the hub URL '%s': %s", p->name,
			cfg->server, err == -EINVAL ?
			"expected ws://, wss://, http:// or https://HOST[:PORT][/PATH]" :
			strerror(-err));
	return err;
}

void hub_stop(struct place *p)
{
	hub_client_free(p->hub);
	p->hub = NULL;
}

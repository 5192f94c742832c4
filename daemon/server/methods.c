// SPDX-License-Identifier: GPL-2.0
/*
 * methods.c - the hub's JSON-RPC methods: argument checks, roles, then
 * the scheduling rules of scheduler.c. Extensions (hello, renew_lease and the
 * optional parameters) are described in Documentation/protocol.rst.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "auth.h"
#include "claims.h"
#include "farm.h"
#include "log.h"
#include "login.h"
#include "methods.h"
#include "part_report.h"
#include "place.h"
#include "protocol.h"
#include "scheduler.h"
#include "server.h"
#include "session.h"

#define ARGS(req, params, nreq, out, ...)				\
	({								\
		char err_[160];						\
		int r_ = rpc_args(params, (const char *[]){ __VA_ARGS__, \
					  NULL }, nreq, out, err_,	\
				  sizeof(err_));			\
		if (r_)							\
			rpc_errorf(req, RPC_INTERNAL_ERROR, "%s() %s",	\
				   rpc_req_method(req), err_);		\
		r_;							\
	})

static struct srv_conn *conn_of(void *ctx)
{
	return ctx;
}

static bool allowed(struct rpc_req *req, struct srv_conn *c,
		    unsigned int roles)
{
	const char *need = roles & SRV_ROLE_EXPORTER ? "exporter" :
			   roles & SRV_ROLE_IMPORTER ? "importer" :
			   roles & SRV_ROLE_ADMIN ? "admin" : "viewer";

	if (c->roles & roles)
		return true;
	rpc_errorf(req, RPC_INTERNAL_ERROR,
		   "Permission denied: %s needs a token with the %s role",
		   rpc_req_method(req), need);
	return false;
}

static bool get_uint(json_object *v, unsigned int *out)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < 0 || n > UINT32_MAX)
		return false;
	*out = (unsigned int)n;
	return true;
}

/* Python's str() of the argument, for "unknown id" errors. */
static void error_id(struct rpc_req *req, json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		rpc_error(req, RPC_INTERNAL_ERROR, json_object_get_string(v));
	else
		rpc_error(req, RPC_INTERNAL_ERROR,
			  json_object_to_json_string_ext(v,
					JSON_C_TO_STRING_PLAIN));
}

static void m_register_place(struct rpc_req *req, json_object *params,
			     void *ctx)
{
	struct srv_conn *c = conn_of(ctx);
	struct srv_place *p;
	json_object *a[1];
	char err[256];

	if (ARGS(req, params, 1, a, "export_desc") ||
	    !allowed(req, c, SRV_ROLE_EXPORTER))
		return;
	p = srv_place_parse(a[0], err, sizeof(err));
	if (!p)
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	if (c->sess->place) {
		srv_place_free(p);
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "Place already registered");
	}
	if (sched_place_by_name(&c->srv->sched, p->name)) {
		rpc_errorf(req, RPC_INTERNAL_ERROR,
			   "Place with name \"%s\" already registered",
			   p->name);
		srv_place_free(p);
		return;
	}
	p->id = c->id;
	strcpy(p->host, c->ip);
	if (sched_register(&c->srv->sched, c->sess, p)) {
		srv_place_free(p);
		return rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
	}
	rpc_reply(req, json_object_new_int((int32_t)p->id));
}

static void m_reserve(struct rpc_req *req, json_object *params, void *ctx)
{
	struct srv_conn *c = conn_of(ctx);
	const struct srv_config *cfg = c->srv->cfg;
	json_object *a[4];
	unsigned int lease = cfg->lease_default_s;
	int priority = 0;

	if (ARGS(req, params, 1, a, "candidate_ids", "priority", "lease",
		 "ticket") ||
	    !allowed(req, c, SRV_ROLE_IMPORTER))
		return;
	if (!json_object_is_type(a[0], json_type_array))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "candidate_ids: Expected list");
	for (size_t i = 0; i < json_object_array_length(a[0]); i++)
		if (!json_object_is_type(json_object_array_get_idx(a[0], i),
					 json_type_int))
			return rpc_errorf(req, RPC_INTERNAL_ERROR,
					  "candidate_ids.%zu: Expected int", i);
	if (a[1]) {
		int64_t v = json_object_get_int64(a[1]);

		if (!json_object_is_type(a[1], json_type_int) ||
		    v < -1000 || v > 1000)
			return rpc_error(req, RPC_INTERNAL_ERROR,
					 "priority: Expected int from -1000 to 1000");
		priority = (int)v;
	}
	if (a[2] && (!get_uint(a[2], &lease) || !lease))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "lease: Expected int seconds >= 1");
	if (cfg->lease_max_s && (!lease || lease > cfg->lease_max_s))
		lease = cfg->lease_max_s;
	if (a[3] && (!json_object_is_type(a[3], json_type_string) ||
		     !json_object_get_string_len(a[3]) ||
		     json_object_get_string_len(a[3]) > SRV_TICKET_MAX))
		return rpc_errorf(req, RPC_INTERNAL_ERROR,
				  "ticket: Expected str of 1 to %d characters",
				  SRV_TICKET_MAX);
	sched_reserve(&c->srv->sched, req, c->sess, a[0], priority, lease,
		    a[3] ? json_object_get_string(a[3]) : NULL);
}

static void m_return_reservation(struct rpc_req *req, json_object *params,
				 void *ctx)
{
	struct srv_conn *c = conn_of(ctx);
	json_object *a[2];
	struct srv_res *r;
	unsigned int id;
	bool force = false;

	if (ARGS(req, params, 1, a, "place_id", "force") ||
	    !allowed(req, c, SRV_ROLE_IMPORTER | SRV_ROLE_ADMIN))
		return;
	if (a[1] && !json_object_is_type(a[1], json_type_boolean))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "force: Expected bool");
	if (a[1])
		force = json_object_get_boolean(a[1]);
	if (force && !allowed(req, c, SRV_ROLE_ADMIN))
		return;
	if (!get_uint(a[0], &id))
		return error_id(req, a[0]);
	r = force ? sched_res_by_place(&c->srv->sched, id) :
	    sched_res_find(c->sess, id);
	if (!r)
		return error_id(req, a[0]);
	if (force)
		log_notice("place %u: reservation of user=%s force-returned by user=%s",
			   id, r->holder->user, c->sess->user);
	sched_return(&c->srv->sched, req, r, force);
}

static void m_get_reservations(struct rpc_req *req, json_object *params,
			       void *ctx)
{
	struct srv_conn *c = conn_of(ctx);
	json_object *list = json_object_new_array(), *o, *a[1];
	bool all = !c->srv->cfg->ntokens || (c->roles & SRV_ROLE_ADMIN);
	bool hosts, by_name;
	struct srv_res *r;
	char err[160];

	/* hosts is keyword-only: by position, not-my-board's "no args" */
	by_name = json_object_is_type(params, json_type_object);
	a[0] = NULL;
	if (rpc_args(params, by_name ? (const char *[]){ "hosts", NULL } :
		     (const char *[]){ NULL }, 0, a, err, sizeof(err))) {
		rpc_errorf(req, RPC_INTERNAL_ERROR, "%s() %s",
			   WIRE_GET_RESERVATIONS, err);
		json_object_put(list);
		return;
	}
	if (!allowed(req, c, SRV_ROLE_IMPORTER | SRV_ROLE_ADMIN)) {
		json_object_put(list);
		return;
	}
	hosts = a[0] && json_object_get_boolean(a[0]);
	TAILQ_FOREACH(r, &c->srv->sched.res, link) {
		if (r->req || (!all && r->holder != c->sess))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "place_id",
				       json_object_new_int((int32_t)r->place_id));
		json_object_object_add(o, "user",
				       json_object_new_string(r->holder->user));
		if (hosts) {
			json_object_object_add(o, "host", r->holder->host[0] ?
				json_object_new_string(r->holder->host) : NULL);
			json_object_object_add(o, "ip",
				json_object_new_string(r->holder->ip));
		}
		json_object_array_add(list, o);
	}
	o = json_object_new_object();
	json_object_object_add(o, "reservations", list);
	rpc_reply(req, o);
}

/* A float as Python's repr() writes it: the shortest text that reads back. */
static json_object *py_float(double v)
{
	char buf[40];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf) - 2, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".en"))
		strcat(buf, ".0");
	return json_object_new_double_s(v, buf);
}

static void m_get_place_stats(struct rpc_req *req, json_object *params,
			      void *ctx)
{
	struct srv_conn *c = conn_of(ctx);
	struct srv_place *p = NULL;
	json_object *a[1], *o;
	unsigned int id;

	if (ARGS(req, params, 1, a, "place_id"))
		return;
	if (get_uint(a[0], &id))
		p = sched_place_find(&c->srv->sched, id);
	if (!p)
		return error_id(req, a[0]);
	o = json_object_new_object();
	json_object_object_add(o, "uniqueness",
			       py_float(p->has_ema ? p->ema : 0));
	rpc_reply(req, o);
}

/* A host name the agent says it runs on: shown by who, so plain. */
static bool valid_host(json_object *o)
{
	const char *s = json_object_get_string(o);
	size_t n = json_object_get_string_len(o);

	if (!json_object_is_type(o, json_type_string) || !n ||
	    n >= sizeof(((struct srv_session *)0)->host))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_", *s))
			return false;
	return true;
}

static bool has_feature(json_object *features, const char *name)
{
	size_t i, n = features ? json_object_array_length(features) : 0;

	for (i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(features, i);

		if (json_object_is_type(f, json_type_string) &&
		    !strcmp(json_object_get_string(f), name))
			return true;
	}
	return false;
}

static void m_hello(struct rpc_req *req, json_object *params, void *ctx)
{
	struct srv_conn *c = conn_of(ctx);
	json_object *a[3], *o, *f;
	bool resumed = false;
	unsigned char rnd[16];
	int ret;

	if (ARGS(req, params, 0, a, "features", "session", "host"))
		return;
	if (a[2] && !valid_host(a[2]))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "host: Expected a host name of 1 to 64 letters, digits, '.', '-' or '_'");
	if (a[0] && !json_object_is_type(a[0], json_type_array))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "features: Expected list");
	if (a[1] && !json_object_is_type(a[1], json_type_string))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "session: Expected str");
	c->sess->notify = true;
	if (a[1]) {
		ret = srv_resume(c->srv, c, json_object_get_string(a[1]));
		if (ret == -EBUSY)
			return rpc_error(req, RPC_INTERNAL_ERROR,
					 "hello with a session must come before register_place and reserve");
		if (ret == -EPERM)
			return rpc_error(req, RPC_INTERNAL_ERROR,
					 "Permission denied: session belongs to another token");
		resumed = !ret;
	}
	if (a[2])
		snprintf(c->sess->host, sizeof(c->sess->host), "%s",
			 json_object_get_string(a[2]));
	c->sess->secrets = has_feature(a[0], WIRE_FEATURE_SECRET);
	c->sess->relay_tls = has_feature(a[0], WIRE_FEATURE_RELAY_TLS);
	if (!c->sess->token[0]) {
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return rpc_error(req, RPC_INTERNAL_ERROR,
					 "no randomness for a session token");
		for (int i = 0; i < 16; i++)
			sprintf(c->sess->token + 2 * (size_t)i, "%02x", rnd[i]);
	}
	o = json_object_new_object();
	json_object_object_add(o, "session",
			       json_object_new_string(c->sess->token));
	json_object_object_add(o, "resumed", json_object_new_boolean(resumed));
	json_object_object_add(o, "grace",
			       json_object_new_int((int32_t)c->srv->cfg->grace_s));
	json_object_object_add(o, "connection",
			       json_object_new_int((int32_t)c->id));
	f = json_object_new_array();
	json_object_array_add(f, json_object_new_string("grace"));
	json_object_array_add(f, json_object_new_string("lease"));
	json_object_array_add(f, json_object_new_string("priority"));
	json_object_array_add(f, json_object_new_string("notify"));
	json_object_array_add(f, json_object_new_string("queue"));
	json_object_array_add(f, json_object_new_string("hosts"));
	json_object_array_add(f, json_object_new_string("part_state"));
	json_object_array_add(f, json_object_new_string(WIRE_FEATURE_SECRET));
	json_object_object_add(o, "features", f);
	rpc_reply(req, o);
}

static void m_renew_lease(struct rpc_req *req, json_object *params, void *ctx)
{
	struct srv_conn *c = conn_of(ctx);
	json_object *a[2];
	unsigned int id, lease = c->srv->cfg->lease_default_s;
	struct srv_res *r;

	if (ARGS(req, params, 1, a, "place_id", "lease") ||
	    !allowed(req, c, SRV_ROLE_IMPORTER))
		return;
	r = get_uint(a[0], &id) ? sched_res_find(c->sess, id) : NULL;
	if (!r)
		return error_id(req, a[0]);
	if (a[1] && (!get_uint(a[1], &lease) || !lease))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "lease: Expected int seconds >= 1");
	rpc_reply(req, json_object_new_int(sched_lease_renew(&c->srv->sched,
							    r, lease)));
}

/*
 * With auth: on, a connection without a static token gets its roles from
 * an ID token first (auth.c; auth note §4): the role each method needs.
 */
#define GATED(name, role, fn)						\
	static void name(struct rpc_req *req, json_object *params,	\
			 void *ctx)					\
	{								\
		srv_auth_gate(ctx, req, params, role, fn);		\
	}
GATED(g_register_place, CLAIMS_ROLE_EXPORTER, m_register_place)
GATED(g_reserve, CLAIMS_ROLE_IMPORTER, m_reserve)
GATED(g_return_reservation, CLAIMS_ROLE_IMPORTER, m_return_reservation)
GATED(g_get_reservations, CLAIMS_ROLE_IMPORTER, m_get_reservations)
GATED(g_get_place_stats, CLAIMS_ROLE_IMPORTER, m_get_place_stats)
GATED(g_renew_lease, CLAIMS_ROLE_IMPORTER, m_renew_lease)
GATED(g_subscribe_farm, CLAIMS_ROLE_IMPORTER, srv_farm_subscribe)
GATED(g_part_state, CLAIMS_ROLE_EXPORTER, srv_part_report)

const struct rpc_method srv_methods[] = {
	{ WIRE_REGISTER_PLACE, g_register_place },
	{ WIRE_RESERVE, g_reserve },
	{ WIRE_RETURN_RESERVATION, g_return_reservation },
	{ WIRE_GET_RESERVATIONS, g_get_reservations },
	{ WIRE_GET_PLACE_STATS, g_get_place_stats },
	{ WIRE_GET_AUTHENTICATION_RESPONSE, srv_login_method },
	{ WIRE_HELLO, m_hello },
	{ WIRE_RENEW_LEASE, g_renew_lease },
	{ WIRE_SUBSCRIBE_FARM, g_subscribe_farm },
	{ WIRE_PART_STATE, g_part_state },
	{ NULL, NULL },
};

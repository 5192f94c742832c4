// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - the control socket for nmbctl (Documentation/agent-api.rst):
 * one lib/unixrpc connection per command, the methods, and the reserve
 * flow (place list, matching, the server's queue). A connection that
 * closes cancels its running calls: a queued reserve is withdrawn.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "agent.h"
#include "log.h"
#include "loop.h"
#include "unixrpc.h"

#define ARGS(req, params, nreq, out, ...)				\
	({								\
		char err_[200];						\
		int r_ = rpc_args(params, (const char *[]){ __VA_ARGS__, \
					  NULL }, nreq, out, err_,	\
				  sizeof(err_));			\
		if (r_)							\
			unixrpc_error(req, "invalid", "%s() %s",	\
				      rpc_req_method(req), err_);	\
		r_;							\
	})

static int listen_fd = -1;
static struct loop_fd *listen_lfd;
static bool own_socket;

static const char *str_arg(json_object *o)
{
	return json_object_is_type(o, json_type_string) ?
	       json_object_get_string(o) : NULL;
}

static bool need_str(struct rpc_req *req, json_object *o, const char *what)
{
	if (str_arg(o))
		return true;
	unixrpc_error(req, "invalid", "%s: expected a string", what);
	return false;
}

static struct reservation *need_res(struct rpc_req *req, json_object *name)
{
	struct reservation *r;

	if (!need_str(req, name, "name"))
		return NULL;
	r = res_find(json_object_get_string(name));
	if (!r)
		unixrpc_error(req, "not-found",
			      "no reservation named '%s'; see nmbctl list",
			      json_object_get_string(name));
	return r;
}

/* --- asynchronous jobs: place list, then optional hub calls ----------- */

struct job;
typedef void (*job_fn)(struct job *j, json_object *places);

struct job {
	struct rpc_req *req;		/* NULL once nmbctl went away */
	job_fn fn;
	char *name;
	struct match_import *imp;
	char *text, *pin;
	int priority;
	bool no_wait, progress;
	struct places_req *pr;
	json_object *places;		/* held */
	json_object *result;
	unsigned int pending;		/* hub calls outstanding */
};

static void job_free(struct job *j)
{
	places_cancel(j->pr);
	json_object_put(j->places);
	json_object_put(j->result);
	match_import_free(j->imp);
	free(j->name);
	free(j->text);
	free(j->pin);
	free(j);
}

static void job_cancel(struct rpc_req *req, void *data)
{
	struct job *j = data;

	(void)req;
	j->req = NULL;
	places_cancel(j->pr);
	j->pr = NULL;
	if (!j->pending)
		job_free(j);
}

static void job_reply(struct job *j, json_object *result)
{
	if (j->req) {
		rpc_req_on_cancel(j->req, NULL, NULL);
		rpc_reply(j->req, result);
		j->req = NULL;
	} else {
		json_object_put(result);
	}
	if (!j->pending)
		job_free(j);
}

static void job_error(struct job *j, const char *kind, const char *msg)
{
	if (j->req) {
		rpc_req_on_cancel(j->req, NULL, NULL);
		unixrpc_error(j->req, kind, "%s", msg);
		j->req = NULL;
	}
	if (!j->pending)
		job_free(j);
}

static void job_places(void *arg, json_object *places, const char *err)
{
	struct job *j = arg;

	j->pr = NULL;
	if (!j->req)
		return job_free(j);
	if (!places)
		return job_error(j, "unavailable", err);
	j->places = json_object_get(places);
	j->fn(j, places);
}

static struct job *job_start(struct rpc_req *req, job_fn fn)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		unixrpc_error(req, "internal", "out of memory");
		return NULL;
	}
	j->req = req;
	j->fn = fn;
	j->pr = places_fetch(job_places, j);
	if (!j->pr) {
		unixrpc_error(req, "unavailable",
			      "cannot reach the server %s for the place list; is it running?",
			      agent.cfg.server);
		free(j);
		return NULL;
	}
	rpc_req_on_cancel(req, job_cancel, j);
	return j;
}

static json_object *place_by(json_object *places, const char *name, int id)
{
	for (size_t i = 0; i < json_object_array_length(places); i++) {
		json_object *p = json_object_array_get_idx(places, i), *v;

		if (name && json_object_object_get_ex(p, "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return p;
		if (!name && json_object_object_get_ex(p, "id", &v) &&
		    json_object_get_int(v) == id)
			return p;
	}
	return NULL;
}

/* --- get_place_stats for each place of j->result ---------------------- */

struct stats_call {
	struct job *j;
	json_object *place;
};

static void stats_done(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct stats_call *s = data;
	struct job *j = s->j;

	json_object_object_add(s->place, "stats", err ? NULL :
			       json_object_get(result));
	free(s);
	j->pending--;
	if (j->pending)
		return;
	if (!j->req)
		return job_free(j);
	json_object *res = j->result;

	j->result = NULL;
	job_reply(j, res);
}

/* Adds "stats" to every place in list (an array or one place). */
static void with_stats(struct job *j, json_object *list)
{
	bool one = !json_object_is_type(list, json_type_array);
	size_t n = one ? 1 : json_object_array_length(list);
	struct rpc_chan *ch = hub_chan();

	j->result = list;
	for (size_t i = 0; i < n; i++) {
		json_object *p = one ? list :
				 json_object_array_get_idx(list, i), *id;
		struct stats_call *s;
		json_object *params;

		json_object_object_add(p, "stats", NULL);
		if (!ch || !json_object_object_get_ex(p, "id", &id))
			continue;
		s = calloc(1, sizeof(*s));
		if (!s)
			continue;
		s->j = j;
		s->place = p;
		params = json_object_new_array();
		json_object_array_add(params, json_object_get(id));
		if (rpc_call(ch, "get_place_stats", params, stats_done, s))
			j->pending++;
		else
			free(s);
	}
	if (!j->pending) {
		j->result = NULL;
		job_reply(j, list);
	}
}

/* --- reserve ----------------------------------------------------------- */

static void reserve_cancel(struct rpc_req *req, void *data)
{
	struct reservation *r = data;

	(void)req;
	r->req = NULL;
	log_info("%s: reserve withdrawn (nmbctl went away)", r->name);
	res_free(r);
}

static void reserve_done(void *data, json_object *result,
			 const struct rpc_err *err)
{
	struct reservation *r = data;
	struct rpc_req *req = r->req;
	json_object *place;
	int id;

	r->call = NULL;
	queue_end(r);
	if (req)
		rpc_req_on_cancel(req, NULL, NULL);
	r->req = NULL;
	if (err) {
		if (req)
			unixrpc_error(req, err->code == RPC_CONNECTION_CLOSED ?
				      "unavailable" : "not-found",
				      "%s: the server refused the reservation: %s",
				      r->name, err->code == RPC_CONNECTION_CLOSED ?
				      "connection lost; try again" :
				      err->message ? err->message : "?");
		res_free(r);
		return;
	}
	id = json_object_get_int(result);
	place = place_by(r->place, NULL, id);
	if (!place) {
		if (req)
			unixrpc_error(req, "internal",
				      "%s: the server gave place id %d, which was not a candidate",
				      r->name, id);
		res_return(r, "unexpected place");
		return;
	}
	res_placed(r, id, place);
	if (req)
		rpc_reply(req, NULL);
	else
		res_return(r, "nmbctl went away");
}

static void reserve_send(struct job *j, json_object *ids);

/* --no-wait at a hub without "queue": only the places nobody holds. */
static void reserve_free_only(void *data, json_object *result,
			      const struct rpc_err *err)
{
	struct job *j = data;
	json_object *ids = j->result, *list, *free_ids;
	char msg[600];

	j->result = NULL;
	j->pending--;
	if (!j->req) {
		json_object_put(ids);
		return job_free(j);
	}
	if (err) {
		json_object_put(ids);
		snprintf(msg, sizeof(msg),
			 "the server did not list reservations: %s",
			 err->message ? err->message : "?");
		return job_error(j, "unavailable", msg);
	}
	free_ids = json_object_new_array();
	json_object_object_get_ex(result, "reservations", &list);
	for (size_t i = 0; i < json_object_array_length(ids); i++) {
		json_object *id = json_object_array_get_idx(ids, i);
		bool held = false;

		for (size_t k = 0; list && k < json_object_array_length(list);
		     k++) {
			json_object *e = json_object_array_get_idx(list, k), *p;

			if (json_object_object_get_ex(e, "place_id", &p) &&
			    json_object_get_int(p) == json_object_get_int(id))
				held = true;
		}
		if (!held)
			json_object_array_add(free_ids, json_object_get(id));
	}
	json_object_put(ids);
	if (!json_object_array_length(free_ids)) {
		json_object_put(free_ids);
		snprintf(msg, sizeof(msg),
			 "%s: every matching place is taken; try later, or leave out --no-wait",
			 j->name);
		return job_error(j, "conflict", msg);
	}
	reserve_send(j, free_ids);
}

static void reserve_places(struct job *j, json_object *places)
{
	json_object *ids = json_object_new_array(), *v;
	struct rpc_chan *ch;
	char err[600];
	int *assign = calloc(j->imp->nparts + 1, sizeof(int));
	size_t n = json_object_array_length(places);

	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(places, i);

		json_object_object_get_ex(p, "name", &v);
		if (j->pin && strcmp(json_object_get_string(v), j->pin) != 0)
			continue;
		if (match_place(j->imp, p, assign) &&
		    json_object_object_get_ex(p, "id", &v))
			json_object_array_add(ids, json_object_get(v));
	}
	free(assign);
	if (!json_object_array_length(ids)) {
		json_object_put(ids);
		if (j->pin && !place_by(places, j->pin, 0))
			snprintf(err, sizeof(err),
				 "no place named '%s' at %s; see nmbctl search",
				 j->pin, agent.cfg.server);
		else if (j->pin)
			snprintf(err, sizeof(err),
				 "place '%s' does not have the parts '%s' needs (compatible tags and interface names)",
				 j->pin, j->name);
		else
			snprintf(err, sizeof(err),
				 "no place has the parts '%s' needs (compatible tags and interface names); see nmbctl search",
				 j->name);
		return job_error(j, "not-found", err);
	}
	/* Checked again: another reserve may have come in meanwhile. */
	if (res_find(j->name)) {
		json_object_put(ids);
		snprintf(err, sizeof(err), "'%s' is already reserved", j->name);
		return job_error(j, "conflict", err);
	}
	if (res_check_ports(j->imp, j->name, err, sizeof(err))) {
		json_object_put(ids);
		return job_error(j, "conflict", err);
	}
	ch = hub_chan();
	if (ch && j->no_wait && !agent.feat_queue) {
		j->result = ids;
		if (rpc_call(ch, "get_reservations", NULL, reserve_free_only,
			     j)) {
			j->pending++;
			return;
		}
		j->result = NULL;
	}
	reserve_send(j, ids);
}

static void reserve_send(struct job *j, json_object *ids)
{
	struct rpc_chan *ch = hub_chan();
	struct reservation *r;
	json_object *params;
	char err[300];

	if (!ch) {
		json_object_put(ids);
		snprintf(err, sizeof(err),
			 "not connected to the server %s; try again when it is back",
			 agent.cfg.server);
		return job_error(j, "unavailable", err);
	}
	r = res_new(j->name, j->text, j->imp);
	if (!r) {
		json_object_put(ids);
		return job_error(j, "internal", "out of memory");
	}
	j->imp = NULL;
	r->pin = j->pin ? strdup(j->pin) : NULL;
	r->priority = j->priority;
	r->no_wait = j->no_wait;
	r->progress = j->progress;
	r->place = json_object_get(j->places);
	params = json_object_new_object();
	json_object_object_add(params, "candidate_ids", ids);
	if (agent.feat_priority && r->priority)
		json_object_object_add(params, "priority",
				       json_object_new_int(r->priority));
	if (agent.feat_lease && r->imp->auto_return_s)
		json_object_object_add(params, "lease",
			json_object_new_int((int32_t)r->imp->auto_return_s));
	/* reserve_queued names it by its ticket: the name (up to 64) */
	if (agent.feat_queue && strlen(r->name) <= AGENT_TICKET_MAX)
		json_object_object_add(params, "ticket",
				       json_object_new_string(r->name));
	r->req = j->req;
	rpc_req_on_cancel(r->req, reserve_cancel, r);
	j->req = NULL;
	log_info("%s: reserving, %zu candidate place(s)", r->name,
		 json_object_array_length(ids));
	r->call = rpc_call(ch, "reserve", params, reserve_done, r);
	if (!r->call) {
		rpc_req_on_cancel(r->req, NULL, NULL);
		unixrpc_error(r->req, "unavailable",
			      "lost the server connection; try again");
		r->req = NULL;
		res_free(r);
	} else {
		queue_start(r);
	}
	job_free(j);
}

static void m_reserve(struct rpc_req *req, json_object *params, void *ctx)
{
	json_object *a[6];
	struct match_import *imp;
	struct job *j;
	char err[600], file[300];
	const char *name;

	(void)ctx;
	if (ARGS(req, params, 2, a, "name", "import_description",
		 "place_name", "priority", "wait", "progress") ||
	    !need_str(req, a[0], "name") ||
	    !need_str(req, a[1], "import_description") ||
	    (a[2] && !need_str(req, a[2], "place_name")))
		return;
	if (a[3] && (!json_object_is_type(a[3], json_type_int) ||
		     json_object_get_int(a[3]) < -1000 ||
		     json_object_get_int(a[3]) > 1000))
		return unixrpc_error(req, "invalid",
				     "priority: expected an integer from -1000 to 1000");
	name = json_object_get_string(a[0]);
	if (res_find(name))
		return unixrpc_error(req, "conflict",
				     "'%s' is already reserved; return it first or use another name",
				     name);
	snprintf(file, sizeof(file), "%s.yaml", name);
	if (match_import_parse(json_object_get_string(a[1]), file, &imp, err,
			       sizeof(err)))
		return unixrpc_error(req, "invalid", "%s", err);
	if (res_check_ports(imp, name, err, sizeof(err))) {
		match_import_free(imp);
		return unixrpc_error(req, "conflict", "%s", err);
	}
	if (connwait(req, params, m_reserve)) {
		match_import_free(imp);
		return;
	}
	j = job_start(req, reserve_places);
	if (!j) {
		match_import_free(imp);
		return;
	}
	j->imp = imp;
	j->name = strdup(name);
	j->text = strdup(json_object_get_string(a[1]));
	j->pin = a[2] ? strdup(json_object_get_string(a[2])) : NULL;
	j->priority = a[3] ? json_object_get_int(a[3]) : 0;
	j->no_wait = a[4] && !json_object_get_boolean(a[4]);
	j->progress = a[5] && json_object_get_boolean(a[5]);
}

static void m_return_reservation(struct rpc_req *req, json_object *params,
				 void *ctx)
{
	struct reservation *r;
	json_object *a[2];

	(void)ctx;
	if (ARGS(req, params, 1, a, "name", "force"))
		return;
	r = need_res(req, a[0]);
	if (!r)
		return;
	if (r->attached && !(a[1] && json_object_get_boolean(a[1])))
		return unixrpc_error(req, "conflict",
				     "'%s' is attached; detach it first (or force)",
				     r->name);
	if (r->req) {
		rpc_req_on_cancel(r->req, NULL, NULL);
		unixrpc_error(r->req, "unavailable",
			      "'%s' was returned while queued", r->name);
		r->req = NULL;
	}
	res_return_req(r, "returned by nmbctl", req);
}

static void m_attach(struct rpc_req *req, json_object *params, void *ctx)
{
	struct reservation *r;
	json_object *a[2];
	char err[600];
	int timeout = AGENT_ATTACH_TIMEOUT_S, ret;

	(void)ctx;
	if (ARGS(req, params, 1, a, "name", "timeout"))
		return;
	r = need_res(req, a[0]);
	if (!r)
		return;
	if (a[1]) {
		timeout = json_object_get_int(a[1]);
		if (!json_object_is_type(a[1], json_type_int) || timeout < 1 ||
		    timeout > 3600)
			return unixrpc_error(req, "invalid",
					     "timeout: expected seconds from 1 to 3600");
	}
	if (!r->place_id)
		return unixrpc_error(req, "not-found",
				     "'%s' is still waiting for a place",
				     r->name);
	ret = res_attach(r, err, sizeof(err));
	if (ret)
		return unixrpc_error(req, ret == -EADDRINUSE ? "conflict" :
				     "unavailable", "%s: %s", r->name, err);
	devices_poll(true);
	res_wait_attach(r, req, (unsigned int)timeout);
}

static void m_detach(struct rpc_req *req, json_object *params, void *ctx)
{
	struct reservation *r;
	json_object *a[1];

	(void)ctx;
	if (ARGS(req, params, 1, a, "name"))
		return;
	r = need_res(req, a[0]);
	if (!r)
		return;
	res_detach(r);
	rpc_reply(req, NULL);
}

static void m_list(struct rpc_req *req, json_object *params, void *ctx)
{
	json_object *list, *a[1];

	(void)ctx;
	if (ARGS(req, params, 0, a, NULL))
		return;
	list = json_object_new_array();
	for (struct reservation *r = agent.res; r; r = r->next) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "place",
				       json_object_new_string(r->name));
		json_object_object_add(o, "place_name", r->place_name ?
				       json_object_new_string(r->place_name) :
				       NULL);
		json_object_object_add(o, "attached",
				       json_object_new_boolean(r->attached));
		json_object_object_add(o, "reserved",
				       json_object_new_boolean(r->place_id));
		queue_list_fields(r, o);
		json_object_array_add(list, o);
	}
	rpc_reply(req, list);
}

static void m_status(struct rpc_req *req, json_object *params, void *ctx)
{
	json_object *list, *a[1];

	(void)ctx;
	if (ARGS(req, params, 0, a, NULL))
		return;
	list = json_object_new_array();
	for (struct reservation *r = agent.res; r; r = r->next)
		res_status(r, list);
	rpc_reply(req, list);
}

static void search_places(struct job *j, json_object *places)
{
	json_object *list = json_object_new_array();
	size_t n = json_object_array_length(places);

	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(places, i), *v;

		if (!j->imp) {
			json_object_array_add(list, json_object_get(p));
		} else if (match_place(j->imp, p, NULL) &&
			   json_object_object_get_ex(p, "name", &v)) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_get(v));
			json_object_array_add(list, o);
		}
	}
	if (j->imp)
		return job_reply(j, list);
	with_stats(j, list);
}

static void m_search(struct rpc_req *req, json_object *params, void *ctx)
{
	struct match_import *imp = NULL;
	json_object *a[1];
	struct job *j;
	char err[600];

	(void)ctx;
	if (ARGS(req, params, 0, a, "import_description"))
		return;
	if (a[0] && (!need_str(req, a[0], "import_description") ||
		     match_import_parse(json_object_get_string(a[0]),
					"import description", &imp, err,
					sizeof(err)))) {
		if (err[0] && str_arg(a[0]))
			unixrpc_error(req, "invalid", "%s", err);
		return;
	}
	if (connwait(req, params, m_search)) {
		match_import_free(imp);
		return;
	}
	j = job_start(req, search_places);
	if (j)
		j->imp = imp;
	else
		match_import_free(imp);
}

static void one_place(struct job *j, json_object *places)
{
	json_object *p;
	char err[400];
	struct reservation *r = j->pin ? NULL : res_find(j->name);

	if (j->pin) {
		p = place_by(places, j->pin, 0);
		snprintf(err, sizeof(err), "no place named '%s' at %s",
			 j->pin, agent.cfg.server);
	} else if (r && r->place_id) {
		p = place_by(places, NULL, r->place_id);
		snprintf(err, sizeof(err),
			 "place %s of '%s' is no longer registered at the server",
			 r->place_name, j->name);
	} else {
		p = NULL;
		snprintf(err, sizeof(err), "'%s' has no place (yet)", j->name);
	}
	if (!p)
		return job_error(j, "not-found", err);
	with_stats(j, json_object_get(p));
}

static void m_get_place_by_name(struct rpc_req *req, json_object *params,
				void *ctx)
{
	json_object *a[1];
	struct job *j;

	(void)ctx;
	if (ARGS(req, params, 1, a, "place_name") ||
	    !need_str(req, a[0], "place_name") ||
	    connwait(req, params, m_get_place_by_name))
		return;
	j = job_start(req, one_place);
	if (j)
		j->pin = strdup(json_object_get_string(a[0]));
}

static void m_get_reserved_place(struct rpc_req *req, json_object *params,
				 void *ctx)
{
	json_object *a[1];
	struct job *j;

	(void)ctx;
	if (ARGS(req, params, 1, a, "name") || !need_res(req, a[0]) ||
	    connwait(req, params, m_get_reserved_place))
		return;
	j = job_start(req, one_place);
	if (j)
		j->name = strdup(json_object_get_string(a[0]));
}

/* get_reservations: the hub's list, then names from the place list. */
static void reservations_places(struct job *j, json_object *places)
{
	json_object *list = json_object_new_array(), *in, *arr = NULL;

	if (json_object_object_get_ex(j->result, "reservations", &in))
		arr = in;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i), *id, *u;
		json_object *o = json_object_new_object(), *p = NULL, *n;

		if (json_object_object_get_ex(e, "place_id", &id))
			p = place_by(places, NULL, json_object_get_int(id));
		json_object_object_add(o, "place_name",
				       p && json_object_object_get_ex(p, "name", &n) ?
				       json_object_get(n) : NULL);
		json_object_object_add(o, "place_id", json_object_get(id));
		json_object_object_get_ex(e, "user", &u);
		json_object_object_add(o, "user", json_object_get(u));
		/* nmb servers with "hosts": the holder's machine and IP */
		u = NULL;
		json_object_object_get_ex(e, "host", &u);
		json_object_object_add(o, "host", json_object_get(u));
		u = NULL;
		json_object_object_get_ex(e, "ip", &u);
		json_object_object_add(o, "ip", json_object_get(u));
		json_object_array_add(list, o);
	}
	job_reply(j, list);
}

struct hub_wait {
	struct rpc_req *req;
	struct rpc_call *call;
};

static void hub_wait_cancel(struct rpc_req *req, void *data)
{
	struct hub_wait *w = data;

	(void)req;
	rpc_call_cancel(w->call);
	free(w);
}

static void reservations_done(void *data, json_object *result,
			      const struct rpc_err *err)
{
	struct hub_wait *w = data;
	struct rpc_req *req = w->req;
	struct job *j;

	free(w);
	rpc_req_on_cancel(req, NULL, NULL);
	if (err) {
		unixrpc_error(req, "unavailable",
			      "the server did not list reservations: %s",
			      err->message ? err->message : "?");
		return;
	}
	j = job_start(req, reservations_places);
	if (j)
		j->result = json_object_get(result);
}

static void m_get_reservations(struct rpc_req *req, json_object *params,
			       void *ctx)
{
	json_object *a[1], *hp = NULL;
	struct rpc_chan *ch;
	struct hub_wait *w;

	(void)ctx;
	if (ARGS(req, params, 0, a, NULL) ||
	    connwait(req, params, m_get_reservations))
		return;
	ch = hub_chan();
	w = calloc(1, sizeof(*w));
	if (!w)
		return unixrpc_error(req, "internal", "out of memory");
	w->req = req;
	if (ch && agent.feat_hosts) {
		hp = json_object_new_object();
		json_object_object_add(hp, "hosts",
				       json_object_new_boolean(true));
	}
	w->call = ch ? rpc_call(ch, "get_reservations", hp,
				reservations_done, w) : NULL;
	if (!w->call) {
		free(w);
		return unixrpc_error(req, "unavailable",
				     "not connected to the server %s",
				     agent.cfg.server);
	}
	rpc_req_on_cancel(req, hub_wait_cancel, w);
}

static void m_get_import_description(struct rpc_req *req,
				     json_object *params, void *ctx)
{
	struct reservation *r;
	json_object *a[1];

	(void)ctx;
	if (ARGS(req, params, 1, a, "name"))
		return;
	r = need_res(req, a[0]);
	if (!r)
		return;
	rpc_reply(req, json_object_new_string(r->text));
}

static void m_update_import_description(struct rpc_req *req,
					json_object *params, void *ctx)
{
	struct match_import *imp;
	struct reservation *r;
	json_object *a[2];
	char err[600], file[300];
	int *assign;

	(void)ctx;
	if (ARGS(req, params, 2, a, "name", "import_description"))
		return;
	r = need_res(req, a[0]);
	if (!r || !need_str(req, a[1], "import_description"))
		return;
	if (r->attached)
		return unixrpc_error(req, "conflict",
				     "'%s' is attached; detach it before changing its import description",
				     r->name);
	snprintf(file, sizeof(file), "%s.yaml", r->name);
	if (match_import_parse(json_object_get_string(a[1]), file, &imp, err,
			       sizeof(err)))
		return unixrpc_error(req, "invalid", "%s", err);
	if (res_check_ports(imp, r->name, err, sizeof(err))) {
		match_import_free(imp);
		return unixrpc_error(req, "conflict", "%s", err);
	}
	assign = calloc(imp->nparts + 1, sizeof(int));
	if (!assign || (r->place_id && !match_place(imp, r->place, assign))) {
		free(assign);
		match_import_free(imp);
		return unixrpc_error(req, "invalid",
				     "the new description of '%s' does not match its place %s; return it and reserve again",
				     r->name, r->place_name ? r->place_name : "?");
	}
	free(r->text);
	r->text = strdup(json_object_get_string(a[1]));
	match_import_free(r->imp);
	r->imp = imp;
	free(r->assign);
	r->assign = assign;
	rpc_reply(req, NULL);
}

static const struct rpc_method methods[] = {
	{ "reserve", m_reserve },
	{ "return_reservation", m_return_reservation },
	{ "attach", m_attach },
	{ "detach", m_detach },
	{ "list", m_list },
	{ "status", m_status },
	{ "search", m_search },
	{ "get_place_by_name", m_get_place_by_name },
	{ "get_reserved_place", m_get_reserved_place },
	{ "get_reservations", m_get_reservations },
	{ "get_import_description", m_get_import_description },
	{ "update_import_description", m_update_import_description },
	{ NULL, NULL },
};

/* Open nmbctl connections, freed at stop. */
struct client {
	struct unixrpc *u;
	struct client *prev, *next;
};

static struct client *clients;

static void client_free(struct client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	unixrpc_free(c->u);
	free(c);
}

static void closed(struct unixrpc *u, void *arg)
{
	(void)u;
	client_free(arg);
}

static void on_accept(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct client *c;
	int fd;

	(void)events;
	(void)arg;
	fd = accept4(loop_fd_fd(lfd), NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || unixrpc_new(agent.loop, fd, methods, c, closed, &c->u)) {
		log_warn("control socket: out of memory, connection refused");
		free(c);
		close(fd);
		return;
	}
	c->next = clients;
	if (clients)
		clients->prev = c;
	clients = c;
}

int control_start(void)
{
	int n = sd_listen_fds(1);

	if (n > 1) {
		log_err("systemd passed %d sockets; nmb-agent.socket must have exactly one",
			n);
		return -EINVAL;
	}
	if (n == 1) {
		listen_fd = SD_LISTEN_FDS_START;
		log_info("control socket from systemd");
	} else {
		listen_fd = unixrpc_listen(agent.cfg.socket, 0660,
					   agent.cfg.group);
		if (listen_fd < 0) {
			log_err("cannot listen on %s: %s; does its folder exist, and is another agent running?",
				agent.cfg.socket, strerror(-listen_fd));
			return listen_fd;
		}
		own_socket = true;
	}
	listen_lfd = loop_fd_add(agent.loop, listen_fd, EPOLLIN, on_accept,
				 NULL);
	return listen_lfd ? 0 : -ENOMEM;
}

void control_stop(void)
{
	while (clients)
		client_free(clients);
	loop_fd_del(listen_lfd);
	listen_lfd = NULL;
	if (listen_fd >= 0)
		close(listen_fd);
	if (own_socket)
		unlink(agent.cfg.socket);
	listen_fd = -1;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * place_query.c - nmbctl's questions about the server (agent-api.rst):
 * search, get_place_by_name, get_reserved_place and get_reservations.
 * Each reads the place list (places.c); places get their stats from the
 * server (get_place_stats), reservations their place names from the
 * list. A query whose nmbctl goes away stops; calls already sent to the
 * server are let finish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "jsonrpc.h"
#include "match.h"
#include "place_query.h"
#include "places.h"
#include "protocol.h"
#include "reservation.h"
#include "unixrpc.h"

struct query;
typedef void (*query_fn)(struct query *q, json_object *places);

struct query {
	struct agent *a;
	struct rpc_req *req;		/* NULL once nmbctl went away */
	query_fn fn;
	struct match_import *imp;	/* search */
	char *name;			/* a place's, or a reservation's */
	bool of_reservation;		/* get_reserved_place */
	struct places_req *pr;
	json_object *result;
	unsigned int pending;		/* server calls outstanding */
};

static void query_free(struct query *q)
{
	places_cancel(q->pr);
	json_object_put(q->result);
	match_import_free(q->imp);
	free(q->name);
	free(q);
}

static void query_cancel(struct rpc_req *req, void *data)
{
	struct query *q = data;

	(void)req;
	q->req = NULL;
	places_cancel(q->pr);
	q->pr = NULL;
	if (!q->pending)
		query_free(q);
}

/* Answers with result (taken), or with kind and msg if kind is set. */
static void query_end(struct query *q, json_object *result,
		      const char *kind, const char *msg)
{
	if (q->req) {
		rpc_req_on_cancel(q->req, NULL, NULL);
		if (kind)
			unixrpc_error(q->req, kind, "%s", msg);
		else
			rpc_reply(q->req, result);
		q->req = NULL;
	} else {
		json_object_put(result);
	}
	if (!q->pending)
		query_free(q);
}

static void query_places(void *arg, json_object *places, const char *err)
{
	struct query *q = arg;

	q->pr = NULL;
	if (!q->req)
		return query_free(q);
	if (!places)
		return query_end(q, NULL, "unavailable", err);
	q->fn(q, places);
}

static struct query *query_start(struct agent *a, struct rpc_req *req,
				 query_fn fn)
{
	struct query *q = calloc(1, sizeof(*q));

	if (!q) {
		unixrpc_error(req, "internal", "out of memory");
		return NULL;
	}
	q->a = a;
	q->req = req;
	q->fn = fn;
	q->pr = places_fetch(a, query_places, q);
	if (!q->pr) {
		unixrpc_error(req, "unavailable",
			      "cannot reach the server %s for the place list; is it running?",
			      a->cfg.server);
		free(q);
		return NULL;
	}
	rpc_req_on_cancel(req, query_cancel, q);
	return q;
}

/* --- get_place_stats for each place of q->result ---------------------- */

struct stats_call {
	struct query *q;
	json_object *place;
};

static void stats_done(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct stats_call *s = data;
	struct query *q = s->q;
	json_object *res;

	json_object_object_add(s->place, "stats", err ? NULL :
			       json_object_get(result));
	free(s);
	q->pending--;
	if (q->pending)
		return;
	if (!q->req)
		return query_free(q);
	res = q->result;
	q->result = NULL;
	query_end(q, res, NULL, NULL);
}

/* Adds "stats" to every place in list (an array or one place). */
static void with_stats(struct query *q, json_object *list)
{
	bool one = !json_object_is_type(list, json_type_array);
	size_t n = one ? 1 : json_object_array_length(list);
	struct rpc_chan *ch = q->a->chan;

	q->result = list;
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
		s->q = q;
		s->place = p;
		params = json_object_new_array();
		json_object_array_add(params, json_object_get(id));
		if (rpc_call(ch, WIRE_GET_PLACE_STATS, params, stats_done, s))
			q->pending++;
		else
			free(s);
	}
	if (!q->pending) {
		q->result = NULL;
		query_end(q, list, NULL, NULL);
	}
}

/* --- search ------------------------------------------------------------ */

static void search_places(struct query *q, json_object *places)
{
	json_object *list = json_object_new_array();
	size_t n = json_object_array_length(places);

	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(places, i), *v;

		if (!q->imp) {
			json_object_array_add(list, json_object_get(p));
		} else if (match_place(q->imp, p, NULL) &&
			   json_object_object_get_ex(p, "name", &v)) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_get(v));
			json_object_array_add(list, o);
		}
	}
	if (q->imp)
		return query_end(q, list, NULL, NULL);
	with_stats(q, list);
}

void query_search(struct agent *a, struct rpc_req *req,
		  struct match_import *imp)
{
	struct query *q = query_start(a, req, search_places);

	if (q)
		q->imp = imp;
	else
		match_import_free(imp);
}

/* --- get_place_by_name, get_reserved_place ---------------------------- */

static void one_place(struct query *q, json_object *places)
{
	json_object *p = NULL;
	char err[400];
	struct reservation *r = q->of_reservation ? res_find(q->a, q->name) :
				NULL;

	if (!q->of_reservation) {
		p = places_find(places, q->name, 0);
		snprintf(err, sizeof(err), "no place named '%s' at %s",
			 q->name, q->a->cfg.server);
	} else if (r && r->place_id) {
		p = places_find(places, NULL, r->place_id);
		snprintf(err, sizeof(err),
			 "place %s of '%s' is no longer registered at the server",
			 r->place_name, q->name);
	} else {
		snprintf(err, sizeof(err), "'%s' has no place (yet)",
			 q->name);
	}
	if (!p)
		return query_end(q, NULL, "not-found", err);
	with_stats(q, json_object_get(p));
}

void query_place(struct agent *a, struct rpc_req *req, const char *name,
		 const char *res_name)
{
	struct query *q = query_start(a, req, one_place);

	if (!q)
		return;
	q->of_reservation = !name;
	q->name = strdup(name ? name : res_name);
	if (!q->name)
		query_end(q, NULL, "internal", "out of memory");
}

/* --- get_reservations: the server's list, then names from places ----- */

static json_object *copy_key(json_object *from, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(from, key, &v);
	return json_object_get(v);
}

static void reservations_places(struct query *q, json_object *places)
{
	json_object *list = json_object_new_array(), *arr = NULL;

	json_object_object_get_ex(q->result, "reservations", &arr);
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i), *id = NULL;
		json_object *o = json_object_new_object(), *p = NULL, *n;

		if (json_object_object_get_ex(e, "place_id", &id))
			p = places_find(places, NULL, json_object_get_int(id));
		json_object_object_add(o, "place_name",
				       p && json_object_object_get_ex(p, "name", &n) ?
				       json_object_get(n) : NULL);
		json_object_object_add(o, "place_id", json_object_get(id));
		json_object_object_add(o, "user", copy_key(e, "user"));
		/* nmb servers with "hosts": the holder's machine and IP */
		json_object_object_add(o, "host", copy_key(e, "host"));
		json_object_object_add(o, "ip", copy_key(e, "ip"));
		json_object_array_add(list, o);
	}
	query_end(q, list, NULL, NULL);
}

struct hub_wait {
	struct agent *a;
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
	struct agent *a = w->a;
	struct query *q;

	free(w);
	rpc_req_on_cancel(req, NULL, NULL);
	if (err) {
		unixrpc_error(req, "unavailable",
			      "the server did not list reservations: %s",
			      err->message ? err->message : "?");
		return;
	}
	q = query_start(a, req, reservations_places);
	if (q)
		q->result = json_object_get(result);
}

void query_reservations(struct agent *a, struct rpc_req *req)
{
	json_object *hp = NULL;
	struct hub_wait *w = calloc(1, sizeof(*w));

	if (!w)
		return unixrpc_error(req, "internal", "out of memory");
	w->a = a;
	w->req = req;
	if (a->chan && a->feat.hosts) {
		hp = json_object_new_object();
		json_object_object_add(hp, "hosts",
				       json_object_new_boolean(true));
	}
	w->call = a->chan ? rpc_call(a->chan, WIRE_GET_RESERVATIONS, hp,
				     reservations_done, w) : NULL;
	if (!w->call) {
		free(w);
		return unixrpc_error(req, "unavailable",
				     "not connected to the server %s",
				     a->cfg.server);
	}
	rpc_req_on_cancel(req, hub_wait_cancel, w);
}

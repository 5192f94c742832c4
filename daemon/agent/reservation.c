// SPDX-License-Identifier: GPL-2.0
/*
 * reservation.c - the one owner of a reservation's life: nmbctl's
 * reserve (place list, matching, the server's reserve and its queue),
 * the lease (auto_return, sent to the server as "lease" when it has the
 * feature), what happens when the server loses the reservation (regain:
 * reserve the same place again once it is back, and attach again), and
 * the return. Attaching its interfaces is attach.c's; the wait in the
 * server's queue is queue.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "attach.h"
#include "jsonrpc.h"
#include "log.h"
#include "loop.h"
#include "match.h"
#include "part_power.h"
#include "places.h"
#include "protocol.h"
#include "queue.h"
#include "reservation.h"
#include "unixrpc.h"

#define REGAIN_MS	1000

struct reservation *res_find(struct agent *a, const char *name)
{
	struct reservation *r;

	list_for_each_entry(r, &a->res, node)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

/* The ifaces (USB or TCP) of imp, one after the other, by index. */
static const struct match_iface *nth_iface(const struct match_import *imp,
					   bool usb, size_t n)
{
	for (size_t i = 0; i < imp->nparts; i++) {
		const struct match_part *p = &imp->parts[i];
		size_t k = usb ? p->nusb : p->ntcp;

		if (n < k)
			return usb ? &p->usb[n] : &p->tcp[n];
		n -= k;
	}
	return NULL;
}

/* A port_num (usb) or local_port both a and b use; 0 if none. */
static unsigned int shared_port(const struct match_import *a,
				const struct match_import *b, bool usb)
{
	const struct match_iface *x, *y;

	for (size_t i = 0; (x = nth_iface(a, usb, i)); i++)
		for (size_t j = 0; (y = nth_iface(b, usb, j)); j++)
			if (x->port == y->port)
				return x->port;
	return 0;
}

int res_check_ports(struct agent *a, const struct match_import *imp,
		    const char *name, char *err, size_t errlen)
{
	struct reservation *r;
	unsigned int port;

	list_for_each_entry(r, &a->res, node) {
		if (!strcmp(r->name, name))
			continue;
		for (int usb = 1; usb >= 0; usb--) {
			port = shared_port(imp, r->imp, usb);
			if (!port)
				continue;
			snprintf(err, errlen,
				 "%s %u of '%s' is already used by reservation '%s'; change it in one of them or return '%s'",
				 usb ? "USB port_num" : "TCP local_port", port,
				 name, r->name, r->name);
			return -EBUSY;
		}
	}
	return 0;
}

/* A reservation not in the agent's list yet; imp is taken. */
static struct reservation *res_new(struct agent *a, const char *name,
				   const char *text, struct match_import *imp)
{
	struct reservation *r = calloc(1, sizeof(*r));

	if (!r) {
		match_import_free(imp);
		return NULL;
	}
	r->agent = a;
	INIT_LIST_HEAD(&r->node);
	INIT_LIST_HEAD(&r->waiters);
	r->name = strdup(name);
	r->text = strdup(text);
	if (!r->name || !r->text) {
		free(r->name);
		free(r->text);
		free(r);
		match_import_free(imp);
		return NULL;
	}
	r->imp = imp;
	return r;
}

/* Answers the nmbctl reserve that waits for r, if any. */
static void reserve_answer(struct reservation *r, const char *kind,
			   const char *fmt, const char *detail)
{
	struct rpc_req *req = r->req;

	if (!req)
		return;
	r->req = NULL;
	rpc_req_on_cancel(req, NULL, NULL);
	if (kind)
		unixrpc_error(req, kind, fmt, r->name, detail);
	else
		rpc_reply(req, NULL);
}

/* Sends return_reservation for place id, answer unused. */
static void return_place(struct agent *a, int id)
{
	json_object *params;

	if (!a->chan)
		return;
	params = json_object_new_array();
	json_object_array_add(params, json_object_new_int(id));
	rpc_call(a->chan, WIRE_RETURN_RESERVATION, params, NULL, NULL);
}

/*
 * A reserve withdrawn (nmbctl went away, return while queued) may have
 * been granted before the server saw the cancel: that grant still comes
 * in, and the place goes straight back, or it would be held for good.
 */
/*
 * The reserve result: the place id (not-my-board), or with secrets
 * {"place_id": N, "secret": S} (protocol.rst). Returns the id, 0 if the
 * result is neither; secret (may be NULL) gets S or "".
 */
static int grant_of(json_object *result, char *secret)
{
	json_object *id = result, *s = NULL;

	if (secret)
		secret[0] = '\0';
	if (json_object_is_type(result, json_type_object)) {
		if (!json_object_object_get_ex(result, WIRE_PARAM_PLACE_ID,
					       &id))
			return 0;
		json_object_object_get_ex(result, WIRE_PARAM_SECRET, &s);
	}
	if (!json_object_is_type(id, json_type_int) ||
	    json_object_get_int(id) <= 0)
		return 0;
	if (secret && json_object_is_type(s, json_type_string) &&
	    grant_secret_valid(json_object_get_string(s)))
		memcpy(secret, json_object_get_string(s), GRANT_SECRET_SIZE);
	return json_object_get_int(id);
}

static void late_grant(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct agent *a = data;
	int id;

	if (err || !(id = grant_of(result, NULL)))
		return;
	log_notice("place id %d was granted after its reserve was withdrawn; returning it",
		   id);
	return_place(a, id);
}

void res_free(struct reservation *r)
{
	attach_stop(r);
	reserve_answer(r, "unavailable",
		       "%s: the reservation was dropped while queued%s", "");
	list_del_init(&r->node);	/* it may not be linked yet */
	queue_end(r);
	if (r->call)
		rpc_call_withdraw(r->call, late_grant, r->agent);
	if (r->list_call)
		rpc_call_cancel(r->list_call);
	places_cancel(r->pr);
	json_object_put(r->regain_place);
	loop_timer_free(r->regain);
	loop_timer_free(r->auto_return);
	match_import_free(r->imp);
	json_object_put(r->place);
	free(r->assign);
	part_power_clear(r);
	free(r->name);
	free(r->text);
	free(r->pin);
	free(r->place_name);
	free(r);
}

json_object *res_list(struct agent *a)
{
	json_object *list = json_object_new_array();
	struct reservation *r;

	list_for_each_entry(r, &a->res, node) {
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
	return list;
}

/* --- the lease: auto_return -------------------------------------------- */

static void auto_return(struct loop_timer *t, void *arg)
{
	struct reservation *r = arg;

	(void)t;
	log_notice("%s: auto_return after %u s: returning place %s", r->name,
		   r->imp->auto_return_s, log_esc(r->place_name));
	res_return(r, "auto_return");
}

/* The lease the server should hold r for, if it knows leases. */
static void add_lease(struct reservation *r, json_object *params)
{
	if (r->agent->feat.lease && r->imp->auto_return_s)
		json_object_object_add(params, "lease",
			json_object_new_int((int32_t)r->imp->auto_return_s));
}

/* Place accepted: remember it, start auto_return. */
static void res_placed(struct reservation *r, int place_id,
		       const char *secret, json_object *place)
{
	json_object *old = r->place, *n;

	if (place_id != r->place_id)
		part_power_clear(r);
	r->place_id = place_id;
	memcpy(r->secret, secret, sizeof(r->secret));
	r->place = json_object_get(place);
	json_object_put(old);
	free(r->assign);
	r->assign = calloc(r->imp->nparts + 1, sizeof(int));
	if (r->assign)
		match_place(r->imp, r->place, r->assign);
	json_object_object_get_ex(place, "name", &n);
	free(r->place_name);
	r->place_name = strdup(n ? json_object_get_string(n) : "?");
	if (r->imp->auto_return_s && !r->auto_return) {
		r->auto_return = loop_timer_new(r->agent->loop, auto_return, r);
		if (r->auto_return)
			loop_timer_set(r->auto_return,
				       r->imp->auto_return_s * 1000ULL);
	}
	if (r->imp->auto_return_s)
		log_notice("%s: reserved place %s (id %d), auto_return in %u s",
			   r->name, log_esc(r->place_name), place_id,
			   r->imp->auto_return_s);
	else
		log_notice("%s: reserved place %s (id %d)", r->name,
			   log_esc(r->place_name), place_id);
}

/* --- reserve: place list, candidates, the server's reserve ------------ */

/*
 * From nmbctl's reserve until the server has it, r is not in the
 * agent's list: it fetches the place list (r->pr), picks the candidates
 * and, for --no-wait at a hub without the queue, asks which are free
 * (r->list_call).
 */

/* Answers nmbctl with kind and msg and drops r. */
static void reserve_fail(struct reservation *r, const char *kind,
			 const char *msg)
{
	reserve_answer(r, kind, "%.0s%s", msg);
	res_free(r);
}

static void reserve_cancel(struct rpc_req *req, void *data)
{
	struct reservation *r = data;

	(void)req;
	r->req = NULL;
	log_info("%s: reserve withdrawn (nmbctl went away)", r->name);
	res_free(r);
}

static json_object *candidates(const struct reservation *r,
			       json_object *places);

/*
 * "place rpi-3: why" or "places rpi-3, rpi-4 (and 2 more): why", so that
 * an error of the hub (a permission, a login) names what was asked for.
 */
static void refused_detail(const struct reservation *r, const char *why,
			   char *buf, size_t len)
{
	json_object *ids = candidates(r, r->place);
	size_t n = json_object_array_length(ids), k, off;

	off = (size_t)snprintf(buf, len, "place%s ", n == 1 ? "" : "s");
	for (k = 0; k < n && k < 3 && off < len; k++) {
		json_object *p = places_find(r->place, NULL, json_object_get_int(
					json_object_array_get_idx(ids, k))), *v;

		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					k ? ", " : "",
					p && json_object_object_get_ex(p, "name", &v) ?
					log_esc(json_object_get_string(v)) : "?");
	}
	if (n > 3 && off < len)
		off += (size_t)snprintf(buf + off, len - off,
					" (and %zu more)", n - 3);
	if (off < len)
		snprintf(buf + off, len - off, ": %s", why);
	json_object_put(ids);
}

static void reserve_done(void *data, json_object *result,
			 const struct rpc_err *err)
{
	struct reservation *r = data;
	bool closed = err && err->code == RPC_CONNECTION_CLOSED;
	bool waited = r->req;
	char secret[GRANT_SECRET_SIZE];
	json_object *place;
	int id;

	r->call = NULL;
	queue_end(r);
	if (err) {
		char detail[900];

		refused_detail(r, closed ? "connection lost; try again" :
			       err->message ? err->message : "?", detail,
			       sizeof(detail));
		reserve_answer(r, closed ? "unavailable" : "not-found",
			       "%s: the server refused the reservation of %s",
			       detail);
		res_free(r);
		return;
	}
	id = grant_of(result, secret);
	place = places_find(r->place, NULL, id);
	if (!place) {
		char detail[80];

		snprintf(detail, sizeof(detail), "%d", id);
		reserve_answer(r, "internal",
			       "%s: the server gave place id %s, which was not a candidate",
			       detail);
		res_return(r, "unexpected place");
		return;
	}
	res_placed(r, id, secret, place);
	reserve_answer(r, NULL, NULL, NULL);
	if (!waited)
		res_return(r, "nmbctl went away");
}

static void reserve_send(struct reservation *r, json_object *ids)
{
	struct agent *a = r->agent;
	json_object *params;
	char err[300];

	if (!a->chan) {
		json_object_put(ids);
		snprintf(err, sizeof(err),
			 "not connected to the server %s; try again when it is back",
			 a->cfg.server);
		return reserve_fail(r, "unavailable", err);
	}
	list_add_tail(&r->node, &a->res);
	params = json_object_new_object();
	json_object_object_add(params, "candidate_ids", ids);
	if (a->feat.priority && r->priority)
		json_object_object_add(params, "priority",
				       json_object_new_int(r->priority));
	add_lease(r, params);
	/* reserve_queued names it by its ticket: the name (up to 64) */
	if (a->feat.queue && strlen(r->name) <= AGENT_TICKET_MAX)
		json_object_object_add(params, "ticket",
				       json_object_new_string(r->name));
	log_info("%s: reserving, %zu candidate place(s)", r->name,
		 json_object_array_length(ids));
	r->call = rpc_call(a->chan, WIRE_RESERVE, params, reserve_done, r);
	if (!r->call)
		return reserve_fail(r, "unavailable",
				    "lost the server connection; try again");
	queue_start(r);
}

/* The ids of the places that match (and, if pinned, have the name). */
static json_object *candidates(const struct reservation *r,
			       json_object *places)
{
	json_object *ids = json_object_new_array(), *v;
	int *assign = calloc(r->imp->nparts + 1, sizeof(int));

	for (size_t i = 0; assign && i < json_object_array_length(places);
	     i++) {
		json_object *p = json_object_array_get_idx(places, i);

		if (r->pin &&
		    (!json_object_object_get_ex(p, "name", &v) ||
		     strcmp(json_object_get_string(v), r->pin) != 0))
			continue;
		if (match_place(r->imp, p, assign) &&
		    json_object_object_get_ex(p, "id", &v))
			json_object_array_add(ids, json_object_get(v));
	}
	free(assign);
	return ids;
}

static bool place_held(json_object *list, int id)
{
	for (size_t k = 0; list && k < json_object_array_length(list); k++) {
		json_object *e = json_object_array_get_idx(list, k), *p;

		if (json_object_object_get_ex(e, "place_id", &p) &&
		    json_object_get_int(p) == id)
			return true;
	}
	return false;
}

/* --no-wait at a hub without "queue": only the places nobody holds. */
static void reserve_free_only(void *data, json_object *result,
			      const struct rpc_err *err)
{
	struct reservation *r = data;
	json_object *ids, *list = NULL, *free_ids;
	char msg[600];

	r->list_call = NULL;
	if (err) {
		snprintf(msg, sizeof(msg),
			 "the server did not list reservations: %s",
			 err->message ? err->message : "?");
		return reserve_fail(r, "unavailable", msg);
	}
	ids = candidates(r, r->place);
	free_ids = json_object_new_array();
	json_object_object_get_ex(result, "reservations", &list);
	for (size_t i = 0; i < json_object_array_length(ids); i++) {
		json_object *id = json_object_array_get_idx(ids, i);

		if (!place_held(list, json_object_get_int(id)))
			json_object_array_add(free_ids, json_object_get(id));
	}
	json_object_put(ids);
	if (!json_object_array_length(free_ids)) {
		json_object_put(free_ids);
		snprintf(msg, sizeof(msg),
			 "%s: every matching place is taken; try later, or leave out --no-wait",
			 r->name);
		return reserve_fail(r, "conflict", msg);
	}
	reserve_send(r, free_ids);
}

static void reserve_places(void *arg, json_object *places, const char *msg)
{
	struct reservation *r = arg;
	struct agent *a = r->agent;
	json_object *ids;
	char err[600];

	r->pr = NULL;
	if (!places)
		return reserve_fail(r, "unavailable", msg);
	r->place = json_object_get(places);
	ids = candidates(r, places);
	if (!json_object_array_length(ids)) {
		json_object_put(ids);
		if (r->pin && !places_find(places, r->pin, 0))
			snprintf(err, sizeof(err),
				 "no place named '%s' at %s; see nmbctl search",
				 r->pin, a->cfg.server);
		else if (r->pin)
			snprintf(err, sizeof(err),
				 "place '%s' does not have the parts '%s' needs (compatible tags and interface names)",
				 r->pin, r->name);
		else
			snprintf(err, sizeof(err),
				 "no place has the parts '%s' needs (compatible tags and interface names); see nmbctl search",
				 r->name);
		return reserve_fail(r, "not-found", err);
	}
	/* Checked again: another reserve may have come in meanwhile. */
	if (res_find(a, r->name)) {
		json_object_put(ids);
		snprintf(err, sizeof(err), "'%s' is already reserved", r->name);
		return reserve_fail(r, "conflict", err);
	}
	if (res_check_ports(a, r->imp, r->name, err, sizeof(err))) {
		json_object_put(ids);
		return reserve_fail(r, "conflict", err);
	}
	if (a->chan && r->no_wait && !a->feat.queue) {
		r->list_call = rpc_call(a->chan, WIRE_GET_RESERVATIONS, NULL,
					reserve_free_only, r);
		if (r->list_call) {
			json_object_put(ids);
			return;
		}
	}
	reserve_send(r, ids);
}

void res_reserve(struct agent *a, struct rpc_req *req,
		 struct reserve_args *args)
{
	struct reservation *r = res_new(a, args->name, args->text, args->imp);

	if (r && args->pin)
		r->pin = strdup(args->pin);
	if (!r || (args->pin && !r->pin)) {
		if (r)
			res_free(r);
		return unixrpc_error(req, "internal", "out of memory");
	}
	r->priority = args->priority;
	r->no_wait = args->no_wait;
	r->progress = args->progress;
	r->pr = places_fetch(a, reserve_places, r);
	if (!r->pr) {
		res_free(r);
		return unixrpc_error(req, "unavailable",
				     "cannot reach the server %s for the place list; is it running?",
				     a->cfg.server);
	}
	r->req = req;
	rpc_req_on_cancel(req, reserve_cancel, r);
}

/* --- return ------------------------------------------------------------ */

struct returning {
	char *name;
	struct rpc_req *req;	/* nmbctl's return_reservation, or NULL */
};

static void returning_cancel(struct rpc_req *req, void *data)
{
	struct returning *ret = data;

	(void)req;
	ret->req = NULL;
}

static void returned(void *data, json_object *result,
		     const struct rpc_err *err)
{
	struct returning *ret = data;

	(void)result;
	if (err && err->code != RPC_CONNECTION_CLOSED)
		log_warn("%s: the server refused the return: %s", ret->name,
			 log_esc(err->message));
	if (ret->req) {
		rpc_req_on_cancel(ret->req, NULL, NULL);
		rpc_reply(ret->req, NULL);
	}
	free(ret->name);
	free(ret);
}

/* Returns r at the server, frees it; answers req once the server did. */
static void give_back(struct reservation *r, const char *why,
		      struct rpc_req *req)
{
	struct rpc_chan *ch = r->agent->chan;
	struct returning *ret = NULL;
	json_object *params;

	if (r->place_id && ch && !r->lost)
		ret = calloc(1, sizeof(*ret));
	if (ret) {
		params = json_object_new_array();
		json_object_array_add(params,
				      json_object_new_int(r->place_id));
		ret->name = strdup(r->name);
		ret->req = req;
		log_info("%s: returning place %s (%s)", r->name,
			 log_esc(r->place_name), why);
		if (rpc_call(ch, WIRE_RETURN_RESERVATION, params, returned,
			     ret)) {
			if (req)
				rpc_req_on_cancel(req, returning_cancel, ret);
			req = NULL;
		} else {
			free(ret->name);
			free(ret);
		}
	}
	res_free(r);
	if (req)
		rpc_reply(req, NULL);
}

void res_return(struct reservation *r, const char *why)
{
	give_back(r, why, NULL);
}

void res_return_req(struct reservation *r, bool force, struct rpc_req *req)
{
	if (r->attached && !force)
		return unixrpc_error(req, "conflict",
				     "'%s' is attached; detach it first (or force)",
				     r->name);
	reserve_answer(r, "unavailable", "'%s' was returned while queued%s",
		       "");
	give_back(r, "returned by nmbctl", req);
}

/* --- a new import description -------------------------------------- */

void res_update_description(struct reservation *r, const char *text,
			    struct rpc_req *req)
{
	struct match_import *imp;
	char err[600], file[300];
	char *copy;
	int *assign;

	/* usb_import borrows names from the description it attached by */
	if (r->attached)
		return unixrpc_error(req, "conflict",
				     "'%s' is attached; detach it before changing its import description",
				     r->name);
	snprintf(file, sizeof(file), "%s.yaml", r->name);
	if (match_import_parse(text, file, &imp, err, sizeof(err)))
		return unixrpc_error(req, "invalid", "%s", err);
	if (res_check_ports(r->agent, imp, r->name, err, sizeof(err))) {
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
	copy = strdup(text);
	if (!copy) {
		free(assign);
		match_import_free(imp);
		return unixrpc_error(req, "internal", "out of memory");
	}
	free(r->text);
	r->text = copy;
	match_import_free(r->imp);
	r->imp = imp;
	free(r->assign);
	r->assign = assign;
	rpc_reply(req, NULL);
}

/* --- regain: the place back after the server lost it --------------- */

static void regain_try(struct loop_timer *t, void *arg);

static void regain_later(struct reservation *r)
{
	if (!r->regain)
		r->regain = loop_timer_new(r->agent->loop, regain_try, r);
	if (r->regain)
		loop_timer_set(r->regain, REGAIN_MS);
}

static void regain_done(void *data, json_object *result,
			const struct rpc_err *err)
{
	struct reservation *r = data;
	json_object *place = r->regain_place;
	char msg[300], secret[GRANT_SECRET_SIZE];
	int id;

	r->call = NULL;
	r->regain_place = NULL;
	if (err) {
		if (err->code != RPC_CONNECTION_CLOSED)
			log_info("%s: place %s not back yet: %s", r->name,
				 log_esc(r->place_name), log_esc(err->message));
		json_object_put(place);
		return regain_later(r);
	}
	id = grant_of(result, secret);
	res_placed(r, id, secret, place);
	json_object_put(place);
	if (r->reattach && attach_start(r, msg, sizeof(msg)))
		log_warn("%s: cannot attach again: %s", r->name, msg);
	r->reattach = false;
}

static void regain_places(void *arg, json_object *places, const char *err)
{
	struct reservation *r = arg;
	struct rpc_chan *ch = r->agent->chan;
	json_object *params, *ids, *p, *v;

	r->pr = NULL;
	if (!places || !ch) {
		if (err)
			log_info("%s: %s", r->name, err);
		return regain_later(r);
	}
	p = places_find(places, r->place_name, 0);
	if (!p || !match_place(r->imp, p, NULL) ||
	    !json_object_object_get_ex(p, "id", &v))
		return regain_later(r);
	ids = json_object_new_array();
	json_object_array_add(ids, json_object_get(v));
	params = json_object_new_object();
	json_object_object_add(params, "candidate_ids", ids);
	/* the lease only while auto_return still runs */
	if (r->auto_return && loop_timer_armed(r->auto_return))
		add_lease(r, params);
	r->regain_place = json_object_get(p);
	r->call = rpc_call(ch, WIRE_RESERVE, params, regain_done, r);
	if (!r->call) {
		json_object_put(r->regain_place);
		r->regain_place = NULL;
		return regain_later(r);
	}
	log_info("%s: place %s is back as id %d; reserving it again",
		 r->name, r->place_name, json_object_get_int(v));
}

static void regain_try(struct loop_timer *t, void *arg)
{
	struct reservation *r = arg;

	(void)t;
	if (r->call || r->pr)
		return;
	r->pr = places_fetch(r->agent, regain_places, r);
	if (!r->pr)
		regain_later(r);
}

void res_lost(struct agent *a, int place_id, const char *why)
{
	struct reservation *r, *next;

	list_for_each_entry_safe(r, next, &a->res, node) {
		if (!r->place_id || (place_id && r->place_id != place_id))
			continue;
		if (!strcmp(why, "lease") || !strcmp(why, "forced")) {
			log_warn("%s: the server took back place %s (%s); detaching. Reserve it again to continue",
				 r->name, r->place_name ? r->place_name : "?",
				 why);
			r->lost = true;
			res_return(r, why);
			continue;
		}
		/*
		 * The exporter went away for good, or the server forgot our
		 * session: the reservation is gone there. Keep it here and
		 * reserve the same place again as soon as it is back (an
		 * exporter restart gives it a new id), then attach again.
		 */
		log_warn("%s: place %s lost at the server (%s); reserving it again when it is back",
			 r->name, r->place_name ? r->place_name : "?", why);
		if (!strcmp(why, "gone"))
			return_place(a, r->place_id);
		r->reattach = r->attached || r->reattach;
		attach_stop(r);
		part_power_clear(r);
		r->place_id = 0;
		r->secret[0] = '\0';
		r->queued_ms = loop_now_ms();
		regain_later(r);
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * farm.c - the read-only view of the whole farm that the web page shows:
 * the subscribe_farm method (roles viewer, importer or admin), the farm
 * snapshot (places, holders, queue, recent reservations) as its answer,
 * and the same snapshot pushed as a "farm" notification to every
 * subscriber after each change: in the next turn of the event loop, and
 * at most one per FARM_DELAY_US, so that a burst of changes is one push.
 * Documented in Documentation/protocol.rst.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

#define FARM_DELAY_US	50000	/* at most one push per this */
#define RECENT_MAX	50	/* finished reservations kept */
#define QUEUE_SHOWN	200	/* waiters listed; queue_length has all */
#define CANDS_SHOWN	32	/* candidate names listed a waiter */
#define BACKLOG_MAX	(256u << 10)	/* queued bytes: skip, send later */

struct recent {
	char *place, *user;
	char ip[INET6_ADDRSTRLEN];
	int64_t since_ms, until_ms;
	const char *end;
};

static struct recent recent[RECENT_MAX];
static unsigned int recent_next, recent_count;
static lws_sorted_usec_list_t push_timer;
static uint64_t last_push_us;

/* A monotonic lws time (us) as wall-clock milliseconds. */
static int64_t wall_of(uint64_t mono_us, int64_t now_ms, uint64_t now_us)
{
	return now_ms - (int64_t)((now_us - mono_us) / 1000);
}

static json_object *holder_json(const struct srv_res *r, int64_t now_ms,
				uint64_t now_us)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "user",
			       json_object_new_string(r->holder->user));
	json_object_object_add(o, "ip", json_object_new_string(r->holder->ip));
	json_object_object_add(o, "connected", json_object_new_boolean(
					r->holder->conn != NULL));
	if (r->req) {
		json_object_object_add(o, "granting",
				       json_object_new_boolean(true));
		return o;
	}
	json_object_object_add(o, "since", json_object_new_int64(r->since_ms));
	if (r->lease_s && r->lease.list.owner)
		json_object_object_add(o, "lease_end", json_object_new_int64(
			wall_of((uint64_t)r->lease.us, now_ms, now_us)));
	return o;
}

static json_object *place_json(const struct srv_place *p, int64_t now_ms,
			       uint64_t now_us)
{
	json_object *o = json_object_new_object(), *parts;
	bool connected = p->exporter && p->exporter->conn && !p->offline;

	json_object_object_add(o, "id", json_object_new_int64(p->id));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "host", json_object_new_string(p->host));
	json_object_object_add(o, "connected",
			       json_object_new_boolean(connected));
	json_object_object_add(o, "last_seen",
			       json_object_new_int64(connected ? now_ms :
						     p->seen_ms));
	if (!connected && p->exporter && p->exporter->grace_end_ms)
		json_object_object_add(o, "grace_end", json_object_new_int64(
					p->exporter->grace_end_ms));
	if (json_object_object_get_ex(p->desc, "parts", &parts))
		json_object_object_add(o, "parts", json_object_get(parts));
	else
		json_object_object_add(o, "parts", json_object_new_array());
	json_object_object_add(o, "holder", p->res ?
			       holder_json(p->res, now_ms, now_us) : NULL);
	return o;
}

static json_object *waiter_json(const struct srv_waiter *w,
				unsigned int pos, int64_t now_ms,
				uint64_t now_us)
{
	json_object *o = json_object_new_object();
	json_object *cands = json_object_new_array();

	json_object_object_add(o, "position", json_object_new_int64(pos));
	json_object_object_add(o, "user", json_object_new_string(w->sess->user));
	json_object_object_add(o, "ip", json_object_new_string(w->sess->ip));
	json_object_object_add(o, "since", json_object_new_int64(
				wall_of(w->t0_us, now_ms, now_us)));
	json_object_object_add(o, "priority",
			       json_object_new_int(w->priority));
	for (size_t i = 0; i < w->ncands && i < CANDS_SHOWN; i++) {
		const struct srv_place *p = srv_place_find(w->cands[i]);

		if (p)
			json_object_array_add(cands,
					json_object_new_string(p->name));
	}
	json_object_object_add(o, "candidates", cands);
	json_object_object_add(o, "candidate_count",
			       json_object_new_int64((int64_t)w->ncands));
	return o;
}

static json_object *recent_json(void)
{
	json_object *list = json_object_new_array();

	/* Newest first. */
	for (unsigned int k = 1; k <= recent_count; k++) {
		const struct recent *e =
			&recent[(recent_next + RECENT_MAX - k) % RECENT_MAX];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "place",
				       json_object_new_string(e->place));
		json_object_object_add(o, "user",
				       json_object_new_string(e->user));
		json_object_object_add(o, "ip", json_object_new_string(e->ip));
		json_object_object_add(o, "since",
				       json_object_new_int64(e->since_ms));
		json_object_object_add(o, "until",
				       json_object_new_int64(e->until_ms));
		json_object_object_add(o, "ended",
				       json_object_new_string(e->end));
		json_object_array_add(list, o);
	}
	return list;
}

static json_object *snapshot(void)
{
	json_object *o = json_object_new_object();
	json_object *places = json_object_new_array();
	json_object *queue = json_object_new_array();
	int64_t now_ms = srv_wall_ms();
	uint64_t now_us = srv_now_us();
	unsigned int pos = 0;

	for (struct srv_place *p = srv.places; p; p = p->next)
		json_object_array_add(places, place_json(p, now_ms, now_us));
	for (struct srv_waiter *w = srv.queue; w && pos < QUEUE_SHOWN;
	     w = w->next)
		json_object_array_add(queue, waiter_json(w, ++pos, now_ms,
							 now_us));
	json_object_object_add(o, "now", json_object_new_int64(now_ms));
	json_object_object_add(o, "places", places);
	json_object_object_add(o, "queue", queue);
	json_object_object_add(o, "queue_length",
			       json_object_new_int64(srv.nqueue));
	json_object_object_add(o, "recent", recent_json());
	return o;
}

static void push(lws_sorted_usec_list_t *sul)
{
	json_object *msg;
	const char *text;
	size_t len;

	(void)sul;
	if (!srv.nsubs || srv.stopping)
		return;
	last_push_us = srv_now_us();
	msg = json_object_new_object();
	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "method", json_object_new_string("farm"));
	json_object_object_add(msg, "params", snapshot());
	text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	/*
	 * One text for every subscriber; srv_conn_send copies it. A page
	 * that has not read what it got is skipped: once its queue is
	 * empty, net.c calls srv_farm_drained() and it gets the latest.
	 */
	for (struct srv_conn *c = srv.conns; c; c = c->next) {
		if (!c->farm_sub)
			continue;
		if (c->out_bytes > BACKLOG_MAX) {
			c->farm_behind = true;
			continue;
		}
		srv_conn_send(c, text, len);
	}
	json_object_put(msg);
}

void srv_farm_changed(void)
{
	uint64_t now = srv_now_us(), due = last_push_us + FARM_DELAY_US;

	/* Never from here: the change that called may be half done. */
	if (srv.nsubs && !srv.stopping && !push_timer.list.owner)
		srv_timer(&push_timer, push, due > now ? due - now : 1);
}

static void recent_add(const char *place, const struct srv_res *r,
		       const char *end)
{
	struct recent *e = &recent[recent_next];

	free(e->place);
	free(e->user);
	e->place = strdup(place);
	e->user = strdup(r->holder->user);
	if (!e->place || !e->user) {
		free(e->place);
		free(e->user);
		memset(e, 0, sizeof(*e));
		return;
	}
	snprintf(e->ip, sizeof(e->ip), "%s", r->holder->ip);
	e->since_ms = r->since_ms;
	e->until_ms = srv_wall_ms();
	e->end = end;
	recent_next = (recent_next + 1) % RECENT_MAX;
	if (recent_count < RECENT_MAX)
		recent_count++;
	srv_farm_changed();
}

/* r, granted, ends now: from res_free, or when its place goes away. */
void srv_farm_ended(struct srv_res *r)
{
	if (!r->since_ms)
		return;
	recent_add(r->place ? r->place->name : "(gone)", r,
		   r->end ? r->end : "returned");
	if (r->place)
		srv_metrics_released(r->place, r->since_ms);
	r->since_ms = 0;	/* recorded once */
}

void srv_farm_subscribe(struct rpc_req *req, json_object *params, void *ctx)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} role_names[] = {
		{ SRV_ROLE_VIEWER, "viewer" }, { SRV_ROLE_IMPORTER, "importer" },
		{ SRV_ROLE_ADMIN, "admin" }, { SRV_ROLE_EXPORTER, "exporter" },
	};
	struct srv_conn *c = ctx;
	json_object *a[1], *o, *you, *roles;
	char err[160];

	if (rpc_args(params, (const char *[]){ NULL }, 0, a, err,
		     sizeof(err)))
		return rpc_errorf(req, RPC_INTERNAL_ERROR,
				  "subscribe_farm() %s", err);
	if (!(c->roles & (SRV_ROLE_VIEWER | SRV_ROLE_IMPORTER |
			  SRV_ROLE_ADMIN))) {
		log_notice("conn=%u peer=%s user=%s: subscribe_farm refused: token has no viewer, importer or admin role",
			   c->id, c->ip, c->sess ? c->sess->user : "?");
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "Permission denied: subscribe_farm needs a token with the viewer role");
	}
	if (!c->farm_sub) {
		c->farm_sub = true;
		srv.nsubs++;
	}
	o = snapshot();
	you = json_object_new_object();
	roles = json_object_new_array();
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (c->roles & role_names[i].bit)
			json_object_array_add(roles, json_object_new_string(
					role_names[i].name));
	json_object_object_add(you, "user", json_object_new_string(
				c->sess ? c->sess->user : ""));
	json_object_object_add(you, "roles", roles);
	json_object_object_add(o, "you", you);
	rpc_reply(req, o);
}

void srv_farm_drained(struct srv_conn *c)
{
	if (!c->farm_behind)
		return;
	c->farm_behind = false;
	srv_farm_changed();
}

void srv_farm_unsubscribe(struct srv_conn *c)
{
	if (!c->farm_sub)
		return;
	c->farm_sub = false;
	srv.nsubs--;
	if (!srv.nsubs)
		srv_timer_cancel(&push_timer);
}

void srv_farm_free(void)
{
	srv_timer_cancel(&push_timer);
	for (unsigned int i = 0; i < RECENT_MAX; i++) {
		free(recent[i].place);
		free(recent[i].user);
	}
	memset(recent, 0, sizeof(recent));
	recent_next = recent_count = 0;
}

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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "farm.h"
#include "log.h"
#include "part_report.h"
#include "protocol.h"
#include "scheduler.h"
#include "server.h"
#include "timer.h"

#define FARM_DELAY_US	50000	/* at most one push per this */
#define QUEUE_SHOWN	200	/* waiters listed; queue_length has all */
#define CANDS_SHOWN	32	/* candidate names listed a waiter */
#define BACKLOG_MAX	(256u << 10)	/* queued bytes: skip, send later */

/* A monotonic time (us) as wall-clock milliseconds. */
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
	if (r->lease_s && r->lease_end_us)
		json_object_object_add(o, "lease_end", json_object_new_int64(
			wall_of(r->lease_end_us, now_ms, now_us)));
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
	json_object_object_add(o, "power", srv_part_json(p));
	return o;
}

static json_object *waiter_json(struct sched *sc,
				const struct srv_waiter *w, unsigned int pos,
				int64_t now_ms, uint64_t now_us)
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
		const struct srv_place *p = sched_place_find(sc,
							    w->cands[i]);

		if (p)
			json_object_array_add(cands,
					json_object_new_string(p->name));
	}
	json_object_object_add(o, "candidates", cands);
	json_object_object_add(o, "candidate_count",
			       json_object_new_int64((int64_t)w->ncands));
	return o;
}

static json_object *recent_json(const struct srv_farm *f)
{
	json_object *list = json_object_new_array();

	/* Newest first. */
	for (unsigned int k = 1; k <= f->recent_count; k++) {
		const struct srv_farm_recent *e = &f->recent[
			(f->recent_next + SRV_FARM_RECENT - k) %
			SRV_FARM_RECENT];
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

static json_object *snapshot(struct server *srv)
{
	struct sched *sc = &srv->sched;
	json_object *o = json_object_new_object();
	json_object *places = json_object_new_array();
	json_object *queue = json_object_new_array();
	int64_t now_ms = srv_wall_ms();
	uint64_t now_us = srv_now_us();
	unsigned int pos = 0;
	struct srv_waiter *w;
	struct srv_place *p;

	TAILQ_FOREACH(p, &sc->places, link)
		json_object_array_add(places, place_json(p, now_ms, now_us));
	TAILQ_FOREACH(w, &sc->queue, link) {
		if (pos == QUEUE_SHOWN)
			break;
		json_object_array_add(queue, waiter_json(sc, w, ++pos, now_ms,
							 now_us));
	}
	json_object_object_add(o, "now", json_object_new_int64(now_ms));
	json_object_object_add(o, "places", places);
	json_object_object_add(o, "queue", queue);
	json_object_object_add(o, "queue_length",
			       json_object_new_int64(sc->nqueue));
	json_object_object_add(o, "recent", recent_json(&srv->farm));
	return o;
}

static void push(struct server *srv, void *data)
{
	struct srv_conn *c;
	json_object *msg;
	const char *text;
	size_t len;

	(void)data;
	if (!srv->farm.nsubs || srv->sched.stopping)
		return;
	srv->farm.last_push_us = srv_now_us();
	msg = json_object_new_object();
	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "method", json_object_new_string(WIRE_FARM));
	json_object_object_add(msg, "params", snapshot(srv));
	text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	/*
	 * One text for every subscriber; its channel copies it. A page
	 * that has not read what it got is skipped: once its queue is
	 * empty, net.c calls srv_farm_drained() and it gets the latest.
	 */
	LIST_FOREACH(c, &srv->conns, link) {
		if (!c->farm_sub)
			continue;
		if (c->out_bytes > BACKLOG_MAX) {
			c->farm_behind = true;
			continue;
		}
		rpc_send_text(c->rpc, text, len);
	}
	json_object_put(msg);
}

void srv_farm_changed(struct server *srv)
{
	struct srv_farm *f = &srv->farm;
	uint64_t now = srv_now_us(), due = f->last_push_us + FARM_DELAY_US;

	/* Never from here: the change that called may be half done. */
	if (f->nsubs && !srv->sched.stopping &&
	    !srv_timer_armed(f->push_timer))
		srv_timer_set(f->push_timer, due > now ? due - now : 1);
}

static void recent_add(struct server *srv, const char *place,
		       const struct srv_res *r, const char *end)
{
	struct srv_farm *f = &srv->farm;
	struct srv_farm_recent *e = &f->recent[f->recent_next];

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
	f->recent_next = (f->recent_next + 1) % SRV_FARM_RECENT;
	if (f->recent_count < SRV_FARM_RECENT)
		f->recent_count++;
	srv_farm_changed(srv);
}

/* r, granted, ends now (the scheduler tells it once). */
void srv_farm_ended(struct server *srv, struct srv_res *r)
{
	recent_add(srv, r->place ? r->place->name : "(gone)", r,
		   r->end ? r->end : "returned");
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
	struct server *srv = c->srv;
	json_object *a[1], *o, *you, *roles;
	char err[160];

	if (rpc_args(params, (const char *[]){ NULL }, 0, a, err,
		     sizeof(err)))
		return rpc_errorf(req, RPC_INTERNAL_ERROR, "%s() %s",
				  WIRE_SUBSCRIBE_FARM, err);
	if (!(c->roles & (SRV_ROLE_VIEWER | SRV_ROLE_IMPORTER |
			  SRV_ROLE_ADMIN))) {
		log_notice("conn=%u peer=%s user=%s: subscribe_farm refused: token has no viewer, importer or admin role",
			   c->id, c->ip, c->sess ? c->sess->user : "?");
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "Permission denied: subscribe_farm needs a token with the viewer role");
	}
	if (!c->farm_sub) {
		c->farm_sub = true;
		srv->farm.nsubs++;
	}
	o = snapshot(srv);
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

void srv_farm_drained(struct server *srv, struct srv_conn *c)
{
	if (!c->farm_behind)
		return;
	c->farm_behind = false;
	srv_farm_changed(srv);
}

void srv_farm_unsubscribe(struct server *srv, struct srv_conn *c)
{
	if (!c->farm_sub)
		return;
	c->farm_sub = false;
	srv->farm.nsubs--;
	if (!srv->farm.nsubs)
		srv_timer_stop(srv->farm.push_timer);
}

int srv_farm_init(struct server *srv)
{
	srv->farm.push_timer = srv_timer_new(srv, push, NULL);
	return srv->farm.push_timer ? 0 : -ENOMEM;
}

void srv_farm_free(struct server *srv)
{
	struct srv_farm *f = &srv->farm;

	srv_timer_free(&f->push_timer);
	for (unsigned int i = 0; i < SRV_FARM_RECENT; i++) {
		free(f->recent[i].place);
		free(f->recent[i].user);
	}
	memset(f->recent, 0, sizeof(f->recent));
	f->recent_next = f->recent_count = 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * server.c - the server's context as a whole: set-up and tear-down of
 * what main.c does not own, and what the scheduler's events do to the
 * rest of the server (struct sched_ops): set_allowed_ips and
 * notifications go over the peers' WebSockets, the state file and the
 * farm page hear of changes, metrics of outcomes, and the one lease
 * timer runs sched_expire().
 */
#include <errno.h>
#include <stddef.h>

#include "clock.h"
#include "farm.h"
#include "idp.h"
#include "login.h"
#include "metrics.h"
#include "part_report.h"
#include "protocol.h"
#include "relay_srv.h"
#include "server.h"
#include "session.h"
#include "state.h"
#include "timer.h"

static struct server *of(struct sched *sc)
{
	return (struct server *)((char *)sc - offsetof(struct server, sched));
}

static uint64_t now_us(struct sched *sc)
{
	(void)sc;
	return srv_now_us();
}

static int64_t wall_ms(struct sched *sc)
{
	(void)sc;
	return srv_wall_ms();
}

/* Over the exporter's WebSocket, while it is connected. */
static struct rpc_call *allow(struct sched *sc, struct srv_place *p,
			      const char *ip, const char *secret,
			      rpc_done_fn done, void *data)
{
	struct srv_conn *c = p->exporter->conn;
	json_object *ips, *params;

	srv_relay_allowed(of(sc), p, ip);
	if (!c)
		return NULL;
	ips = json_object_new_array();
	if (ip)
		json_object_array_add(ips, json_object_new_string(ip));
	params = json_object_new_array();
	json_object_array_add(params, ips);
	/* only to an exporter that asked for secrets (hello): the grant's */
	if (ip && secret && secret[0])
		json_object_array_add(params, json_object_new_string(secret));
	return rpc_call(c->rpc, WIRE_SET_ALLOWED_IPS, params, done, data);
}

static void notify(struct sched *sc, struct srv_session *s,
		   const char *method, json_object *params)
{
	(void)sc;
	if (!s->conn) {
		json_object_put(params);
		return;
	}
	rpc_notify(s->conn->rpc, method, params);
}

static void deadline(struct sched *sc, uint64_t at_us)
{
	struct server *srv = of(sc);
	uint64_t now = srv_now_us();

	if (!at_us)
		srv_timer_stop(srv->lease_timer);
	else
		srv_timer_set(srv->lease_timer, at_us > now ? at_us - now : 0);
}

static void lease_due(struct server *srv, void *data)
{
	(void)data;
	sched_expire(&srv->sched, srv_now_us());
}

void srv_changed(struct server *srv, bool saved)
{
	if (saved)
		srv_state_changed(srv);
	srv_farm_changed(srv);
}

static void changed(struct sched *sc, bool saved)
{
	srv_changed(of(sc), saved);
}

static void registered(struct sched *sc, struct srv_place *p)
{
	p->stats = srv_metrics_place(&of(sc)->metrics, p->name);
	srv_relay_place_added(of(sc), p, p->exporter->conn);
}

static void removed(struct sched *sc, struct srv_place *p)
{
	srv_relay_place_removed(of(sc), p);
}

static void granted(struct sched *sc, struct srv_res *r)
{
	srv_part_replay(of(sc), r);
}

static void ended(struct sched *sc, struct srv_res *r)
{
	struct server *srv = of(sc);
	int64_t held_ms = srv_wall_ms() - r->since_ms;

	srv_farm_ended(srv, r);
	if (r->place && held_ms > 0)
		srv_metrics_released(r->place->stats, (double)held_ms / 1000);
}

static void outcome(struct sched *sc, enum srv_outcome o,
		    const struct srv_res *r)
{
	double wait_s = r ? (double)(srv_now_us() - r->t0_us) / 1e6 : 0;

	srv_metrics_outcome(&of(sc)->metrics, o,
			    r && r->place ? r->place->stats : NULL, wait_s);
}

static const struct sched_ops ops = {
	.now_us = now_us,
	.wall_ms = wall_ms,
	.deadline = deadline,
	.allow = allow,
	.notify = notify,
	.changed = changed,
	.registered = registered,
	.granted = granted,
	.removed = removed,
	.ended = ended,
	.outcome = outcome,
};

int srv_core_init(struct server *srv, struct srv_config *cfg)
{
	srv->cfg = cfg;
	srv->next_conn_id = 1;
	LIST_INIT(&srv->logins);
	TAILQ_INIT(&srv->sessions);
	LIST_INIT(&srv->conns);
	sched_init(&srv->sched, &ops, cfg);
	srv_metrics_init(&srv->metrics);
	srv->lease_timer = srv_timer_new(srv, lease_due, NULL);
	if (!srv->lease_timer || srv_farm_init(srv)) {
		srv_core_free(srv);
		return -ENOMEM;
	}
	return 0;
}

void srv_core_free(struct server *srv)
{
	struct srv_session *s;
	struct srv_conn *c;

	srv->sched.stopping = true;
	LIST_FOREACH(c, &srv->conns, link)
		rpc_chan_close(c->rpc);
	while ((s = TAILQ_FIRST(&srv->sessions))) {
		if (s->conn)
			s->conn->sess = NULL;
		srv_session_free(srv, s);
	}
	sched_free(&srv->sched);
	srv_farm_free(srv);
	srv_timer_free(&srv->lease_timer);
	srv_timer_free(&srv->state.save_timer);
	srv_timer_free(&srv->state.beat_timer);
	srv_timer_free(&srv->notify_timer);
	srv_timer_free(&srv->stop_timer);
	srv_login_free(srv);
	srv_idp_free(srv);
	srv_metrics_free(&srv->metrics);
}

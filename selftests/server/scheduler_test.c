// SPDX-License-Identifier: GPL-2.0
/*
 * scheduler_test.c - unit tests of nmb-server's scheduler alone
 * (daemon/server/scheduler.c): no sockets, no event loop. Exporters and
 * agents are lib/jsonrpc channels whose messages are captured (the test's
 * own struct srv_conn, which the scheduler never looks into); time is a
 * fake clock the test moves, and the lease timer is the deadline the
 * scheduler asks for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "log.h"
#include "place.h"
#include "scheduler.h"
#include "../lib/tap.h"

#define OUTBOX	32

/* cond first: the message's arguments may read what cond computed. */
#define CHECK(cond, ...)							\
	do {								\
		bool ok_ = (cond);					\
		ok(ok_, __VA_ARGS__);					\
	} while (0)

/* What a session's connection is, here: its channel. */
struct srv_conn {
	struct rpc_chan *ch;
};

struct peer {
	struct srv_session s;
	struct srv_conn conn;
	struct rpc_chan *ch;
	char out[OUTBOX][512];
	int nout;
	int next_id;
};

/* --- the scheduler's ops: a fake clock and records -------------------- */

static uint64_t now = 5000000;		/* us */
static int64_t wall = 1700000000000;	/* ms */
static uint64_t deadline_at;
static unsigned int outcomes[SRV_OUTCOMES];
static char ended_how[8][32];
static int nended, nchanged, nregistered, ngranted;
static bool granted_answered;	/* the reserve answered before granted() */

static uint64_t now_us(struct sched *sc)
{
	(void)sc;
	return now;
}

static int64_t wall_ms(struct sched *sc)
{
	(void)sc;
	return wall;
}

static void deadline(struct sched *sc, uint64_t at_us)
{
	(void)sc;
	deadline_at = at_us;
}

static struct rpc_call *allow(struct sched *sc, struct srv_place *p,
			      const char *ip, const char *secret,
			      rpc_done_fn done, void *data)
{
	json_object *ips = json_object_new_array(), *params;

	(void)sc;
	if (!p->exporter->conn) {
		json_object_put(ips);
		return NULL;
	}
	if (ip)
		json_object_array_add(ips, json_object_new_string(ip));
	params = json_object_new_array();
	json_object_array_add(params, ips);
	if (ip && secret && secret[0])
		json_object_array_add(params, json_object_new_string(secret));
	return rpc_call(p->exporter->conn->ch, "set_allowed_ips", params,
			done, data);
}

static void notify(struct sched *sc, struct srv_session *s,
		   const char *method, json_object *params)
{
	(void)sc;
	rpc_notify(s->conn->ch, method, params);
}

static void changed(struct sched *sc, bool saved)
{
	(void)sc;
	(void)saved;
	nchanged++;
}

static void registered(struct sched *sc, struct srv_place *p)
{
	(void)sc;
	(void)p;
	nregistered++;
}

static void granted(struct sched *sc, struct srv_res *r)
{
	(void)sc;
	ngranted++;
	granted_answered = !r->req && r->since_ms;
}

static void ended(struct sched *sc, struct srv_res *r)
{
	(void)sc;
	if (nended < 8)
		snprintf(ended_how[nended++], sizeof(ended_how[0]), "%s",
			 r->end ? r->end : "returned");
}

static void outcome(struct sched *sc, enum srv_outcome o,
		    const struct srv_res *r)
{
	(void)sc;
	(void)r;
	outcomes[o]++;
}

static const struct sched_ops ops = {
	.now_us = now_us, .wall_ms = wall_ms, .deadline = deadline,
	.allow = allow, .notify = notify, .changed = changed, .registered = registered,
	.granted = granted, .ended = ended,
	.outcome = outcome,
};

static struct srv_config cfg = { .uniqueness_tolerance = 0.01 };
static struct sched sc;

/* --- peers ---------------------------------------------------------------- */

/* A channel's ctx is its struct srv_conn, as in the server. */
static struct peer *peer_of(void *ctx)
{
	return (struct peer *)((char *)ctx - offsetof(struct peer, conn));
}

static int capture(void *ctx, const char *msg, size_t len)
{
	struct peer *p = peer_of(ctx);

	if (p->nout < OUTBOX)
		snprintf(p->out[p->nout++], sizeof(p->out[0]), "%.*s",
			 (int)len, msg);
	return 0;
}

/* An agent's requests: [candidates, priority, lease, ticket] and [id]. */
static void m_reserve(struct rpc_req *req, json_object *params, void *ctx)
{
	struct peer *p = peer_of(ctx);
	json_object *t = json_object_array_get_idx(params, 3);

	sched_reserve(&sc, req, &p->s, json_object_array_get_idx(params, 0),
		      json_object_get_int(json_object_array_get_idx(params,
								     1)),
		      (unsigned int)json_object_get_int(
				json_object_array_get_idx(params, 2)),
		      t ? json_object_get_string(t) : NULL);
}

static void m_return(struct rpc_req *req, json_object *params, void *ctx)
{
	struct peer *p = peer_of(ctx);
	struct srv_res *r = sched_res_find(&p->s, (unsigned int)
			json_object_get_int(json_object_array_get_idx(params,
								       0)));

	if (!r)
		return rpc_error(req, RPC_INTERNAL_ERROR, "not held");
	sched_return(&sc, req, r, false);
}

static const struct rpc_method methods[] = {
	{ "reserve", m_reserve }, { "return_reservation", m_return },
	{ NULL, NULL },
};

static struct peer *peer_new(const char *user, const char *ip)
{
	struct peer *p = calloc(1, sizeof(*p));

	p->ch = rpc_chan_new(methods, capture, &p->conn);
	p->conn.ch = p->ch;
	p->s.conn = &p->conn;
	p->s.notify = true;
	LIST_INIT(&p->s.res);
	snprintf(p->s.user, sizeof(p->s.user), "%s", user);
	snprintf(p->s.ip, sizeof(p->s.ip), "%s", ip);
	return p;
}

/* The peer goes away: its channel closes, then the scheduler hears. */
static void peer_leave(struct peer *p)
{
	rpc_chan_close(p->ch);
	p->s.conn = NULL;
	sched_leave(&sc, &p->s);
	rpc_chan_free(p->ch);
	free(p);
}

/* An exporter with a place named NAME under ID. */
static struct peer *exporter_new(const char *name, unsigned int id)
{
	struct peer *e = peer_new(name, "198.18.0.1");
	char desc[128], err[128];
	json_object *o;
	struct srv_place *p;

	snprintf(desc, sizeof(desc),
		 "{\"name\":\"%s\",\"port\":1,\"parts\":[]}", name);
	o = json_tokener_parse(desc);
	p = srv_place_parse(o, err, sizeof(err));
	json_object_put(o);
	if (!p)
		abort();
	p->id = id;
	strcpy(p->host, "198.18.0.1");
	if (sched_register(&sc, &e->s, p))
		abort();
	return e;
}

static void feed(struct peer *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rpc_input(p->ch, msg, strlen(msg));
}

/* Sends reserve(cands, prio, lease, ticket); returns its request id. */
static int reserve(struct peer *a, const char *cands, int prio,
		   unsigned int lease, const char *ticket)
{
	char t[80] = "null";

	if (ticket)
		snprintf(t, sizeof(t), "\"%s\"", ticket);
	feed(a, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"reserve\","
	     "\"params\":[%s,%d,%u,%s]}", ++a->next_id, cands, prio, lease, t);
	return a->next_id;
}

static int give_back(struct peer *a, unsigned int place_id)
{
	feed(a, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"return_reservation\","
	     "\"params\":[%u]}", ++a->next_id, place_id);
	return a->next_id;
}

/* The message of p that contains NEEDLE, or NULL. */
static const char *sent(const struct peer *p, const char *needle)
{
	for (int i = 0; i < p->nout; i++)
		if (strstr(p->out[i], needle))
			return p->out[i];
	return NULL;
}

/* Has p got the answer RESULT (JSON text) to its request ID? */
static bool answered(const struct peer *p, int id, const char *result)
{
	char want[96];

	snprintf(want, sizeof(want), "\"id\":%d,\"result\":%s", id, result);
	for (int i = 0; i < p->nout; i++) {
		json_object *o = json_tokener_parse(p->out[i]);
		const char *s = json_object_to_json_string_ext(o,
					JSON_C_TO_STRING_PLAIN);
		bool hit = strstr(s, want) != NULL;

		json_object_put(o);
		if (hit)
			return true;
	}
	return false;
}

static bool any_answer(const struct peer *p, int id)
{
	char want[32];

	snprintf(want, sizeof(want), "\"id\":%d,", id);
	return sent(p, want) != NULL;
}

/*
 * The exporter acknowledges its last set_allowed_ips; *ips gets the
 * list it was given ("[]" or "[\"ip\"]"). False if there was none.
 */
static bool ack(struct peer *e, char *ips, size_t len)
{
	for (int i = e->nout - 1; i >= 0; i--) {
		json_object *o = json_tokener_parse(e->out[i]), *v, *params;
		bool call = json_object_object_get_ex(o, "method", &v) &&
			    !strcmp(json_object_get_string(v),
				    "set_allowed_ips");
		int id;

		if (!call) {
			json_object_put(o);
			continue;
		}
		json_object_object_get_ex(o, "id", &v);
		id = json_object_get_int(v);
		json_object_object_get_ex(o, "params", &params);
		snprintf(ips, len, "%s", json_object_to_json_string_ext(
				json_object_array_get_idx(params, 0),
				JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		e->nout = 0;
		feed(e, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":null}", id);
		return true;
	}
	return false;
}

static void clear(struct peer *p)
{
	p->nout = 0;
}

/* --- the tests ------------------------------------------------------------ */

int main(void)
{
	struct peer *e1, *e2, *e3, *a, *b, *c, *d, *f, *g, *h;
	char ips[128];
	int ra, rb, rc, rd, rr, rf, rg, n;
	struct srv_res *r;

	nmb_log_init("scheduler_test", LOG_WARNING);
	sched_init(&sc, &ops, &cfg);
	e1 = exporter_new("board-1", 1);
	e2 = exporter_new("board-2", 2);
	e3 = exporter_new("board-3", 3);
	CHECK(sc.nplaces == 3 && nregistered == 3 &&
	      sched_place_find(&sc, 2) == e2->s.place &&
	      sched_place_by_name(&sc, "board-3") == e3->s.place,
	      "three places registered, found by id and by name");

	/* Uniqueness: of two free candidates, the less unique one. */
	h = peer_new("hugo", "198.18.1.8");
	e1->s.place->ema = 0.9;
	e1->s.place->has_ema = true;
	e2->s.place->ema = 0.5;
	e2->s.place->has_ema = true;
	rr = reserve(h, "[1, 2]", 0, 0, NULL);
	CHECK(ack(e2, ips, sizeof(ips)) && answered(h, rr, "2") &&
	      e2->s.place->ema < 0.5 && e1->s.place->ema < 0.9,
	      "of two free places the lower uniqueness is chosen; both are updated");
	rr = give_back(h, 2);
	CHECK(ack(e2, ips, sizeof(ips)) && answered(h, rr, "null") &&
	      !e2->s.place->res, "and given back");
	peer_leave(h);
	memset(outcomes, 0, sizeof(outcomes));
	nended = 0;
	ngranted = 0;

	/* Reserve on a free place: granted after set_allowed_ips. */
	a = peer_new("alice", "198.18.1.1");
	ra = reserve(a, "[1]", 0, 0, NULL);
	CHECK(!any_answer(a, ra) && e1->s.place->res &&
	      e1->s.place->res->req,
	      "reserve on a free place: not answered before the exporter's ack");
	CHECK(ack(e1, ips, sizeof(ips)) && !strcmp(ips, "[\"198.18.1.1\"]"),
	      "the exporter is told the agent's IP: %s", ips);
	CHECK(answered(a, ra, "1") && outcomes[SRV_GRANTED] == 1 &&
	      sc.nreserved == 1 && sched_res_find(&a->s, 1),
	      "reserve answered with place 1 after the ack");
	CHECK(ngranted == 1 && granted_answered,
	      "granted() told once, after the reserve was answered");

	/* Queueing: two more wait for place 1, FIFO. */
	b = peer_new("bob", "198.18.1.2");
	c = peer_new("carol", "198.18.1.3");
	rb = reserve(b, "[1]", 0, 0, NULL);
	rc = reserve(c, "[1]", 0, 0, "ticket-c");
	CHECK(sc.nqueue == 2 && !any_answer(b, rb) && !any_answer(c, rc) &&
	      TAILQ_FIRST(&sc.queue)->sess == &b->s,
	      "a reserve on a held place waits, in arrival order");
	CHECK(sent(c, "\"reserve_queued\"") &&
	      strstr(sent(c, "reserve_queued"), "\"position\":2") &&
	      strstr(sent(c, "reserve_queued"), "ticket-c"),
	      "reserve_queued tells the ticket's holder its position 2");

	/* Priorities: d (priority 5) goes ahead of both. */
	d = peer_new("dave", "198.18.1.4");
	clear(c);
	rd = reserve(d, "[1]", 5, 0, NULL);
	CHECK(TAILQ_FIRST(&sc.queue)->sess == &d->s &&
	      TAILQ_NEXT(TAILQ_FIRST(&sc.queue), link)->sess == &b->s,
	      "a higher priority waits ahead of earlier lower ones");
	CHECK(sent(c, "reserve_queued") &&
	      strstr(sent(c, "reserve_queued"), "\"position\":3"),
	      "the ticket's holder hears it moved back to position 3");

	/* Return: the place goes to the first waiter (d), not to b. */
	clear(e1);
	rr = give_back(a, 1);
	CHECK(answered(a, rr, "null") && ack(e1, ips, sizeof(ips)) &&
	      !strcmp(ips, "[\"198.18.1.4\"]"),
	      "return hands place 1 to the priority waiter: %s", ips);
	CHECK(answered(d, rd, "1") && !any_answer(b, rb) && sc.nqueue == 2 &&
	      nended == 1 && !strcmp(ended_how[0], "returned"),
	      "the priority waiter is answered; the others still wait");

	/* Cancellation of a waiting reserve (rpc.cancel). */
	feed(b, "{\"jsonrpc\":\"2.0\",\"method\":\"rpc.cancel\",\"params\":[%d]}",
	     rb);
	CHECK(sc.nqueue == 1 && outcomes[SRV_CANCELLED] == 1 &&
	      TAILQ_FIRST(&sc.queue)->sess == &c->s,
	      "a cancelled waiter leaves the queue; the next moves up");

	/* Return with nobody waiting for it: answered after []. */
	clear(e1);
	rr = give_back(d, 1);
	CHECK(answered(c, rc, "null") == false && sc.nqueue == 0,
	      "the last waiter takes place 1 from the return");
	CHECK(ack(e1, ips, sizeof(ips)) && answered(c, rc, "1"),
	      "and is answered after the ack");
	clear(e1);
	rr = give_back(c, 1);
	CHECK(!any_answer(c, rr),
	      "a return nobody waits for waits for set_allowed_ips([])");
	CHECK(ack(e1, ips, sizeof(ips)) && !strcmp(ips, "[]") &&
	      answered(c, rr, "null") && !e1->s.place->res,
	      "then is answered, and the place is free");

	/* Lease expiry, and lease_max bounding a renewal. */
	cfg.lease_max_s = 60;
	clear(e2);
	ra = reserve(a, "[2]", 0, 10, NULL);
	ack(e2, ips, sizeof(ips));
	r = sched_res_find(&a->s, 2);
	CHECK(answered(a, ra, "2") && r && deadline_at == now + 10000000,
	      "a 10 s lease asks for a deadline 10 s from now");
	CHECK(sched_lease_renew(&sc, r, 600) == 60 &&
	      deadline_at == now + 60000000,
	      "a renewal is bounded by lease_max (60 s)");
	now += 59000000;
	deadline_at = 0;
	sched_expire(&sc, now);
	CHECK(sched_res_find(&a->s, 2) == r && deadline_at == now + 1000000,
	      "nothing expires early; the deadline is asked for again");
	now += 1000000;
	clear(a);
	clear(e2);
	nended = 0;
	deadline_at = 0;
	sched_expire(&sc, now);
	CHECK(!sched_res_find(&a->s, 2) && sent(a, "reservation_lost") &&
	      strstr(sent(a, "reservation_lost"), "\"lease\"") &&
	      nended == 1 && !strcmp(ended_how[0], "lease ended") &&
	      deadline_at == 0,
	      "at the deadline the lease ends: reservation_lost(lease), no new deadline");
	CHECK(ack(e2, ips, sizeof(ips)) && !strcmp(ips, "[]"),
	      "and the exporter is told []");
	cfg.lease_max_s = 0;

	/* An exporter leaves with a reservation, and a waiter only for it. */
	clear(e2);
	ra = reserve(a, "[2]", 0, 0, NULL);
	ack(e2, ips, sizeof(ips));
	g = peer_new("gina", "198.18.1.7");
	rg = reserve(g, "[2]", 0, 0, NULL);
	clear(a);
	nended = 0;
	n = (int)sc.nreserved;
	peer_leave(e2);
	CHECK(sc.nplaces == 2 && !sched_place_find(&sc, 2) &&
	      sc.nreserved == (unsigned int)n - 1,
	      "an exporter leaving removes its place");
	r = LIST_FIRST(&a->s.res);
	CHECK(sent(a, "reservation_lost") &&
	      strstr(sent(a, "reservation_lost"), "\"gone\"") && r &&
	      !r->place && r->place_id == 2 && nended == 1 &&
	      !strcmp(ended_how[0], "place gone"),
	      "its holder is told reservation_lost(gone) and keeps the listed reservation");
	CHECK(sent(g, "All candidate places are gone") && sc.nqueue == 0 &&
	      outcomes[SRV_PLACES_GONE] == 1,
	      "a waiter for that place only fails: all candidates gone");
	sched_return(&sc, NULL, r, false);
	CHECK(LIST_EMPTY(&a->s.res), "the gone reservation can be returned");

	/* An agent leaves with a held and a queued reservation. */
	f = peer_new("frank", "198.18.1.6");
	rf = reserve(f, "[3]", 0, 0, NULL);
	ack(e3, ips, sizeof(ips));
	CHECK(answered(f, rf, "3"), "frank holds place 3");
	clear(e1);
	ra = reserve(a, "[1]", 0, 0, NULL);
	ack(e1, ips, sizeof(ips));
	rf = reserve(f, "[1]", 0, 0, NULL);
	rg = reserve(g, "[3]", 0, 0, NULL);
	CHECK(sc.nqueue == 2, "frank waits for place 1, gina for place 3");
	clear(e3);
	nended = 0;
	peer_leave(f);
	CHECK(sc.nqueue == 0 && outcomes[SRV_CANCELLED] == 2 &&
	      nended == 1 && !strcmp(ended_how[0], "connection lost"),
	      "frank leaving cancels his waiting reserve and returns place 3");
	CHECK(ack(e3, ips, sizeof(ips)) && !strcmp(ips, "[\"198.18.1.7\"]") &&
	      answered(g, rg, "3"),
	      "place 3 goes to the next waiter, gina");

	/* An admin's forced return: the holder hears it, then reserves again. */
	clear(g);
	nended = 0;
	sched_return(&sc, NULL, sched_res_find(&g->s, 3), true);
	CHECK(sent(g, "reservation_lost") &&
	      strstr(sent(g, "reservation_lost"), "\"forced\"") &&
	      nended == 1 && !strcmp(ended_how[0], "force-returned") &&
	      ack(e3, ips, sizeof(ips)) && !strcmp(ips, "[]"),
	      "a forced return tells the holder reservation_lost(forced)");
	rg = reserve(g, "[3]", 0, 0, NULL);
	ack(e3, ips, sizeof(ips));

	/* Shutdown: waiters fail, reservations return, acks are counted. */
	rd = reserve(d, "[1, 3]", 0, 0, NULL);
	sched_shutdown(&sc);
	CHECK(sent(d, "Server is shutting down") && sc.nqueue == 0 &&
	      TAILQ_EMPTY(&sc.res) && sc.acks_pending == 2,
	      "shutdown fails waiters and returns every reservation (%u acks pending)",
	      sc.acks_pending);
	ack(e1, ips, sizeof(ips));
	ack(e3, ips, sizeof(ips));
	CHECK(sc.acks_pending == 0, "the acks are counted down");

	peer_leave(a);
	peer_leave(c);
	peer_leave(d);
	peer_leave(g);
	peer_leave(e1);
	peer_leave(e3);
	peer_leave(b);
	CHECK(sc.nplaces == 0 && TAILQ_EMPTY(&sc.places) &&
	      TAILQ_EMPTY(&sc.res), "everyone gone: nothing left");
	sched_free(&sc);
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * scheduler.c - places, reservations and the reserve queue (wire
 * protocol §4): uniqueness-based choice, FIFO within priority,
 * set_allowed_ips acknowledged before reserve answers, leases, and what
 * a peer leaving does to places and waiters. Pure: no libwebsockets, no
 * event loop, no global; see scheduler.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "place.h"
#include "protocol.h"
#include "scheduler.h"

void sched_init(struct sched *sc, const struct sched_ops *ops,
		const struct srv_config *cfg)
{
	memset(sc, 0, sizeof(*sc));
	sc->ops = ops;
	sc->cfg = cfg;
	TAILQ_INIT(&sc->places);
	TAILQ_INIT(&sc->res);
	TAILQ_INIT(&sc->queue);
}

void sched_free(struct sched *sc)
{
	free(sc->idtab);
	sc->idtab = NULL;
	sc->idtab_size = 0;
}

void sched_changed(struct sched *sc, bool saved)
{
	sc->ops->changed(sc, saved);
}

/* --- places by id: chained hash, grown to keep chains short --------- */

static size_t id_slot(unsigned int id, size_t size)
{
	return (size_t)(id * 2654435761u) & (size - 1);
}

static int index_add(struct sched *sc, struct srv_place *p)
{
	if ((size_t)sc->nplaces * 2 >= sc->idtab_size) {
		size_t size = sc->idtab_size ? sc->idtab_size * 2 : 64;
		struct srv_place_chain *tab = calloc(size, sizeof(*tab));
		struct srv_place *q;

		if (!tab)
			return -ENOMEM;
		for (size_t i = 0; i < sc->idtab_size; i++) {
			while ((q = LIST_FIRST(&sc->idtab[i]))) {
				LIST_REMOVE(q, idlink);
				LIST_INSERT_HEAD(&tab[id_slot(q->id, size)], q,
						 idlink);
			}
		}
		free(sc->idtab);
		sc->idtab = tab;
		sc->idtab_size = size;
	}
	LIST_INSERT_HEAD(&sc->idtab[id_slot(p->id, sc->idtab_size)], p,
			 idlink);
	return 0;
}

/* Only a place index_add() took. */
static void index_del(struct srv_place *p)
{
	LIST_REMOVE(p, idlink);
}

struct srv_place *sched_place_find(struct sched *sc, unsigned int id)
{
	struct srv_place *p;

	if (!sc->idtab_size)
		return NULL;
	LIST_FOREACH(p, &sc->idtab[id_slot(id, sc->idtab_size)], idlink)
		if (p->id == id)
			return p;
	return NULL;
}

struct srv_place *sched_place_by_name(struct sched *sc, const char *name)
{
	struct srv_place *p;

	TAILQ_FOREACH(p, &sc->places, link)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

struct srv_res *sched_res_find(struct srv_session *s, unsigned int place_id)
{
	struct srv_res *r;

	LIST_FOREACH(r, &s->res, hlink)
		if (r->place_id == place_id && !r->req)
			return r;
	return NULL;
}

struct srv_res *sched_res_by_place(struct sched *sc, unsigned int place_id)
{
	struct srv_res *r;

	TAILQ_FOREACH(r, &sc->res, link)
		if (r->place_id == place_id && !r->req)
			return r;
	return NULL;
}

static const char *res_name(const struct srv_res *r)
{
	return r->place ? r->place->name : "(gone)";
}

static void notify(struct sched *sc, struct srv_session *s,
		   const char *method, unsigned int place_id,
		   const char *reason)
{
	json_object *o;

	if (!s->notify || !s->conn)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "place_id",
			       json_object_new_int64(place_id));
	if (reason)
		json_object_object_add(o, "reason",
				       json_object_new_string(reason));
	sc->ops->notify(sc, s, method, o);
}

struct rpc_call *sched_allow(struct sched *sc, struct srv_place *p,
			     const char *ip, const char *secret,
			     rpc_done_fn done, void *data)
{
	return sc->ops->allow(sc, p, ip, secret, done, data);
}

const char *grant_secret(const struct srv_place *p)
{
	return p && p->res && p->res->secret[0] ? p->res->secret : NULL;
}

/* --- leases ----------------------------------------------------------- */

/* Tells ops->deadline when the earliest lease end moved. */
static void rearm(struct sched *sc)
{
	uint64_t next = 0;
	struct srv_res *r;

	if (sc->nleased) {
		TAILQ_FOREACH(r, &sc->res, link)
			if (r->lease_end_us &&
			    (!next || r->lease_end_us < next))
				next = r->lease_end_us;
	}
	if (next == sc->deadline_us)
		return;
	sc->deadline_us = next;
	sc->ops->deadline(sc, next);
}

static void lease_set(struct sched *sc, struct srv_res *r, uint64_t left_us)
{
	if (!r->lease_end_us)
		sc->nleased++;
	r->lease_end_us = sc->ops->now_us(sc) + left_us;
	if (!r->lease_end_us)
		r->lease_end_us = 1;
	rearm(sc);
}

static void lease_stop(struct sched *sc, struct srv_res *r)
{
	if (!r->lease_end_us)
		return;
	r->lease_end_us = 0;
	sc->nleased--;
	rearm(sc);
}

static void lease_start(struct sched *sc, struct srv_res *r)
{
	if (r->lease_s)
		lease_set(sc, r, r->lease_s * 1000000ull);
}

int sched_lease_renew(struct sched *sc, struct srv_res *r,
		      unsigned int lease_s)
{
	unsigned int max = sc->cfg->lease_max_s;

	if (max && (!lease_s || lease_s > max))
		lease_s = max;
	r->lease_s = lease_s;
	lease_stop(sc, r);
	lease_start(sc, r);
	sched_changed(sc, true);
	return (int)lease_s;
}

/* --- reservations ----------------------------------------------------- */

/* p may be NULL for a restored reservation whose place is gone. */
static struct srv_res *res_new(struct sched *sc, struct srv_place *p,
			       unsigned int place_id, struct srv_session *s)
{
	struct srv_res *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sc = sc;
	r->place_id = place_id;
	r->place = p;
	r->holder = s;
	TAILQ_INSERT_TAIL(&sc->res, r, link);
	LIST_INSERT_HEAD(&s->res, r, hlink);
	if (p) {
		p->res = r;
		sc->nreserved++;
	}
	return r;
}

/* A granted reservation ends: told once. */
static void res_ended(struct sched *sc, struct srv_res *r)
{
	if (!r->since_ms)
		return;
	sc->ops->ended(sc, r);
	r->since_ms = 0;
}

/* Unlinks and frees r; returns its place if that still exists. */
static struct srv_place *res_free(struct sched *sc, struct srv_res *r)
{
	struct srv_place *p = r->place;

	res_ended(sc, r);
	lease_stop(sc, r);
	TAILQ_REMOVE(&sc->res, r, link);
	LIST_REMOVE(r, hlink);
	if (p) {
		p->res = NULL;
		sc->nreserved--;
	}
	free(r);
	sched_changed(sc, true);
	return p;
}

struct srv_res *sched_res_restore(struct sched *sc, struct srv_place *p,
				  unsigned int place_id, struct srv_session *s,
				  unsigned int lease_s, uint64_t lease_left_us,
				  const char *secret)
{
	struct srv_res *r = res_new(sc, p, place_id, s);

	if (!r)
		return NULL;
	if (secret && grant_secret_valid(secret))
		memcpy(r->secret, secret, GRANT_SECRET_SIZE);
	r->t0_us = sc->ops->now_us(sc);
	r->since_ms = sc->ops->wall_ms(sc);
	r->lease_s = lease_s;
	if (lease_s)
		lease_set(sc, r, lease_left_us);
	return r;
}

/* After a reserve was answered with an error or cancelled. */
static void res_abort(struct sched *sc, struct srv_res *r)
{
	struct srv_place *p = res_free(sc, r);

	if (p && !p->offline && !sc->stopping)
		sched_handoff(sc, p, NULL);
}

/*
 * The place id, as not-my-board answers; with a secret (the holder
 * asked for them in hello) {"place_id": N, "secret": S}.
 */
static json_object *reserve_result(const struct srv_res *r)
{
	json_object *o;

	if (!r->secret[0])
		return json_object_new_int((int32_t)r->place_id);
	o = json_object_new_object();
	json_object_object_add(o, WIRE_PARAM_PLACE_ID,
			       json_object_new_int((int32_t)r->place_id));
	json_object_object_add(o, WIRE_PARAM_SECRET,
			       json_object_new_string(r->secret));
	return o;
}

static void grant_done(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct srv_res *r = data;
	struct sched *sc = r->sc;
	struct rpc_req *req = r->req;

	(void)result;
	r->call = NULL;
	r->req = NULL;
	rpc_req_on_cancel(req, NULL, NULL);
	if (err) {
		log_warn("place=%s id=%u: exporter failed set_allowed_ips for user=%s peer=%s: %s",
			 res_name(r), r->place_id, r->holder->user,
			 r->holder->ip, log_esc(err->message));
		sc->ops->outcome(sc, SRV_EXPORTER_ERROR, NULL);
		rpc_error(req, RPC_INTERNAL_ERROR, err->message);
		res_abort(sc, r);
		return;
	}
	sc->ops->outcome(sc, SRV_GRANTED, r);
	r->since_ms = sc->ops->wall_ms(sc);
	log_debug("reserved place=%s id=%u user=%s peer=%s wait_ms=%llu",
		  res_name(r), r->place_id, r->holder->user, r->holder->ip,
		  (unsigned long long)(sc->ops->now_us(sc) - r->t0_us) / 1000);
	rpc_reply(req, reserve_result(r));
	sc->ops->granted(sc, r);
	lease_start(sc, r);
	sched_changed(sc, true);
}

static void grant_cancel(struct rpc_req *req, void *data)
{
	struct srv_res *r = data;
	struct sched *sc = r->sc;

	(void)req;
	if (r->call)
		rpc_call_cancel(r->call);
	r->call = NULL;
	r->req = NULL;
	sc->ops->outcome(sc, SRV_CANCELLED, NULL);
	res_abort(sc, r);
}

/* Gives free place p to session s, answering req once allowed. */
static void grant(struct sched *sc, struct srv_place *p,
		  struct srv_session *s, struct rpc_req *req, uint64_t t0_us,
		  unsigned int lease_s)
{
	struct srv_res *r = res_new(sc, p, p->id, s);

	if (!r) {
		rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
		return;
	}
	r->req = req;
	r->t0_us = t0_us;
	r->lease_s = lease_s;
	rpc_req_on_cancel(req, grant_cancel, r);
	/* a fresh secret per grant, when both ends can use one */
	if (s->secrets && p->exporter && p->exporter->secrets &&
	    grant_secret_mint(r->secret)) {
		log_err("place=%s id=%u: no randomness for the reservation's secret; reserve of user=%s fails",
			p->name, p->id, s->user);
		grant_done(r, NULL, &(struct rpc_err){
				.code = RPC_INTERNAL_ERROR,
				.message = "Server cannot make a reservation secret" });
		return;
	}
	r->call = sched_allow(sc, p, s->ip, r->secret, grant_done, r);
	if (!r->call)
		grant_done(r, NULL, &(struct rpc_err){
				.code = RPC_CONNECTION_CLOSED,
				.message = "Connection closed" });
}

/* --- the queue ---------------------------------------------------------- */

static bool wants(const struct srv_waiter *w, unsigned int id)
{
	for (size_t i = 0; i < w->ncands; i++)
		if (w->cands[i] == id)
			return true;
	return false;
}

/* 1 + the waiters ahead of w that want one of its places. */
static unsigned int position(const struct srv_waiter *w)
{
	const struct srv_waiter *a = w;
	unsigned int pos = 1;

	while ((a = TAILQ_PREV(a, srv_queue, link))) {
		for (size_t i = 0; i < w->ncands; i++) {
			if (wants(a, w->cands[i])) {
				pos++;
				break;
			}
		}
	}
	return pos;
}

/*
 * The queue changed: every waiter that asked for it (a ticket, and
 * hello) and whose position moved gets reserve_queued.
 */
static void tell_positions(struct sched *sc)
{
	struct srv_waiter *w;

	if (!sc->nticketed || sc->stopping)
		return;
	TAILQ_FOREACH(w, &sc->queue, link) {
		unsigned int pos;
		json_object *o;

		if (!w->ticket[0] || !w->sess->notify || !w->sess->conn)
			continue;
		pos = position(w);
		if (pos == w->told)
			continue;
		w->told = pos;
		o = json_object_new_object();
		json_object_object_add(o, "ticket",
				       json_object_new_string(w->ticket));
		json_object_object_add(o, "position",
				       json_object_new_int64(pos));
		sc->ops->notify(sc, w->sess, WIRE_RESERVE_QUEUED, o);
	}
}

/* Takes w out of the queue and frees it: its request is answered. */
static void waiter_drop(struct sched *sc, struct srv_waiter *w)
{
	TAILQ_REMOVE(&sc->queue, w, link);
	sc->nqueue--;
	if (w->ticket[0])
		sc->nticketed--;
	tell_positions(sc);
	sched_changed(sc, false);
	free(w->cands);
	free(w);
}

/* w's reserve fails with MSG (o is counted). */
static void waiter_fail(struct sched *sc, struct srv_waiter *w,
			enum srv_outcome o, const char *msg)
{
	struct rpc_req *req = w->req;

	rpc_req_on_cancel(req, NULL, NULL);
	waiter_drop(sc, w);
	sc->ops->outcome(sc, o, NULL);
	rpc_error(req, RPC_INTERNAL_ERROR, msg);
}

static void waiter_cancel(struct rpc_req *req, void *data)
{
	struct srv_waiter *w = data;
	struct sched *sc = w->sc;

	(void)req;
	waiter_drop(sc, w);
	sc->ops->outcome(sc, SRV_CANCELLED, NULL);
}

static void enqueue(struct sched *sc, struct srv_waiter *w)
{
	struct srv_waiter *a;

	/* Higher priority first; FIFO within one priority. */
	TAILQ_FOREACH(a, &sc->queue, link)
		if (a->priority < w->priority)
			break;
	if (a)
		TAILQ_INSERT_BEFORE(a, w, link);
	else
		TAILQ_INSERT_TAIL(&sc->queue, w, link);
	sc->nqueue++;
	if (w->ticket[0])
		sc->nticketed++;
	sched_changed(sc, false);
	tell_positions(sc);
}

/* --- return ------------------------------------------------------------- */

/* The return that freed a place, answered after the exporter's ack. */
struct ret_ctx {
	struct sched *sc;
	struct rpc_req *req;		/* NULL once cancelled */
};

static void ret_done(void *data, json_object *result,
		     const struct rpc_err *err)
{
	struct ret_ctx *rc = data;

	(void)result;
	if (!rc->req) {
		free(rc);
		return;
	}
	rpc_req_on_cancel(rc->req, NULL, NULL);
	if (err && err->code != RPC_CONNECTION_CLOSED)
		rpc_error(rc->req, RPC_INTERNAL_ERROR, err->message);
	else
		rpc_reply(rc->req, NULL);
	free(rc);
}

/* Acknowledgement of a set_allowed_ips([]) nobody waits for. */
static void shutdown_ack(void *data, json_object *result,
			 const struct rpc_err *err)
{
	struct sched *sc = data;

	(void)result;
	(void)err;
	sc->acks_pending--;
}

/*
 * The returning agent went away: its answer is dropped, but the exporter's
 * set_allowed_ips([]) runs to its end, so the old IP does lose access.
 */
static void ret_cancel(struct rpc_req *req, void *data)
{
	struct ret_ctx *rc = data;

	(void)req;
	rc->req = NULL;
}

/*
 * Place p just became free: the first waiter that wants it gets it
 * directly; otherwise the exporter is told [] and ret_req (the return
 * that freed it, may be NULL) is answered after its acknowledgement.
 */
void sched_handoff(struct sched *sc, struct srv_place *p,
		   struct rpc_req *ret_req)
{
	struct srv_waiter *w = NULL;
	struct ret_ctx *rc = NULL;
	struct rpc_call *call;

	if (!sc->stopping)
		TAILQ_FOREACH(w, &sc->queue, link)
			if (wants(w, p->id))
				break;
	if (w) {
		struct srv_session *s = w->sess;
		struct rpc_req *req = w->req;
		uint64_t t0_us = w->t0_us;
		unsigned int lease_s = w->lease_s;

		waiter_drop(sc, w);
		grant(sc, p, s, req, t0_us, lease_s);
		if (ret_req)
			rpc_reply(ret_req, NULL);
		return;
	}
	if (ret_req)
		rc = calloc(1, sizeof(*rc));
	if (ret_req && !rc) {
		rpc_reply(ret_req, NULL);
		ret_req = NULL;
	}
	if (rc) {
		rc->sc = sc;
		rc->req = ret_req;
	}
	call = sched_allow(sc, p, NULL, NULL, rc ? ret_done : shutdown_ack,
			   rc ? (void *)rc : (void *)sc);
	if (!call) {
		if (rc)
			ret_done(rc, NULL, NULL);
		return;
	}
	if (!rc) {
		sc->acks_pending++;
		return;
	}
	rpc_req_on_cancel(ret_req, ret_cancel, rc);
}

void sched_return(struct sched *sc, struct rpc_req *req, struct srv_res *r,
		  bool forced)
{
	struct srv_session *holder = r->holder;
	unsigned int id = r->place_id;
	struct srv_place *p;

	log_debug("returned place=%s id=%u user=%s peer=%s%s", res_name(r), id,
		  holder->user, holder->ip, forced ? " forced=yes" : "");
	if (forced)
		r->end = "force-returned";
	if (forced && holder->conn != (req ? rpc_chan_ctx(rpc_req_chan(req))
					     : NULL))
		notify(sc, holder, WIRE_RESERVATION_LOST, id, "forced");
	p = res_free(sc, r);
	if (!p || p->offline) {
		if (req)
			rpc_reply(req, NULL);
		return;
	}
	sched_handoff(sc, p, req);
}

static void lease_expired(struct sched *sc, struct srv_res *r)
{
	log_info("lease expired place=%s id=%u user=%s peer=%s; returning it",
		 res_name(r), r->place_id, r->holder->user, r->holder->ip);
	notify(sc, r->holder, WIRE_RESERVATION_LOST, r->place_id, "lease");
	r->end = "lease ended";
	sched_return(sc, NULL, r, false);
}

void sched_expire(struct sched *sc, uint64_t now_us)
{
	struct srv_res *r;

	/*
	 * The deadline asked for is spent, even if the loop's timer ran a
	 * little early and nothing expires yet: ask again below.
	 */
	sc->deadline_us = 0;
	/* Each return may hand a place on: look again from the start. */
	for (;;) {
		TAILQ_FOREACH(r, &sc->res, link)
			if (r->lease_end_us && r->lease_end_us <= now_us)
				break;
		if (!r)
			break;
		lease_expired(sc, r);
	}
	rearm(sc);
}

/* --- reserve ------------------------------------------------------------ */

/* The existing candidates of cands, once each, into ids; their count. */
static size_t candidates(struct sched *sc, json_object *cands,
			 unsigned int *ids)
{
	size_t n = json_object_array_length(cands), ne = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t id = json_object_get_int64(
				json_object_array_get_idx(cands, i));
		bool dup = false;

		if (id <= 0 || id > UINT32_MAX || !sched_place_find(sc, id))
			continue;
		for (size_t j = 0; j < ne; j++)
			dup |= ids[j] == (unsigned int)id;
		if (!dup)
			ids[ne++] = (unsigned int)id;
	}
	return ne;
}

/*
 * Updates the candidates' uniqueness and picks, at random, one of the
 * free ones whose uniqueness is within the tolerance of the lowest;
 * NULL if none is free.
 */
static struct srv_place *choose(struct sched *sc, const unsigned int *ids,
				size_t ne, struct srv_place **free_p)
{
	double u = 1.0 - (double)ne / (double)sc->nplaces, m = 2.0;
	size_t nfree = 0, k = 0;
	struct srv_place *p;
	uint32_t rnd;

	for (size_t i = 0; i < ne; i++) {
		p = sched_place_find(sc, ids[i]);
		p->ema = p->has_ema ? 0.25 * u + 0.75 * p->ema : u;
		p->has_ema = true;
		if (!p->res && !p->offline) {
			free_p[nfree++] = p;
			if (p->ema < m)
				m = p->ema;
		}
	}
	sched_changed(sc, true);	/* the uniqueness statistics */
	if (!nfree)
		return NULL;
	for (size_t i = 0; i < nfree; i++)
		if (free_p[i]->ema <= m + sc->cfg->uniqueness_tolerance)
			free_p[k++] = free_p[i];
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)random();
	return free_p[rnd % k];
}

void sched_reserve(struct sched *sc, struct rpc_req *req,
		   struct srv_session *s, json_object *cands, int priority,
		   unsigned int lease_s, const char *ticket)
{
	size_t n = json_object_array_length(cands), ne;
	struct srv_place **free_p, *p;
	struct srv_waiter *w;
	unsigned int *ids;

	if (sc->stopping)
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "Server is shutting down");
	ids = calloc(n ? n : 1, sizeof(*ids));
	free_p = calloc(n ? n : 1, sizeof(struct srv_place *));
	if (!ids || !free_p) {
		free(ids);
		free(free_p);
		return rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
	}
	ne = candidates(sc, cands, ids);
	if (!ne) {
		free(ids);
		free(free_p);
		sc->ops->outcome(sc, SRV_NO_CANDIDATES, NULL);
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "None of the candidates exist anymore");
	}
	p = choose(sc, ids, ne, free_p);
	free(free_p);
	if (p) {
		free(ids);
		grant(sc, p, s, req, sc->ops->now_us(sc), lease_s);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		free(ids);
		return rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
	}
	w->sc = sc;
	w->req = req;
	w->sess = s;
	w->cands = ids;
	w->ncands = ne;
	w->priority = priority;
	w->lease_s = lease_s;
	w->t0_us = sc->ops->now_us(sc);
	if (ticket)
		snprintf(w->ticket, sizeof(w->ticket), "%s", ticket);
	rpc_req_on_cancel(req, waiter_cancel, w);
	enqueue(sc, w);
	log_debug("reserve queued user=%s peer=%s candidates=%zu queue=%u",
		  s->user, s->ip, ne, sc->nqueue);
}

/* --- places and peers ---------------------------------------------------- */

int sched_register(struct sched *sc, struct srv_session *s,
		   struct srv_place *p)
{
	if (index_add(sc, p))
		return -ENOMEM;
	p->exporter = s;
	TAILQ_INSERT_TAIL(&sc->places, p, link);
	sc->nplaces++;
	s->place = p;
	p->seen_ms = sc->ops->wall_ms(sc);
	sc->ops->registered(sc, p);
	if (!p->offline)	/* restored places are logged by state.c */
		log_info("place registered place=%s id=%u peer=%s", p->name,
			 p->id, p->host);
	sched_changed(sc, true);
	return 0;
}

void sched_place_remove(struct sched *sc, struct srv_place *p)
{
	struct srv_waiter *w, *next;
	struct srv_res *r = p->res;

	TAILQ_REMOVE(&sc->places, p, link);
	sc->nplaces--;
	index_del(p);
	p->exporter->place = NULL;
	if (r) {
		/* Holders keep their listed reservation; only we tell them. */
		r->end = "place gone";
		res_ended(sc, r);
		r->place = NULL;
		sc->nreserved--;
		if (!r->req)
			notify(sc, r->holder, WIRE_RESERVATION_LOST, p->id,
			       "gone");
		p->res = NULL;
	}
	if (sc->stopping)	/* every place goes at exit: no news */
		log_debug("place removed place=%s id=%u peer=%s", p->name,
			  p->id, p->host);
	else
		log_info("place removed place=%s id=%u peer=%s", p->name,
			 p->id, p->host);
	sched_changed(sc, true);
	for (w = TAILQ_FIRST(&sc->queue); w; w = next) {
		size_t k = 0;

		next = TAILQ_NEXT(w, link);
		for (size_t i = 0; i < w->ncands; i++)
			if (w->cands[i] != p->id)
				w->cands[k++] = w->cands[i];
		w->ncands = k;
		if (!k)
			waiter_fail(sc, w, SRV_PLACES_GONE,
				    "All candidate places are gone");
	}
	if (sc->ops->removed)
		sc->ops->removed(sc, p);
	srv_place_free(p);
}

void sched_leave(struct sched *sc, struct srv_session *s)
{
	struct srv_res *r;

	if (s->place)
		sched_place_remove(sc, s->place);
	while ((r = LIST_FIRST(&s->res))) {
		if (!r->end)
			r->end = "connection lost";
		sched_return(sc, NULL, r, false);
	}
}

void sched_shutdown(struct sched *sc)
{
	struct srv_waiter *w;
	struct srv_res *r;

	sc->stopping = true;
	while ((w = TAILQ_FIRST(&sc->queue)))
		waiter_fail(sc, w, SRV_SHUTDOWN, "Server is shutting down");
	while ((r = TAILQ_FIRST(&sc->res))) {
		if (r->req) {
			struct rpc_req *req = r->req;

			rpc_req_on_cancel(req, NULL, NULL);
			if (r->call)
				rpc_call_cancel(r->call);
			r->call = NULL;
			r->req = NULL;
			rpc_error(req, RPC_INTERNAL_ERROR,
				  "Server is shutting down");
			res_abort(sc, r);
			continue;
		}
		r->end = "server shutdown";
		sched_return(sc, NULL, r, false);
	}
}

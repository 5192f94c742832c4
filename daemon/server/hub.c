// SPDX-License-Identifier: GPL-2.0
/*
 * hub.c - places, reservations and the reserve queue (wire protocol §4):
 * uniqueness-based choice, FIFO within priority, set_allowed_ips
 * acknowledged before reserve answers, leases, and what a disconnect
 * does to places and waiters. Sessions and grace are in session.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "server.h"

struct srv_hub srv = { .next_conn_id = 1 };

static void lease_expired(lws_sorted_usec_list_t *sul);

/* Places by id: chained hash, grown to keep chains short. */
static struct srv_place **idtab;
static size_t idtab_size;

static size_t id_slot(unsigned int id, size_t size)
{
	return (size_t)(id * 2654435761u) & (size - 1);
}

static int index_add(struct srv_place *p)
{
	if ((size_t)srv.nplaces * 2 >= idtab_size) {
		size_t size = idtab_size ? idtab_size * 2 : 64;
		struct srv_place **tab = calloc(size,
						sizeof(struct srv_place *));

		if (!tab)
			return -ENOMEM;
		for (size_t i = 0; i < idtab_size; i++) {
			while (idtab[i]) {
				struct srv_place *q = idtab[i];

				idtab[i] = q->idnext;
				q->idnext = tab[id_slot(q->id, size)];
				tab[id_slot(q->id, size)] = q;
			}
		}
		free(idtab);
		idtab = tab;
		idtab_size = size;
	}
	p->idnext = idtab[id_slot(p->id, idtab_size)];
	idtab[id_slot(p->id, idtab_size)] = p;
	return 0;
}

static void index_del(struct srv_place *p)
{
	struct srv_place **pp = &idtab[id_slot(p->id, idtab_size)];

	while (*pp && *pp != p)
		pp = &(*pp)->idnext;
	if (*pp)
		*pp = p->idnext;
}

struct srv_place *srv_place_find(unsigned int id)
{
	struct srv_place *p;

	if (!idtab_size)
		return NULL;
	for (p = idtab[id_slot(id, idtab_size)]; p; p = p->idnext)
		if (p->id == id)
			return p;
	return NULL;
}

struct srv_place *srv_place_by_name(const char *name)
{
	for (struct srv_place *p = srv.places; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

struct srv_res *srv_res_find(struct srv_session *s, unsigned int place_id)
{
	for (struct srv_res *r = s->res; r; r = r->hnext)
		if (r->place_id == place_id && !r->req)
			return r;
	return NULL;
}

struct srv_res *srv_res_by_place(unsigned int place_id)
{
	for (struct srv_res *r = srv.res; r; r = r->next)
		if (r->place_id == place_id && !r->req)
			return r;
	return NULL;
}

static const char *res_name(const struct srv_res *r)
{
	return r->place ? r->place->name : "(gone)";
}

void srv_notify(struct srv_session *s, const char *method,
		unsigned int place_id, const char *reason)
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
	rpc_notify(s->conn->rpc, method, o);
}

/* --- set_allowed_ips ------------------------------------------------- */

struct rpc_call *srv_allow(struct srv_place *p, const char *ip,
			   rpc_done_fn done, void *data)
{
	json_object *ips = json_object_new_array(), *params;
	struct srv_conn *c = p->exporter->conn;

	if (ip)
		json_object_array_add(ips, json_object_new_string(ip));
	params = json_object_new_array();
	json_object_array_add(params, ips);
	if (!c) {
		json_object_put(params);
		return NULL;
	}
	return rpc_call(c->rpc, "set_allowed_ips", params, done, data);
}

/* --- reservations ----------------------------------------------------- */

/* p may be NULL for a restored reservation whose place is gone. */
static struct srv_res *res_new(struct srv_place *p, unsigned int place_id,
			       struct srv_session *s)
{
	struct srv_res *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->place_id = place_id;
	r->place = p;
	r->holder = s;
	r->prev = srv.res_tail;
	if (srv.res_tail)
		srv.res_tail->next = r;
	else
		srv.res = r;
	srv.res_tail = r;
	r->hnext = s->res;
	s->res = r;
	if (p) {
		p->res = r;
		srv.nreserved++;
	}
	return r;
}

/* Unlinks and frees r; returns its place if that still exists. */
static struct srv_place *res_free(struct srv_res *r)
{
	struct srv_place *p = r->place;
	struct srv_res **pp;

	srv_farm_ended(r);
	srv_timer_cancel(&r->lease);
	if (r->prev)
		r->prev->next = r->next;
	else
		srv.res = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		srv.res_tail = r->prev;
	for (pp = &r->holder->res; *pp; pp = &(*pp)->hnext) {
		if (*pp == r) {
			*pp = r->hnext;
			break;
		}
	}
	if (p) {
		p->res = NULL;
		srv.nreserved--;
	}
	free(r);
	srv_state_changed();
	return p;
}

static void lease_start(struct srv_res *r)
{
	if (r->lease_s)
		srv_timer(&r->lease, lease_expired, r->lease_s * 1000000ull);
}

int srv_lease_renew(struct srv_res *r, unsigned int lease_s)
{
	if (srv.cfg->lease_max_s && (!lease_s || lease_s > srv.cfg->lease_max_s))
		lease_s = srv.cfg->lease_max_s;
	r->lease_s = lease_s;
	srv_timer_cancel(&r->lease);
	lease_start(r);
	srv_state_changed();
	return (int)lease_s;
}

/* A reservation read back from the state file, held by a detached s. */
struct srv_res *srv_res_restore(struct srv_place *p, unsigned int place_id,
				struct srv_session *s, unsigned int lease_s,
				uint64_t lease_left_us)
{
	struct srv_res *r = res_new(p, place_id, s);

	if (!r)
		return NULL;
	r->t0_us = srv_now_us();
	r->since_ms = srv_wall_ms();
	r->lease_s = lease_s;
	if (lease_s)
		srv_timer(&r->lease, lease_expired, lease_left_us);
	return r;
}

/* After a reserve was answered with an error or cancelled. */
static void res_abort(struct srv_res *r)
{
	struct srv_place *p = res_free(r);

	if (p && !p->offline && !srv.stopping)
		srv_handoff(p, NULL);
}

static void grant_done(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct srv_res *r = data;
	struct rpc_req *req = r->req;

	(void)result;
	r->call = NULL;
	r->req = NULL;
	rpc_req_on_cancel(req, NULL, NULL);
	if (err) {
		log_warn("place=%s id=%u: exporter failed set_allowed_ips for user=%s peer=%s: %s",
			 res_name(r), r->place_id, r->holder->user,
			 r->holder->ip, log_esc(err->message));
		srv_metrics_outcome(SRV_EXPORTER_ERROR, 0);
		rpc_error(req, RPC_INTERNAL_ERROR, err->message);
		res_abort(r);
		return;
	}
	srv_metrics_outcome(SRV_GRANTED, r->t0_us);
	r->since_ms = srv_wall_ms();
	if (r->place)
		srv_metrics_granted(r->place, r->t0_us);
	log_debug("reserved place=%s id=%u user=%s peer=%s wait_ms=%llu",
		  res_name(r), r->place_id, r->holder->user, r->holder->ip,
		  (unsigned long long)(srv_now_us() - r->t0_us) / 1000);
	rpc_reply(req, json_object_new_int((int32_t)r->place_id));
	lease_start(r);
	srv_state_changed();
}

static void grant_cancel(struct rpc_req *req, void *data)
{
	struct srv_res *r = data;

	(void)req;
	if (r->call)
		rpc_call_cancel(r->call);
	r->call = NULL;
	r->req = NULL;
	srv_metrics_outcome(SRV_CANCELLED, 0);
	res_abort(r);
}

/* Gives free place p to session s, answering req once allowed. */
static void grant(struct srv_place *p, struct srv_session *s,
		  struct rpc_req *req, uint64_t t0_us, unsigned int lease_s)
{
	struct srv_res *r = res_new(p, p->id, s);

	if (!r) {
		rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
		return;
	}
	r->req = req;
	r->t0_us = t0_us;
	r->lease_s = lease_s;
	rpc_req_on_cancel(req, grant_cancel, r);
	r->call = srv_allow(p, s->ip, grant_done, r);
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
	unsigned int pos = 1;

	for (const struct srv_waiter *a = w->prev; a; a = a->prev) {
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
static void tell_positions(void)
{
	if (!srv.nticketed || srv.stopping)
		return;
	for (struct srv_waiter *w = srv.queue; w; w = w->next) {
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
		rpc_notify(w->sess->conn->rpc, "reserve_queued", o);
	}
}

static void waiter_unlink(struct srv_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		srv.queue = w->next;
	if (w->next)
		w->next->prev = w->prev;
	srv.nqueue--;
	if (w->ticket[0])
		srv.nticketed--;
	tell_positions();
	srv_farm_changed();
}

static void waiter_free(struct srv_waiter *w)
{
	free(w->cands);
	free(w);
}

static void waiter_cancel(struct rpc_req *req, void *data)
{
	struct srv_waiter *w = data;

	(void)req;
	waiter_unlink(w);
	srv_metrics_outcome(SRV_CANCELLED, 0);
	waiter_free(w);
}

static void enqueue(struct srv_waiter *w)
{
	struct srv_waiter **pp = &srv.queue, *prev = NULL;

	/* Higher priority first; FIFO within one priority. */
	while (*pp && (*pp)->priority >= w->priority) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	w->next = *pp;
	w->prev = prev;
	if (*pp)
		(*pp)->prev = w;
	*pp = w;
	srv.nqueue++;
	if (w->ticket[0])
		srv.nticketed++;
	srv_farm_changed();
	rpc_req_on_cancel(w->req, waiter_cancel, w);
	tell_positions();
}

struct ret_ctx {
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
	(void)data;
	(void)result;
	(void)err;
	srv.acks_pending--;
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
void srv_handoff(struct srv_place *p, struct rpc_req *ret_req)
{
	struct srv_waiter *w;
	struct ret_ctx *rc = NULL;
	struct rpc_call *call;

	for (w = srv.stopping ? NULL : srv.queue; w; w = w->next)
		if (wants(w, p->id))
			break;
	if (w) {
		waiter_unlink(w);
		grant(p, w->sess, w->req, w->t0_us, w->lease_s);
		waiter_free(w);
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
	if (rc)
		rc->req = ret_req;
	call = srv_allow(p, NULL, rc ? ret_done : shutdown_ack, rc);
	if (!call) {
		if (rc)
			ret_done(rc, NULL, NULL);
		return;
	}
	if (!rc) {
		srv.acks_pending++;
		return;
	}
	rpc_req_on_cancel(ret_req, ret_cancel, rc);
}

/* --- reserve ------------------------------------------------------------ */

void srv_reserve(struct rpc_req *req, struct srv_session *s,
		 json_object *cands, int priority, unsigned int lease_s,
		 const char *ticket)
{
	size_t n = json_object_array_length(cands), ne = 0, nfree = 0;
	struct srv_place **free_p, *p;
	unsigned int *ids;
	struct srv_waiter *w;
	double u, m = 2.0;
	uint32_t rnd;

	if (srv.stopping)
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "Server is shutting down");
	ids = calloc(n ? n : 1, sizeof(*ids));
	free_p = calloc(n ? n : 1, sizeof(struct srv_place *));
	if (!ids || !free_p) {
		free(ids);
		free(free_p);
		return rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		int64_t id = json_object_get_int64(
				json_object_array_get_idx(cands, i));
		bool dup = false;

		if (id <= 0 || id > UINT32_MAX || !srv_place_find(id))
			continue;
		for (size_t j = 0; j < ne; j++)
			dup |= ids[j] == (unsigned int)id;
		if (!dup)
			ids[ne++] = (unsigned int)id;
	}
	if (!ne) {
		free(ids);
		free(free_p);
		srv_metrics_outcome(SRV_NO_CANDIDATES, 0);
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "None of the candidates exist anymore");
	}
	u = 1.0 - (double)ne / (double)srv.nplaces;
	for (size_t i = 0; i < ne; i++) {
		p = srv_place_find(ids[i]);
		p->ema = p->has_ema ? 0.25 * u + 0.75 * p->ema : u;
		p->has_ema = true;
		if (!p->res && !p->offline) {
			free_p[nfree++] = p;
			if (p->ema < m)
				m = p->ema;
		}
	}
	srv_state_changed();		/* the uniqueness statistics */
	if (nfree) {
		size_t k = 0;

		for (size_t i = 0; i < nfree; i++)
			if (free_p[i]->ema <= m + srv.cfg->uniqueness_tolerance)
				free_p[k++] = free_p[i];
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint32_t)random();
		p = free_p[rnd % k];
		free(ids);
		free(free_p);
		grant(p, s, req, srv_now_us(), lease_s);
		return;
	}
	free(free_p);
	w = calloc(1, sizeof(*w));
	if (!w) {
		free(ids);
		return rpc_error(req, RPC_INTERNAL_ERROR, "Out of memory");
	}
	w->req = req;
	w->sess = s;
	w->cands = ids;
	w->ncands = ne;
	w->priority = priority;
	w->lease_s = lease_s;
	w->t0_us = srv_now_us();
	if (ticket)
		snprintf(w->ticket, sizeof(w->ticket), "%s", ticket);
	enqueue(w);
	log_debug("reserve queued user=%s peer=%s candidates=%zu queue=%u",
		  s->user, s->ip, ne, srv.nqueue);
}

/* --- return ------------------------------------------------------------- */

void srv_return(struct rpc_req *req, struct srv_res *r, bool forced)
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
		srv_notify(holder, "reservation_lost", id, "forced");
	p = res_free(r);
	if (!p || p->offline) {
		if (req)
			rpc_reply(req, NULL);
		return;
	}
	srv_handoff(p, req);
}

static void lease_expired(lws_sorted_usec_list_t *sul)
{
	struct srv_res *r = lws_container_of(sul, struct srv_res, lease);

	log_info("lease expired place=%s id=%u user=%s peer=%s; returning it",
		 res_name(r), r->place_id, r->holder->user, r->holder->ip);
	srv_notify(r->holder, "reservation_lost", r->place_id, "lease");
	r->end = "lease ended";
	srv_return(NULL, r, false);
}

/* --- places ------------------------------------------------------------- */

int srv_register(struct srv_session *s, struct srv_place *p)
{
	if (index_add(p))
		return -ENOMEM;
	p->exporter = s;
	p->prev = srv.places_tail;
	if (srv.places_tail)
		srv.places_tail->next = p;
	else
		srv.places = p;
	srv.places_tail = p;
	srv.nplaces++;
	s->place = p;
	p->seen_ms = srv_wall_ms();
	p->stats = srv_metrics_place(p->name);
	if (!p->offline)	/* restored places are logged by state.c */
		log_info("place registered place=%s id=%u peer=%s", p->name,
			 p->id, p->host);
	srv_state_changed();
	return 0;
}

/* The exporter is gone for good: drop the place everywhere. */
void srv_place_remove(struct srv_place *p)
{
	struct srv_waiter *w, *next;

	if (p->prev)
		p->prev->next = p->next;
	else
		srv.places = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		srv.places_tail = p->prev;
	srv.nplaces--;
	index_del(p);
	p->exporter->place = NULL;
	if (p->res) {
		/* Holders keep their listed reservation; only we tell them. */
		p->res->end = "place gone";
		srv_farm_ended(p->res);
		p->res->place = NULL;
		srv.nreserved--;
		if (!p->res->req)
			srv_notify(p->res->holder, "reservation_lost", p->id,
			       "gone");
		p->res = NULL;
	}
	if (srv.stopping)	/* every place goes at exit: no news */
		log_debug("place removed place=%s id=%u peer=%s", p->name,
			  p->id, p->host);
	else
		log_info("place removed place=%s id=%u peer=%s", p->name,
			 p->id, p->host);
	srv_state_changed();
	for (w = srv.queue; w; w = next) {
		size_t k = 0;

		next = w->next;
		for (size_t i = 0; i < w->ncands; i++)
			if (w->cands[i] != p->id)
				w->cands[k++] = w->cands[i];
		w->ncands = k;
		if (k)
			continue;
		waiter_unlink(w);
		rpc_req_on_cancel(w->req, NULL, NULL);
		srv_metrics_outcome(SRV_PLACES_GONE, 0);
		rpc_error(w->req, RPC_INTERNAL_ERROR,
			  "All candidate places are gone");
		waiter_free(w);
	}
	srv_place_free(p);
}

/* SIGTERM: fail waiters, return every reservation, wait for the acks. */
void srv_hub_shutdown(void)
{
	srv.stopping = true;
	while (srv.queue) {
		struct srv_waiter *w = srv.queue;

		waiter_unlink(w);
		rpc_req_on_cancel(w->req, NULL, NULL);
		srv_metrics_outcome(SRV_SHUTDOWN, 0);
		rpc_error(w->req, RPC_INTERNAL_ERROR,
			  "Server is shutting down");
		waiter_free(w);
	}
	while (srv.res) {
		struct srv_res *r = srv.res;

		if (r->req) {
			struct rpc_req *req = r->req;

			rpc_req_on_cancel(req, NULL, NULL);
			if (r->call)
				rpc_call_cancel(r->call);
			r->call = NULL;
			r->req = NULL;
			rpc_error(req, RPC_INTERNAL_ERROR,
				  "Server is shutting down");
			res_abort(r);
			continue;
		}
		r->end = "server shutdown";
		srv_return(NULL, r, false);
	}
}

void srv_hub_free(void)
{
	srv.stopping = true;
	for (struct srv_conn *c = srv.conns; c; c = c->next)
		rpc_chan_close(c->rpc);
	while (srv.sessions) {
		struct srv_session *s = srv.sessions;

		if (s->conn)
			s->conn->sess = NULL;
		srv_session_free(s);
	}
	free(idtab);
	idtab = NULL;
	idtab_size = 0;
	srv_farm_free();
}

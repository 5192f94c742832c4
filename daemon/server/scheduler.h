/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scheduler.h - nmb-server's scheduler (wire protocol §4): places,
 * reservations, the reserve queue with its priorities, and leases.
 *
 * It knows neither libwebsockets nor the event loop, and has no global:
 * everything is in a struct sched its user owns. Its peers are sessions
 * (struct srv_session); how set_allowed_ips and notifications reach them
 * is its user's business (ops->allow, ops->notify), as is time
 * (ops->now_us). The one timer it needs, the next lease end, is asked of
 * its user with ops->deadline, who calls sched_expire() when it is due.
 * All it tells the rest of the server goes through struct sched_ops, so
 * it calls no other file of the server but place.c. Answers to reserve
 * and return are lib/jsonrpc requests.
 */
#ifndef NMB_SERVER_SCHEDULER_H
#define NMB_SERVER_SCHEDULER_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config.h"
#include "grant_secret.h"
#include "jsonrpc.h"

struct srv_conn;	/* net.c: a WebSocket */
struct srv_timer;	/* timer.c */
struct srv_place_stats;	/* metrics.c */
struct part_state;	/* lib/part_state.h */
struct srv_res;

LIST_HEAD(srv_res_held, srv_res);
LIST_HEAD(srv_place_chain, srv_place);

/*
 * A peer, exporter or agent: its identity, its place and the
 * reservations it holds. It outlives its connection during the
 * reconnect grace window when the peer said hello (session.c).
 */
struct srv_session {
	char token[33];			/* "" until hello */
	char user[260];			/* "<n>", a token name, a user name */
	char ip[INET6_ADDRSTRLEN];
	char host[65];			/* hello's host, "" if none */
	unsigned int roles;
	bool notify;			/* wants notifications (hello) */
	bool secrets;			/* hello listed feature "secret" */
	bool relay_tls;			/* ... "relay_tls" (exporters) */
	struct srv_conn *conn;		/* NULL while in grace */
	struct srv_timer *grace;	/* session.c */
	int64_t grace_end_ms;		/* wall clock; 0 while connected */
	struct srv_place *place;
	struct srv_res_held res;	/* held */
	TAILQ_ENTRY(srv_session) link;	/* the server's sessions */
};

struct srv_place {
	unsigned int id;
	char *name;
	json_object *desc;		/* normalised name, port, parts */
	char host[INET6_ADDRSTRLEN];
	struct srv_session *exporter;
	struct srv_res *res;		/* NULL: free */
	double ema;
	bool has_ema, offline;
	bool dial_out;			/* reached through relay.c */
	int64_t seen_ms;		/* wall clock of its last message */
	struct srv_place_stats *stats;	/* metrics.c */
	struct part_state *parts_state;	/* part_report.c, or NULL */
	size_t nparts_state;
	TAILQ_ENTRY(srv_place) link;
	LIST_ENTRY(srv_place) idlink;	/* hash chain by id */
};

struct srv_res {
	struct sched *sc;		/* for its rpc callbacks */
	unsigned int place_id;
	struct srv_place *place;	/* NULL once the place is gone */
	struct srv_session *holder;
	struct rpc_req *req;		/* the reserve, until acknowledged */
	struct rpc_call *call;		/* set_allowed_ips in flight */
	uint64_t t0_us;			/* when reserve was called */
	int64_t since_ms;		/* wall clock of the grant; 0 before */
	const char *end;		/* how it ended, for the farm page */
	unsigned int lease_s;
	uint64_t lease_end_us;		/* ops->now_us time; 0: not running */
	/*
	 * The grant's data-plane secret, "" when the holder or the
	 * exporter did not ask for secrets (not-my-board 0.13 peers): a
	 * fresh one per grant. Never logged; kept in the state file.
	 */
	char secret[GRANT_SECRET_SIZE];
	TAILQ_ENTRY(srv_res) link;	/* every reservation, in order */
	LIST_ENTRY(srv_res) hlink;	/* the holder's */
};

/* The reserve's "ticket", echoed in reserve_queued (protocol.rst). */
#define SRV_TICKET_MAX	64

struct srv_waiter {
	struct sched *sc;		/* for its cancel callback */
	struct rpc_req *req;
	struct srv_session *sess;
	unsigned int *cands;
	size_t ncands;
	int priority;
	unsigned int lease_s;
	uint64_t t0_us;
	char ticket[SRV_TICKET_MAX + 1];	/* reserve_queued, "" if none */
	unsigned int told;		/* position last notified */
	TAILQ_ENTRY(srv_waiter) link;
};

TAILQ_HEAD(srv_places, srv_place);
TAILQ_HEAD(srv_reservations, srv_res);
TAILQ_HEAD(srv_queue, srv_waiter);

/* How a reserve call ended, for metrics. */
enum srv_outcome {
	SRV_GRANTED, SRV_CANCELLED, SRV_NO_CANDIDATES, SRV_PLACES_GONE,
	SRV_EXPORTER_ERROR, SRV_SHUTDOWN, SRV_OUTCOMES
};

struct sched;

/* What the scheduler asks of, and tells, the rest of the server. */
struct sched_ops {
	uint64_t (*now_us)(struct sched *sc);	/* monotonic */
	int64_t (*wall_ms)(struct sched *sc);	/* wall clock */
	/* Call sched_expire() at AT_US (now_us time); 0: no lease runs. */
	void (*deadline)(struct sched *sc, uint64_t at_us);
	/*
	 * set_allowed_ips([ip], secret) (ip NULL: []; secret NULL or "":
	 * none) to p's exporter; NULL if it cannot be sent (done is then
	 * not run).
	 */
	struct rpc_call *(*allow)(struct sched *sc, struct srv_place *p,
				  const char *ip, const char *secret,
				  rpc_done_fn done, void *data);
	/* A notification (params taken) to connected session s. */
	void (*notify)(struct sched *sc, struct srv_session *s,
		       const char *method, json_object *params);
	/* Something changed; saved: also what the state file keeps. */
	void (*changed)(struct sched *sc, bool saved);
	void (*registered)(struct sched *sc, struct srv_place *p);
	/* A reservation was granted, its reserve answered. */
	void (*granted)(struct sched *sc, struct srv_res *r);
	/* p is about to be freed (may be NULL: nothing to do). */
	void (*removed)(struct sched *sc, struct srv_place *p);
	/* A granted reservation ends (r->end says how), once. */
	void (*ended)(struct sched *sc, struct srv_res *r);
	/* A reserve call ended; r only for SRV_GRANTED. */
	void (*outcome)(struct sched *sc, enum srv_outcome o,
			const struct srv_res *r);
};

struct sched {
	const struct sched_ops *ops;
	const struct srv_config *cfg;	/* tolerance, lease_max_s */
	struct srv_places places;
	unsigned int nplaces, nreserved;
	struct srv_reservations res;
	struct srv_queue queue;
	unsigned int nqueue;
	unsigned int nticketed;		/* waiters with a ticket */
	unsigned int nleased;		/* reservations with a lease running */
	uint64_t deadline_us;		/* last given to ops->deadline */
	unsigned int acks_pending;	/* shutdown: set_allowed_ips([]) */
	bool stopping;
	struct srv_place_chain *idtab;	/* places by id, chained */
	size_t idtab_size;
};

void sched_init(struct sched *sc, const struct sched_ops *ops,
		const struct srv_config *cfg);
/* After every session left (sched_leave). */
void sched_free(struct sched *sc);

struct srv_place *sched_place_find(struct sched *sc, unsigned int id);
struct srv_place *sched_place_by_name(struct sched *sc, const char *name);
/* Its reservation of place_id, granted (not a reserve in flight). */
struct srv_res *sched_res_find(struct srv_session *s, unsigned int place_id);
struct srv_res *sched_res_by_place(struct sched *sc, unsigned int place_id);

/* s exports p (id, name, host filled in): 0 or -ENOMEM. */
int sched_register(struct sched *sc, struct srv_session *s,
		   struct srv_place *p);
/* The exporter is gone for good: p is dropped everywhere and freed. */
void sched_place_remove(struct sched *sc, struct srv_place *p);

/*
 * reserve(candidate_ids, priority, lease, ticket): answers req once the
 * exporter acknowledged set_allowed_ips, or queues it. cands is a JSON
 * array of ints (checked by the caller).
 */
void sched_reserve(struct sched *sc, struct rpc_req *req,
		   struct srv_session *s, json_object *cands, int priority,
		   unsigned int lease_s, const char *ticket);
/* req (may be NULL) is answered once the place is handed on. */
void sched_return(struct sched *sc, struct rpc_req *req, struct srv_res *r,
		  bool forced);
/* Place p just became free (or came back): the next waiter or []. */
void sched_handoff(struct sched *sc, struct srv_place *p,
		   struct rpc_req *ret_req);
/* ops->allow, for the scheduler's user too (a resumed session). */
struct rpc_call *sched_allow(struct sched *sc, struct srv_place *p,
			     const char *ip, const char *secret,
			     rpc_done_fn done, void *data);
/*
 * The data-plane secret of p's current grant, for whatever admits an
 * agent to p (the exporter's proxy gets it in set_allowed_ips; a relay
 * in the server compares a CONNECT's "Proxy-Authorization: Bearer" with
 * it, with grant_secret_equal()). NULL when p is free or its grant has
 * no secret (a not-my-board 0.13 holder or exporter: admit by IP).
 */
const char *grant_secret(const struct srv_place *p);
/* Returns the lease granted (lease_max_s bounds it). */
int sched_lease_renew(struct sched *sc, struct srv_res *r,
		      unsigned int lease_s);
/* A reservation read back from the state file, held by a detached s. */
/* secret: the grant's, as saved ("" or NULL: none). */
struct srv_res *sched_res_restore(struct sched *sc, struct srv_place *p,
				  unsigned int place_id, struct srv_session *s,
				  unsigned int lease_s, uint64_t lease_left_us,
				  const char *secret);
/* Leases that end at NOW_US or before are returned. */
void sched_expire(struct sched *sc, uint64_t now_us);
/*
 * Session s is gone for good: its place is removed and its reservations
 * returned. Its waiting reserves went with its channel (rpc_chan_close).
 */
void sched_leave(struct sched *sc, struct srv_session *s);
/* SIGTERM: fail waiters, return every reservation; acks_pending counts. */
void sched_shutdown(struct sched *sc);
/* Tells ops->changed, for changes to sessions made outside. */
void sched_changed(struct sched *sc, bool saved);

#endif /* NMB_SERVER_SCHEDULER_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * server.h - nmb-server internals: configuration, connections, sessions,
 * places, reservations and the reserve queue.
 *
 * A connection (srv_conn) is one accepted /ws WebSocket. Its identity, the
 * place it exports and the reservations it holds belong to a session
 * (srv_session), which outlives the connection during the reconnect grace
 * window when the peer asked for one (hello). Everything runs in the one
 * lws service thread.
 */
#ifndef NMB_SERVER_H
#define NMB_SERVER_H

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "jsonrpc.h"

#define SRV_ROLE_EXPORTER	0x1
#define SRV_ROLE_IMPORTER	0x2
#define SRV_ROLE_ADMIN		0x4
#define SRV_ROLE_VIEWER		0x8	/* read-only: the web page */
#define SRV_ROLE_ALL		0xf

#define SRV_MAX_LISTEN		16

/* --- configuration (config.c) --------------------------------------- */

struct srv_listen {
	char *addr;		/* NULL: every address, dual-stack */
	unsigned int port;
	bool plain;		/* no TLS on this listener */
};

struct srv_token {
	char *name;
	char *secret;
	unsigned int roles;
};

struct srv_config {
	struct srv_listen listen[SRV_MAX_LISTEN];
	unsigned int nlisten;
	char *tls_cert, *tls_key;
	struct srv_token *tokens;
	unsigned int ntokens;
	unsigned int grace_s;		/* reconnect window; 0 disables */
	unsigned int lease_default_s;	/* 0: reservations never expire */
	unsigned int lease_max_s;	/* 0: no upper bound */
	double uniqueness_tolerance;
	size_t max_message;		/* bytes of one WebSocket message */
	unsigned int max_running;	/* unanswered requests per connection */
	unsigned int ping_s;
	bool have_file;
	char *state_file;		/* NULL: state lives in memory only */
};

/* Fills cfg from FILE; a missing default file is not an error. */
int srv_config_load(struct srv_config *cfg, const char *file, bool explicit);
/* "ADDR:PORT", "[V6]:PORT", ":PORT". Returns 0 or -EINVAL. */
int srv_parse_listen(struct srv_listen *l, const char *s);
void srv_config_free(struct srv_config *cfg);

/* --- connections and sessions --------------------------------------- */

struct srv_outmsg {
	struct srv_outmsg *next;
	size_t len;
	unsigned char buf[];	/* LWS_PRE bytes, then the message */
};

struct srv_session;

struct srv_conn {
	struct lws *wsi;
	unsigned int id;
	char ip[INET6_ADDRSTRLEN];
	unsigned int roles;
	const struct srv_token *token;	/* NULL without auth */
	struct rpc_chan *rpc;
	struct srv_session *sess;
	struct srv_outmsg *out_head, *out_tail;
	size_t out_bytes;
	char *rx;
	size_t rx_len, rx_cap;
	bool closing, rx_too_big;
	bool farm_sub;			/* subscribe_farm (farm.c) */
	bool farm_behind;		/* a snapshot skipped: too slow */
	int close_status;
	const char *close_reason;
	struct srv_conn *prev, *next;
};

struct srv_res;
struct srv_place;

struct srv_session {
	char token[33];			/* "" until hello */
	char user[72];			/* "<n>" or the token's name */
	char ip[INET6_ADDRSTRLEN];
	char host[65];			/* hello's host, "" if none */
	unsigned int roles;
	bool notify;			/* wants notifications (hello) */
	struct srv_conn *conn;		/* NULL while in grace */
	struct srv_place *place;
	struct srv_res *res;		/* held, via hnext */
	lws_sorted_usec_list_t grace;
	int64_t grace_end_ms;		/* wall clock; 0 while connected */
	struct srv_session *prev, *next;
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
	int64_t seen_ms;		/* wall clock of its last message */
	struct srv_place_stats *stats;	/* metrics.c */
	struct srv_place *prev, *next;
	struct srv_place *idnext;	/* hash chain by id */
};

struct srv_res {
	unsigned int place_id;
	struct srv_place *place;	/* NULL once the place is gone */
	struct srv_session *holder;
	struct rpc_req *req;		/* the reserve, until acknowledged */
	struct rpc_call *call;		/* set_allowed_ips in flight */
	uint64_t t0_us;			/* when reserve was called */
	int64_t since_ms;		/* wall clock of the grant; 0 before */
	const char *end;		/* how it ended, for farm.c */
	unsigned int lease_s;
	lws_sorted_usec_list_t lease;
	struct srv_res *prev, *next;	/* every reservation, in order */
	struct srv_res *hnext;		/* the holder's */
};

/* The reserve's "ticket", echoed in reserve_queued (protocol.rst). */
#define SRV_TICKET_MAX	64

struct srv_waiter {
	struct rpc_req *req;
	struct srv_session *sess;
	unsigned int *cands;
	size_t ncands;
	int priority;
	unsigned int lease_s;
	uint64_t t0_us;
	char ticket[SRV_TICKET_MAX + 1];	/* reserve_queued, "" if none */
	unsigned int told;		/* position last notified */
	struct srv_waiter *prev, *next;
};

struct srv_hub {
	struct srv_config *cfg;
	struct lws_context *ctx;
	unsigned int next_conn_id;
	struct srv_conn *conns;
	struct srv_session *sessions;
	struct srv_place *places, *places_tail;
	unsigned int nplaces, nreserved;
	struct srv_res *res, *res_tail;
	struct srv_waiter *queue;
	unsigned int nqueue;
	unsigned int nticketed;		/* waiters with a ticket */
	unsigned int nsubs;		/* subscribe_farm connections */
	unsigned int acks_pending;	/* shutdown: set_allowed_ips([]) */
	bool stopping;
};

extern struct srv_hub srv;

/* net.c: lws context, listeners, HTTP routes, WebSocket framing */
struct loop;
int srv_net_init(struct loop *loop);
int srv_net_run(void);
void srv_net_stop(void);
void srv_net_exit(void);
void srv_conn_close(struct srv_conn *c, int status, const char *reason);
int srv_conn_send(void *conn, const char *msg, size_t len);
uint64_t srv_now_us(void);
void srv_timer(lws_sorted_usec_list_t *sul, void (*cb)(
		lws_sorted_usec_list_t *), uint64_t us);
void srv_timer_cancel(lws_sorted_usec_list_t *sul);

/* http.c: answers one HTTP request; returns the lws callback result */
int srv_http_serve(struct lws *wsi, const char *path);
/* One whole HTTP answer, with EXTRA headers ("name:", value) after the
 * common ones; 0 or -1 (then the connection is closed). */
struct srv_http_header {
	const char *name, *value;
};
int srv_http_reply(struct lws *wsi, unsigned int status, const char *ctype,
		   const char *body, size_t len,
		   const struct srv_http_header *extra, size_t n_extra);

/* main.c: signals are acted on inside the loop */
void srv_wakeup(void);

/* hub.c: the scheduling rules of wire protocol §4 */
void srv_hub_shutdown(void);
void srv_hub_free(void);
struct srv_place *srv_place_find(unsigned int id);
struct srv_place *srv_place_by_name(const char *name);
int srv_register(struct srv_session *s, struct srv_place *p);
void srv_reserve(struct rpc_req *req, struct srv_session *s,
		 json_object *cands, int priority, unsigned int lease_s,
		 const char *ticket);
void srv_return(struct rpc_req *req, struct srv_res *res, bool forced);
void srv_place_remove(struct srv_place *p);
void srv_handoff(struct srv_place *p, struct rpc_req *ret_req);
struct rpc_call *srv_allow(struct srv_place *p, const char *ip,
			   rpc_done_fn done, void *data);
void srv_notify(struct srv_session *s, const char *method,
		unsigned int place_id, const char *reason);
struct srv_res *srv_res_find(struct srv_session *s, unsigned int place_id);
struct srv_res *srv_res_by_place(unsigned int place_id);
int srv_lease_renew(struct srv_res *res, unsigned int lease_s);
struct srv_res *srv_res_restore(struct srv_place *p, unsigned int place_id,
				struct srv_session *s, unsigned int lease_s,
				uint64_t lease_left_us);

/* session.c: sessions, reconnect grace, resume */
void srv_conn_opened(struct srv_conn *c);
void srv_conn_closed(struct srv_conn *c);
int srv_resume(struct srv_conn *c, const char *token);
void srv_session_free(struct srv_session *s);
struct srv_session *srv_session_restore(const char *token, const char *user,
					const char *ip);
void srv_session_grace(struct srv_session *s, uint64_t us);

/*
 * state.c: the optional state file, so that a server restart within the
 * grace window loses no session, place or reservation.
 */
int srv_state_init(void);		/* after srv_net_init: restore */
void srv_state_changed(void);		/* saves within 100 ms */
void srv_state_conn_opened(void);	/* keeps the saved counter ahead */
bool srv_state_keeps(void);		/* SIGTERM saves rather than returns */
void srv_state_stop(bool keep);		/* last write; no more after it */
int64_t srv_wall_ms(void);

/* place.c: export descriptions (§5) */
struct srv_place *srv_place_parse(json_object *desc, char *err,
				  size_t errlen);
void srv_place_free(struct srv_place *p);
json_object *srv_place_json(const struct srv_place *p);

/* methods.c: the JSON-RPC methods of the hub */
extern const struct rpc_method srv_methods[];

/*
 * farm.c: the read-only view of the farm for the web page: the
 * subscribe_farm method, its snapshots, pushed (coalesced) after every
 * change, and the recent reservations.
 */
void srv_farm_subscribe(struct rpc_req *req, json_object *params,
			void *ctx);
void srv_farm_changed(void);		/* snapshot within 50 ms */
void srv_farm_ended(struct srv_res *r);	/* a granted one ends */
void srv_farm_unsubscribe(struct srv_conn *c);
void srv_farm_drained(struct srv_conn *c);	/* its queue is empty */
void srv_farm_free(void);

/* web.c: the page's files; 1 if path is none of them */
int srv_web_serve(struct lws *wsi, const char *path);

/* metrics.c */
struct srv_place_stats *srv_metrics_place(const char *name);
void srv_metrics_granted(struct srv_place *p, uint64_t t0_us);
void srv_metrics_released(struct srv_place *p, int64_t since_ms);
enum srv_outcome {
	SRV_GRANTED, SRV_CANCELLED, SRV_NO_CANDIDATES, SRV_PLACES_GONE,
	SRV_EXPORTER_ERROR, SRV_SHUTDOWN, SRV_OUTCOMES
};
void srv_metrics_outcome(enum srv_outcome o, uint64_t t0_us);
char *srv_metrics_render(size_t *len);

#endif /* NMB_SERVER_H */

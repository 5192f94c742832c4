/* SPDX-License-Identifier: GPL-2.0 */
/*
 * server.h - nmb-server's one context, struct server, made in main.c and
 * passed to every module, and its WebSocket connections (net.c).
 *
 * A connection (srv_conn) is one accepted /ws WebSocket. Its identity, the
 * place it exports and the reservations it holds belong to a session
 * (scheduler.h), which outlives the connection during the reconnect grace
 * window when the peer asked for one (hello). Everything runs in the one
 * event loop.
 */
#ifndef NMB_SERVER_H
#define NMB_SERVER_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config.h"
#include "farm.h"
#include "metrics.h"
#include "scheduler.h"
#include "state.h"

struct lws;
struct lws_context;
struct loop;
struct srv_relay;
struct srv_net;
struct srv_timer;
struct srv_auth_conn;
struct srv_idp;
struct srv_login;

struct srv_outmsg {
	STAILQ_ENTRY(srv_outmsg) link;
	size_t len;
	unsigned char buf[];	/* LWS_PRE bytes, then the message */
};

struct srv_conn {
	struct server *srv;
	struct lws *wsi;
	unsigned int id;
	char ip[INET6_ADDRSTRLEN];
	unsigned int roles;
	const struct srv_token *token;	/* NULL without auth */
	struct rpc_chan *rpc;
	struct srv_session *sess;
	STAILQ_HEAD(, srv_outmsg) out;	/* oldest first */
	size_t out_bytes;
	char *rx;
	size_t rx_len, rx_cap;
	bool closing, rx_too_big;
	bool no_grace;			/* closed by auth: no grace */
	bool farm_sub;			/* subscribe_farm (farm.c) */
	bool farm_behind;		/* a snapshot skipped: too slow */
	struct srv_auth_conn *auth;	/* OpenID Connect (auth.c); or NULL */
	int close_status;
	const char *close_reason;
	LIST_ENTRY(srv_conn) link;	/* in server->conns */
};

TAILQ_HEAD(srv_sessions, srv_session);
LIST_HEAD(srv_conns, srv_conn);

struct server {
	struct srv_config *cfg;
	const char *config_path;	/* reloaded on SIGHUP */
	bool config_explicit;
	struct loop *loop;		/* lib/loop: libuv, lws on it */
	struct lws_context *ctx;
	struct srv_net *net;		/* net.c's own state */
	struct sched sched;		/* places, reservations, queue */
	struct srv_timer *lease_timer;	/* the scheduler's deadline */
	unsigned int next_conn_id;
	struct srv_conns conns;		/* open WebSockets */
	struct srv_sessions sessions;
	struct srv_farm farm;
	struct srv_state state;
	struct srv_metrics metrics;
	struct srv_timer *notify_timer;	/* systemd status and watchdog */
	struct srv_timer *stop_timer;	/* waits for the exporters' acks */
	uint64_t stop_deadline;
	struct srv_idp *idp;		/* trusted issuers (idp.c) */
	size_t n_idp;
	LIST_HEAD(, srv_login) logins;	/* waiting logins (login.c) */
	unsigned int n_logins;
	struct srv_relay *relay;	/* relay_srv.c; NULL: off */
};

/*
 * server.c: the context's set-up and tear-down, and what the scheduler's
 * events do to the rest (state file, farm page, metrics, lease timer).
 */
int srv_core_init(struct server *srv, struct srv_config *cfg);
/* Closes every channel, drops every session; again is harmless. */
void srv_core_free(struct server *srv);
/* Something changed: the state file (if saved) and the farm page. */
void srv_changed(struct server *srv, bool saved);

#endif /* NMB_SERVER_H */

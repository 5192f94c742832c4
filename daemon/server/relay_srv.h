/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay_srv.h - the relay of dial-out places (relay_srv.c): a place whose
 * exporter accepts no connection is advertised with the relay's address
 * and one port of its own; an agent's CONNECT there is authorised
 * (relay_auth.c), the exporter asked over its WebSocket (relay_open) to
 * dial the relay port with a one-time id, and the two sockets joined
 * with splice(2) (lib/relay). Documentation/protocol.rst, "Dial-out
 * places".
 */
#ifndef NMB_SERVER_RELAY_H
#define NMB_SERVER_RELAY_H

struct prom_buf;
struct server;
struct srv_conn;
struct srv_place;

/* How long the exporter has to open its data connection. */
#define SRV_RELAY_WAIT_MS	5000
/* How long an agent or exporter has to send its request head. */
#define SRV_RELAY_HEAD_MS	10000

/*
 * Listens on the relay port (cfg->relay; nothing if it is off). 0 or a
 * negative errno, logged.
 */
int srv_relay_init(struct server *srv);
/* Closes every relayed connection and listener; again is harmless. */
void srv_relay_free(struct server *srv);
/*
 * Dial-out place p was registered (or restored): it gets its port and
 * the relay's host; conn is its exporter's connection, or NULL.
 */
void srv_relay_place_added(struct server *srv, struct srv_place *p,
			   struct srv_conn *conn);
/* p goes: its port closes, its relayed connections are cut. */
void srv_relay_place_removed(struct server *srv, struct srv_place *p);
/*
 * p's allow-list is now [ip] (ip NULL: []): relayed connections of
 * other peers are cut, as an exporter cuts its direct ones.
 */
void srv_relay_allowed(struct server *srv, struct srv_place *p,
		       const char *ip);

/* The relay's series of /metrics (metrics.c); nothing when it is off. */
void srv_relay_metrics(struct server *srv, struct prom_buf *b);

#endif /* NMB_SERVER_RELAY_H */

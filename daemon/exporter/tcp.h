/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp.h - TCP tunnels of the CONNECT proxy (tcp.c).
 */
#ifndef NMB_EXPORTER_TCP_H
#define NMB_EXPORTER_TCP_H

struct conn;
struct tcp_if;

/* c asked for t: resolve, connect and relay. */
void tcp_start(struct conn *c, struct tcp_if *t);
/* Frees what the tunnel of c holds (connection, resolution, relay). */
void tcp_conn_gone(struct conn *c);

#endif /* NMB_EXPORTER_TCP_H */

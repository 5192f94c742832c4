/* SPDX-License-Identifier: GPL-2.0 */
/*
 * net.h - libwebsockets glue (net.c): the context, listeners, and the
 * WebSocket connections' outgoing side.
 */
#ifndef NMB_SERVER_NET_H
#define NMB_SERVER_NET_H

#include <stddef.h>

struct server;
struct srv_conn;

int srv_net_init(struct server *srv);
int srv_net_run(struct server *srv);
void srv_net_stop(struct server *srv);
void srv_net_exit(struct server *srv);
void srv_conn_close(struct srv_conn *c, int status, const char *reason);
int srv_conn_send(void *conn, const char *msg, size_t len);

#endif /* NMB_SERVER_NET_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conn_addr.h - the addresses of a connection's two ends, as text
 * (conn_addr.c): for net.c's logs and limits, and for the relay's
 * answer of where to dial (relay_srv.c), without either calling the
 * other.
 */
#ifndef NMB_SERVER_CONN_ADDR_H
#define NMB_SERVER_CONN_ADDR_H

#include <stdbool.h>
#include <stddef.h>

struct lws;
struct srv_conn;

/*
 * The address of wsi's own end (local) or of its peer, an IPv4-mapped
 * IPv6 address written as IPv4: 0, or -errno (-EAFNOSUPPORT for a socket
 * that is neither IPv4 nor IPv6).
 */
int srv_wsi_ip(struct lws *wsi, bool local, char *ip, size_t len);
/* The server's own address on c: 0 or -errno. */
int srv_conn_local_ip(struct srv_conn *c, char *ip, size_t len);

#endif /* NMB_SERVER_CONN_ADDR_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tunnel.h - an HTTP CONNECT tunnel to an exporter's place port
 * (tunnel.c, on lib/proxy_connect), for USB imports and TCP forwards.
 */
#ifndef NMB_AGENT_TUNNEL_H
#define NMB_AGENT_TUNNEL_H

#include <stddef.h>

struct agent;
struct tunnel;

/*
 * fd: the connected socket after "200" (the callee's to keep), early:
 * bytes received after the response head. err < 0: fd is -1; msg says
 * what failed.
 */
typedef void (*tunnel_cb)(void *arg, int err, const char *msg, int fd,
			  const char *early, size_t early_len);
/*
 * secret: the reservation's (sent as Proxy-Authorization: Bearer), or
 * NULL/"" for none. A place at the server's own host (a relay) is
 * reached through the agent's outbound proxy when it has one.
 */
struct tunnel *tunnel_open(struct agent *a, const char *host,
			   unsigned int port, const char *target,
			   const char *secret, tunnel_cb cb, void *arg);
void tunnel_cancel(struct tunnel *t);

#endif /* NMB_AGENT_TUNNEL_H */

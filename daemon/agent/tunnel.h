/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tunnel.h - an HTTP CONNECT tunnel to an exporter's place port
 * (tunnel.c, on lib/proxy_connect), for USB imports and TCP forwards.
 */
#ifndef NMB_AGENT_TUNNEL_H
#define NMB_AGENT_TUNNEL_H

#include <stdbool.h>
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
 * reached through the agent's outbound proxy when it has one. tls: the
 * place is relayed with TLS (places_relay_tls()); the CONNECT then goes
 * inside TLS, and fd is a kTLS socket or a user-space pump's end.
 */
struct tunnel *tunnel_open(struct agent *a, const char *host,
			   unsigned int port, const char *target,
			   const char *secret, bool tls, tunnel_cb cb,
			   void *arg);
void tunnel_cancel(struct tunnel *t);
/* At exit: frees the user-space TLS pumps still running. */
void tunnel_stop_all(struct agent *a);

#endif /* NMB_AGENT_TUNNEL_H */

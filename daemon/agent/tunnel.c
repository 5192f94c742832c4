// SPDX-License-Identifier: GPL-2.0
/*
 * tunnel.c - one HTTP CONNECT tunnel to an exporter's place port (wire
 * note §6) on lib/proxy_connect, with the reservation's secret as
 * "Proxy-Authorization: Bearer" when the server gave one. A place whose
 * host is the server's own (the server relays it) is a connection to
 * the server, so it crosses the agent's outbound HTTP proxy, if any;
 * every other exporter is reached directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "hub_client.h"
#include "proxy_connect.h"
#include "tunnel.h"

struct tunnel {
	struct proxy_connect *pc;
	tunnel_cb cb;
	void *arg;
};

static void done(void *arg, int err, const char *msg, int fd,
		 const char *early, size_t early_len)
{
	struct tunnel *t = arg;

	t->pc = NULL;
	t->cb(t->arg, err, msg, fd, early, early_len);
	free(t);
}

struct tunnel *tunnel_open(struct agent *a, const char *host,
			   unsigned int port, const char *target,
			   const char *secret, tunnel_cb cb, void *arg)
{
	const struct proxy_route *via = a->hub ? hub_client_proxy(a->hub) :
						 NULL;
	struct proxy_connect_conf c = {
		.host = host,
		.port = port,
		.target = target,
		.bearer = secret && secret[0] ? secret : NULL,
		.what = "exporter",
	};
	struct tunnel *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (via && !strcasecmp(host, a->url.host))
		c.via = via;
	t->cb = cb;
	t->arg = arg;
	t->pc = proxy_connect_open(a->loop, &c, done, t);
	if (!t->pc) {
		free(t);
		return NULL;
	}
	return t;
}

void tunnel_cancel(struct tunnel *t)
{
	if (!t)
		return;
	proxy_connect_cancel(t->pc);
	free(t);
}

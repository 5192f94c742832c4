// SPDX-License-Identifier: GPL-2.0
/*
 * tcp.c - TCP tunnels (wire note §6): resolve the target at this moment
 * (lib/resolve, in libuv's thread pool, so a slow DNS stalls no other
 * tunnel), connect without blocking, forward the early bytes and relay
 * with splice().
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "exporter.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "resolve.h"
#include "sockopt.h"
#include "tcp.h"

static void fail(struct conn *c, const char *what, const char *why)
{
	log_warn("place %s: peer %s: TCP tunnel to %s: %s: %s; closed",
		 c->place->name, c->peer, c->tcp->target, what, why);
	conn_end(c);
}

static void relay_done(struct relay *r, int err, void *arg)
{
	struct conn *c = arg;

	c->tcp->bytes[0] += relay_bytes(r, 0);
	c->tcp->bytes[1] += relay_bytes(r, 1);
	if (err)
		log_info("place %s: peer %s: TCP tunnel to %s ended: %s (%llu/%llu bytes)",
			 c->place->name, c->peer, c->tcp->target,
			 strerror(-err),
			 (unsigned long long)relay_bytes(r, 0),
			 (unsigned long long)relay_bytes(r, 1));
	else
		log_info("place %s: peer %s: TCP tunnel to %s closed (%llu/%llu bytes)",
			 c->place->name, c->peer, c->tcp->target,
			 (unsigned long long)relay_bytes(r, 0),
			 (unsigned long long)relay_bytes(r, 1));
	conn_end(c);
}

static void start_relay(struct conn *c)
{
	int err;

	loop_fd_del(c->tlfd);
	c->tlfd = NULL;
	loop_fd_del(c->lfd);
	c->lfd = NULL;
	err = relay_new(c->place->exp->loop, c->fd, c->tfd, c->early,
			c->early_len, relay_done, c, &c->relay);
	if (err) {
		fail(c, "relay", strerror(-err));
		return;
	}
	/* The relay owns both fds now. */
	c->fd = -1;
	c->tfd = -1;
	c->state = CONN_TCP_RELAY;
	free(c->early);
	c->early = NULL;
	log_info("place %s: peer %s: TCP tunnel to %s open", c->place->name,
		 c->peer, c->tcp->target);
}

static void try_connect(struct conn *c);

static void on_connected(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	(void)lfd;
	(void)events;
	if (getsockopt(c->tfd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (!soerr) {
		start_relay(c);
		return;
	}
	loop_fd_del(c->tlfd);
	c->tlfd = NULL;
	close(c->tfd);
	c->tfd = -1;
	if (!c->ai_next) {
		fail(c, "connect", strerror(soerr));
		return;
	}
	try_connect(c);
}

static void try_connect(struct conn *c)
{
	int err = EHOSTUNREACH;

	while (c->ai_next) {
		struct addrinfo *ai = c->ai_next;

		c->ai_next = ai->ai_next;
		c->tfd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
				SOCK_CLOEXEC, ai->ai_protocol);
		if (c->tfd < 0) {
			err = errno;
			continue;
		}
		sock_nodelay(c->tfd);
		if (connect(c->tfd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			c->tlfd = loop_fd_add(c->place->exp->loop, c->tfd,
					      EPOLLOUT, on_connected, c);
			if (c->tlfd) {
				c->state = CONN_TCP_CONNECT;
				return;
			}
		}
		err = errno;
		close(c->tfd);
		c->tfd = -1;
	}
	fail(c, "connect", strerror(err));
}

static void on_resolved(struct addrinfo *ai, int err, void *arg)
{
	struct conn *c = arg;

	c->res = NULL;
	if (err) {
		fail(c, "resolve", resolve_strerror(err));
		return;
	}
	c->ai = ai;		/* freed in tcp_conn_gone() */
	c->ai_next = c->ai;
	try_connect(c);
}

void tcp_start(struct conn *c, struct tcp_if *t)
{
	const struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG,
	};
	const struct addrinfo numeric = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai;
	char port[8];

	c->tcp = t;
	c->state = CONN_TCP_RESOLVE;
	/* The client is not read until the relay runs. */
	loop_fd_mod(c->lfd, 0);
	snprintf(port, sizeof(port), "%u", t->port);
	/*
	 * An address needs no resolver (nor a hop through its thread
	 * pool): connect at once, as the agent's tunnel does.
	 */
	if (!getaddrinfo(t->host, port, &numeric, &ai)) {
		c->ai = ai;
		c->ai_next = ai;
		try_connect(c);
		return;
	}
	c->res = resolve_start(c->place->exp->loop, t->host, port, &hints,
			       on_resolved, c);
	if (!c->res)
		fail(c, "resolve", strerror(errno));
}

void tcp_conn_gone(struct conn *c)
{
	if (c->relay) {
		relay_free(c->relay);
		c->relay = NULL;
	}
	loop_fd_del(c->tlfd);
	c->tlfd = NULL;
	if (c->tfd >= 0)
		close(c->tfd);
	c->tfd = -1;
	resolve_cancel(c->res);
	c->res = NULL;
	if (c->ai)
		freeaddrinfo(c->ai);
	c->ai = c->ai_next = NULL;
	free(c->early);
	c->early = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_forward.c - one imported TCP interface: a listener on
 * localhost:local_port (127.0.0.1 and ::1); each accepted connection gets
 * its own CONNECT tunnel to the exporter with the exported host:port as
 * target (wire note §6, §8), then a splice() relay (lib/relay).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "places.h"
#include "relay.h"
#include "reservation.h"
#include "sockopt.h"
#include "tcp_forward.h"
#include "tunnel.h"

struct conn {
	struct tcp_forward *f;
	int client;
	struct tunnel *tun;
	struct relay *relay;
	struct list_head node;		/* in tcp_forward->conns */
};

struct tcp_forward {
	struct reservation *r;
	char *part, *iface, *host, *target;
	unsigned int local_port, port;
	int lfd[2];
	struct loop_fd *lev[2];
	struct list_head conns;
	unsigned int nconns;
};

static void conn_free(struct conn *c)
{
	struct tcp_forward *f = c->f;

	if (c->relay)
		agent_metrics_tunnel_ended(f->r->agent,
					   relay_bytes(c->relay, 0),
					   relay_bytes(c->relay, 1));
	list_del(&c->node);
	f->nconns--;
	tunnel_cancel(c->tun);
	if (c->relay)
		relay_free(c->relay);
	else if (c->client >= 0)
		close(c->client);
	free(c);
}

static void relay_done(struct relay *r, int err, void *arg)
{
	struct conn *c = arg;

	(void)r;
	if (err)
		log_info("%s: %s.%s: connection ended: %s", c->f->r->name,
			 c->f->part, c->f->iface, strerror(-err));
	conn_free(c);
}

static void on_tunnel(void *arg, int err, const char *msg, int fd,
		      const char *early, size_t early_len)
{
	struct conn *c = arg;
	struct tcp_forward *f = c->f;
	int ret;

	c->tun = NULL;
	if (err) {
		log_warn("%s: %s.%s: local port %u: %s", f->r->name, f->part,
			 f->iface, f->local_port, msg);
		conn_free(c);
		return;
	}
	ret = relay_new(f->r->agent->loop, fd, c->client, early, early_len,
			relay_done, c, &c->relay);
	if (ret) {
		log_warn("%s: %s.%s: cannot relay: %s", f->r->name, f->part,
			 f->iface, strerror(-ret));
		close(fd);
		conn_free(c);
	}
}

static void on_accept(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct tcp_forward *f = arg;
	struct conn *c;
	int fd;

	(void)events;
	fd = accept4(loop_fd_fd(lfd), NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	sock_nodelay(fd);
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->f = f;
	c->client = fd;
	list_add(&c->node, &f->conns);
	f->nconns++;
	c->tun = tunnel_open(f->r->agent, f->host, f->port, f->target,
			     f->r->secret, places_relay_tls(f->r->place),
			     on_tunnel, c);
	if (!c->tun) {
		log_warn("%s: %s.%s: cannot open a tunnel to %s:%u",
			 f->r->name, f->part, f->iface, f->host, f->port);
		conn_free(c);
	}
}

static int listen_on(int family, unsigned int port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd, on = 1, err;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if ((family == AF_INET6 ?
	     bind(fd, (struct sockaddr *)&s6, sizeof(s6)) :
	     bind(fd, (struct sockaddr *)&s4, sizeof(s4))) ||
	    listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int tcp_forward_new(struct reservation *r, const char *part,
		    const char *iface, unsigned int local_port,
		    const char *host, unsigned int port, const char *target,
		    struct tcp_forward **out, char *err, size_t errlen)
{
	struct tcp_forward *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	f->r = r;
	INIT_LIST_HEAD(&f->conns);
	f->lfd[0] = f->lfd[1] = -1;
	f->local_port = local_port;
	f->port = port;
	f->part = strdup(part);
	f->iface = strdup(iface);
	f->host = strdup(host);
	f->target = strdup(target);
	if (!f->part || !f->iface || !f->host || !f->target) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ret = listen_on(AF_INET, local_port);
	if (ret < 0) {
		snprintf(err, errlen,
			 "%s.%s: cannot listen on localhost:%u: %s; is another program using it? Change local_port",
			 part, iface, local_port, strerror(-ret));
		goto fail;
	}
	f->lfd[0] = ret;
	/* ::1 too where IPv6 exists; its absence is not an error. */
	ret = listen_on(AF_INET6, local_port);
	f->lfd[1] = ret >= 0 ? ret : -1;
	for (int i = 0; i < 2; i++) {
		if (f->lfd[i] < 0)
			continue;
		f->lev[i] = loop_fd_add(r->agent->loop, f->lfd[i], EPOLLIN,
					on_accept, f);
		if (!f->lev[i]) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	log_info("%s: %s.%s: localhost:%u forwards to %s through %s:%u",
		 r->name, part, iface, local_port, target, host, port);
	*out = f;
	return 0;
fail:
	tcp_forward_free(f);
	return ret < 0 ? ret : -EINVAL;
}

void tcp_forward_free(struct tcp_forward *f)
{
	if (!f)
		return;
	while (!list_empty(&f->conns))
		conn_free(list_first_entry(&f->conns, struct conn, node));
	for (int i = 0; i < 2; i++) {
		loop_fd_del(f->lev[i]);
		if (f->lfd[i] >= 0)
			close(f->lfd[i]);
	}
	free(f->part);
	free(f->iface);
	free(f->host);
	free(f->target);
	free(f);
}

void tcp_forward_status(struct tcp_forward *f, json_object *o)
{
	json_object_object_add(o, "up", json_object_new_boolean(true));
	json_object_object_add(o, "connections",
			       json_object_new_int((int32_t)f->nconns));
	json_object_object_add(o, "target", json_object_new_string(f->target));
}

void tcp_forward_live_bytes(struct agent *a, uint64_t *to_local,
			    uint64_t *to_remote)
{
	struct reservation *r;
	struct conn *c;

	*to_local = *to_remote = 0;
	list_for_each_entry(r, &a->res, node) {
		for (size_t i = 0; i < r->ntcp; i++) {
			if (!r->tcp[i])
				continue;
			list_for_each_entry(c, &r->tcp[i]->conns, node) {
				if (!c->relay)
					continue;
				*to_local += relay_bytes(c->relay, 0);
				*to_remote += relay_bytes(c->relay, 1);
			}
		}
	}
}

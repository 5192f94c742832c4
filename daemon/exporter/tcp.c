// SPDX-License-Identifier: GPL-2.0
/*
 * tcp.c - TCP tunnels (wire note §6): resolve the target at this moment
 * (in a thread, so a slow DNS stalls no other tunnel), connect without
 * blocking, forward the early bytes and relay with splice().
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "exporter.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "sockopt.h"
#include "tcp.h"

struct resolve_job {
	atomic_int refs;	/* the thread and the connection */
	int efd;		/* written once the answer is in */
	char host[256];
	char port[8];
	struct addrinfo *res;
	int gai_err;
};

static void job_put(struct resolve_job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	if (j->res)
		freeaddrinfo(j->res);
	close(j->efd);
	free(j);
}

static void *resolve_thread(void *arg)
{
	struct resolve_job *j = arg;
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG,
	};
	uint64_t one = 1;

	j->gai_err = getaddrinfo(j->host, j->port, &hints, &j->res);
	if (write(j->efd, &one, sizeof(one)) < 0)
		j->gai_err = EAI_SYSTEM;
	job_put(j);
	return NULL;
}

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

static void on_resolved(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	struct resolve_job *j = c->job;

	(void)lfd;
	(void)events;
	loop_fd_del(c->job_lfd);
	c->job_lfd = NULL;
	if (j->gai_err) {
		const char *why = gai_strerror(j->gai_err);

		c->job = NULL;
		job_put(j);
		fail(c, "resolve", why);
		return;
	}
	c->ai = j->res;		/* freed with the job, in tcp_conn_gone() */
	c->ai_next = c->ai;
	try_connect(c);
}

void tcp_start(struct conn *c, struct tcp_if *t)
{
	struct resolve_job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t th;
	int err;

	c->tcp = t;
	c->state = CONN_TCP_RESOLVE;
	/* The client is not read until the relay runs. */
	loop_fd_mod(c->lfd, 0);
	if (!j) {
		fail(c, "resolve", strerror(ENOMEM));
		return;
	}
	snprintf(j->host, sizeof(j->host), "%s", t->host);
	snprintf(j->port, sizeof(j->port), "%u", t->port);
	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	atomic_init(&j->refs, 2);
	if (j->efd < 0) {
		free(j);
		fail(c, "resolve", strerror(errno));
		return;
	}
	c->job = j;
	c->job_lfd = loop_fd_add(c->place->exp->loop, j->efd, EPOLLIN,
				 on_resolved, c);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = c->job_lfd ? pthread_create(&th, &attr, resolve_thread, j)
			 : ENOMEM;
	pthread_attr_destroy(&attr);
	if (err) {
		atomic_fetch_sub(&j->refs, 1);	/* no thread */
		fail(c, "resolve", strerror(err));
	}
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
	loop_fd_del(c->job_lfd);
	c->job_lfd = NULL;
	if (c->job)
		job_put(c->job);
	c->job = NULL;
	c->ai = c->ai_next = NULL;
	free(c->early);
	c->early = NULL;
}

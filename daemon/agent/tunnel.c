// SPDX-License-Identifier: GPL-2.0
/*
 * tunnel.c - one HTTP CONNECT tunnel to an exporter's place port (wire
 * note §6): non-blocking connect, the request as the reference agent
 * sends it, and the answer head; only status 200 opens the tunnel. A
 * host given by name is resolved on the loop (lib/resolve) first.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "resolve.h"
#include "sockopt.h"
#include "tunnel.h"

#define HEAD_MAX	4096

struct tunnel {
	int fd;
	struct loop_fd *lfd;
	struct loop *loop;
	struct resolve *res;	/* resolving the exporter's name */
	bool connected;
	char req[700];
	size_t req_len, req_off;
	char buf[HEAD_MAX];
	size_t len;
	tunnel_cb cb;
	void *arg;
	char where[300];
};

static void finish(struct tunnel *t, int err, const char *msg)
{
	const char *eoh;
	size_t head;
	int fd = t->fd;

	loop_fd_del(t->lfd);
	if (err) {
		if (fd >= 0)
			close(fd);
		t->cb(t->arg, err, msg, -1, NULL, 0);
	} else {
		eoh = memmem(t->buf, t->len, "\r\n\r\n", 4);
		head = (size_t)(eoh - t->buf) + 4;
		t->cb(t->arg, 0, NULL, fd, t->buf + head, t->len - head);
	}
	free(t);
}

static void failf(struct tunnel *t, int err, const char *fmt, const char *s)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, t->where, s);
	finish(t, err, msg);
}

static void on_head(struct tunnel *t)
{
	int status = 0;

	if (sscanf(t->buf, "HTTP/1.%*1[01] %3d", &status) != 1) {
		failf(t, -EPROTO, "%s: not an HTTP answer to CONNECT%s", "");
		return;
	}
	if (status != 200) {
		char s[64];

		snprintf(s, sizeof(s), "%d%s", status, status == 403 ?
			 " (this host is not allowed: is the place reserved by us?)" :
			 "");
		failf(t, status == 403 ? -EACCES : -EPROTO,
		      "%s: the exporter answered CONNECT with %s", s);
		return;
	}
	finish(t, 0, NULL);
}

static void on_fd(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct tunnel *t = arg;
	socklen_t sl = sizeof(int);
	int soerr = 0;
	ssize_t n;

	if (!t->connected) {
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ||
		    soerr) {
			failf(t, -(soerr ? soerr : errno), "%s: cannot connect: %s",
			      strerror(soerr ? soerr : errno));
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		t->connected = true;
	}
	if (t->req_off < t->req_len) {
		n = send(t->fd, t->req + t->req_off, t->req_len - t->req_off,
			 MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			failf(t, -errno, "%s: cannot send CONNECT: %s",
			      strerror(errno));
			return;
		}
		if (n > 0)
			t->req_off += (size_t)n;
		loop_fd_mod(lfd, t->req_off < t->req_len ? EPOLLOUT : EPOLLIN);
		return;
	}
	n = recv(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			failf(t, -errno, "%s: %s", strerror(errno));
		return;
	}
	if (n == 0) {
		failf(t, -ECONNRESET,
		      "%s: the exporter closed the connection before answering CONNECT%s",
		      "");
		return;
	}
	t->len += (size_t)n;
	t->buf[t->len] = '\0';
	if (memmem(t->buf, t->len, "\r\n\r\n", 4))
		on_head(t);
	else if (t->len >= sizeof(t->buf) - 1)
		failf(t, -EPROTO, "%s: answer head too long%s", "");
}

/* 0, or -errno and a line in the log. */
static int connect_to(struct tunnel *t, const struct addrinfo *ai)
{
	t->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, ai->ai_protocol);
	if (t->fd < 0 ||
	    (connect(t->fd, ai->ai_addr, ai->ai_addrlen) &&
	     errno != EINPROGRESS)) {
		int err = -errno;

		log_warn("%s: cannot connect: %s", t->where, strerror(errno));
		return err;
	}
	sock_nodelay(t->fd);
	t->lfd = loop_fd_add(t->loop, t->fd, EPOLLOUT, on_fd, t);
	return t->lfd ? 0 : -errno;
}

static void on_resolved(struct addrinfo *ai, int err, void *arg)
{
	struct tunnel *t = arg;
	int ret;

	t->res = NULL;
	if (err) {
		failf(t, -EHOSTUNREACH, "%s: cannot resolve the name: %s",
		      resolve_strerror(err));
		return;
	}
	ret = connect_to(t, ai);
	freeaddrinfo(ai);
	if (ret)
		failf(t, ret, "%s: cannot connect: %s", strerror(-ret));
}

struct tunnel *tunnel_open(struct loop *loop, const char *host,
			   unsigned int port, const char *target, tunnel_cb cb,
			   void *arg)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST };
	struct addrinfo *ai = NULL;
	struct tunnel *t;
	char ps[8];

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->loop = loop;
	t->fd = -1;
	t->cb = cb;
	t->arg = arg;
	snprintf(t->where, sizeof(t->where), "exporter %s:%u", host, port);
	t->req_len = (size_t)snprintf(t->req, sizeof(t->req),
				      "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: nmb-agent\r\n\r\n",
				      target, target);
	snprintf(ps, sizeof(ps), "%u", port);
	/* An address needs no resolver: connect at once. */
	if (!getaddrinfo(host, ps, &hints, &ai)) {
		int ret = connect_to(t, ai);

		freeaddrinfo(ai);
		if (ret)
			goto fail;
		return t;
	}
	hints.ai_flags = AI_NUMERICSERV;
	t->res = resolve_start(loop, host, ps, &hints, on_resolved, t);
	if (!t->res) {
		log_warn("%s: cannot resolve: %s", t->where, strerror(errno));
		goto fail;
	}
	return t;
fail:
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	return NULL;
}

void tunnel_cancel(struct tunnel *t)
{
	if (!t)
		return;
	resolve_cancel(t->res);
	loop_fd_del(t->lfd);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

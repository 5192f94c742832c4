// SPDX-License-Identifier: GPL-2.0
/*
 * proxy_connect.c - HTTP CONNECT tunnels on the loop (proxy_connect.h):
 * non-blocking connect, the request, the answer head parsed by
 * lib/http; first through an outbound proxy when there is one.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "http.h"
#include "log.h"
#include "loop.h"
#include "proxy_connect.h"
#include "proxy_env.h"
#include "resolve.h"
#include "sockopt.h"

enum stage { VIA, TARGET };

struct proxy_connect {
	struct loop *loop;
	int fd;
	struct loop_fd *lfd;
	struct resolve *res;
	bool connected;
	enum stage stage;
	char *req_via, *req_target;	/* the requests still to send */
	char *req;			/* the one being sent */
	size_t req_len, req_off;
	char buf[PROXY_CONNECT_HEAD_MAX + 1];
	size_t len;
	proxy_connect_cb cb;
	void *arg;
	char where[300];		/* "exporter H:P" */
	char proxy[400];		/* "proxy http://P:N (var)", or "" */
};

static void wipe(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));	/* may hold a secret */
	free(s);
}

static void pc_free(struct proxy_connect *pc)
{
	resolve_cancel(pc->res);
	loop_fd_del(pc->lfd);
	if (pc->fd >= 0)
		close(pc->fd);
	wipe(pc->req);
	wipe(pc->req_via);
	wipe(pc->req_target);
	free(pc);
}

static void finish(struct proxy_connect *pc, int err, const char *msg,
		   size_t head)
{
	int fd = pc->fd;

	loop_fd_del(pc->lfd);
	pc->lfd = NULL;
	pc->fd = -1;
	if (err) {
		if (fd >= 0)
			close(fd);
		pc->cb(pc->arg, err, msg, -1, NULL, 0);
	} else {
		pc->cb(pc->arg, 0, NULL, fd, pc->buf + head, pc->len - head);
	}
	pc_free(pc);
}

/* "<who>: <what>" where who is the proxy while talking to it. */
static void failf(struct proxy_connect *pc, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void failf(struct proxy_connect *pc, int err, const char *fmt, ...)
{
	char what[300], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (pc->proxy[0] && pc->stage == VIA)
		snprintf(msg, sizeof(msg), "%s through %s: %s", pc->where,
			 pc->proxy, what);
	else
		snprintf(msg, sizeof(msg), "%s: %s", pc->where, what);
	finish(pc, err, msg, 0);
}

static void next_request(struct proxy_connect *pc)
{
	wipe(pc->req);
	pc->req = NULL;
	if (pc->stage == VIA && pc->req_via) {
		pc->req = pc->req_via;
		pc->req_via = NULL;
	} else if (pc->req_target) {
		pc->stage = TARGET;
		pc->req = pc->req_target;
		pc->req_target = NULL;
	}
	pc->req_len = pc->req ? strlen(pc->req) : 0;
	pc->req_off = 0;
	pc->len = 0;
}

static void on_head(struct proxy_connect *pc, size_t head, int status)
{
	if (status != 200) {
		bool proxy = pc->stage == VIA && pc->proxy[0];

		failf(pc, status == 403 && !proxy ? -EACCES : -EPROTO,
		      "%s answered CONNECT with %d%s", proxy ? "the proxy" :
		      "it", status, status == 403 && !proxy ?
		      " (not allowed: is the place reserved by us, with its secret?)" :
		      status == 407 ? " (the proxy wants authentication, which nmb does not do: let this host through by its address)" :
		      "");
		return;
	}
	if (pc->stage == VIA && pc->req_target) {
		/* through the proxy: now our own CONNECT */
		if (pc->len > head) {
			failf(pc, -EPROTO, "the proxy sent data before our request");
			return;
		}
		pc->stage = TARGET;
		next_request(pc);
		loop_fd_mod(pc->lfd, EPOLLOUT);
		return;
	}
	finish(pc, 0, NULL, head);
}

static void on_fd(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct proxy_connect *pc = arg;
	socklen_t sl = sizeof(int);
	size_t head;
	int soerr = 0, status, ret;
	ssize_t n;

	if (!pc->connected) {
		if (getsockopt(pc->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ||
		    soerr) {
			int e = soerr ? soerr : errno;

			failf(pc, -e, "cannot connect: %s", strerror(e));
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		pc->connected = true;
		if (!pc->req) {		/* no CONNECT at all: a raw stream */
			finish(pc, 0, NULL, 0);
			return;
		}
	}
	if (pc->req_off < pc->req_len) {
		n = send(pc->fd, pc->req + pc->req_off,
			 pc->req_len - pc->req_off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			failf(pc, -errno, "cannot send CONNECT: %s",
			      strerror(errno));
			return;
		}
		if (n > 0)
			pc->req_off += (size_t)n;
		loop_fd_mod(lfd, pc->req_off < pc->req_len ? EPOLLOUT :
							     EPOLLIN);
		return;
	}
	n = recv(pc->fd, pc->buf + pc->len, sizeof(pc->buf) - 1 - pc->len,
		 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			failf(pc, -errno, "%s", strerror(errno));
		return;
	}
	if (n == 0) {
		failf(pc, -ECONNRESET, "connection closed before the answer to CONNECT");
		return;
	}
	pc->len += (size_t)n;
	pc->buf[pc->len] = '\0';
	ret = http_parse_response(pc->buf, pc->len, &status, &head);
	if (ret == -EAGAIN && pc->len >= sizeof(pc->buf) - 1)
		failf(pc, -EPROTO, "answer head over %d bytes",
		      PROXY_CONNECT_HEAD_MAX);
	else if (ret == -EPROTO)
		failf(pc, -EPROTO, "not an HTTP answer to CONNECT");
	else if (!ret)
		on_head(pc, head, status);
}

/* 0, or -errno. */
static int connect_to(struct proxy_connect *pc, const struct addrinfo *ai)
{
	pc->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			SOCK_CLOEXEC, ai->ai_protocol);
	if (pc->fd < 0 ||
	    (connect(pc->fd, ai->ai_addr, ai->ai_addrlen) &&
	     errno != EINPROGRESS))
		return -errno;
	sock_nodelay(pc->fd);
	pc->lfd = loop_fd_add(pc->loop, pc->fd, EPOLLOUT, on_fd, pc);
	return pc->lfd ? 0 : -ENOMEM;
}

static void on_resolved(struct addrinfo *ai, int err, void *arg)
{
	struct proxy_connect *pc = arg;
	int ret;

	pc->res = NULL;
	if (err) {
		failf(pc, -EHOSTUNREACH, "cannot resolve the name: %s",
		      resolve_strerror(err));
		return;
	}
	ret = connect_to(pc, ai);
	freeaddrinfo(ai);
	if (ret)
		failf(pc, ret, "cannot connect: %s", strerror(-ret));
}

static char *connect_request(const char *target, const char *bearer)
{
	char *s = NULL;

	if (asprintf(&s, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s%s%s"
		     "User-Agent: nmb\r\n\r\n", target, target,
		     bearer ? "Proxy-Authorization: Bearer " : "",
		     bearer ? bearer : "", bearer ? "\r\n" : "") < 0)
		return NULL;
	return s;
}

/* "host:port", bracketed for an IPv6 address. */
static void authority(char *buf, size_t size, const char *host,
		      unsigned int port)
{
	snprintf(buf, size, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
		 port);
}

struct proxy_connect *proxy_connect_open(struct loop *loop,
					 const struct proxy_connect_conf *c,
					 proxy_connect_cb cb, void *arg)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST };
	struct addrinfo *ai = NULL;
	struct proxy_connect *pc;
	const char *host = c->via ? c->via->host : c->host;
	unsigned int port = c->via ? c->via->port : c->port;
	char ps[8], hp[300];
	int ret;

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->loop = loop;
	pc->fd = -1;
	pc->cb = cb;
	pc->arg = arg;
	authority(hp, sizeof(hp), c->host, c->port);
	snprintf(pc->where, sizeof(pc->where), "%.20s %.270s",
		 c->what ? c->what : "peer", hp);
	if (c->via) {
		snprintf(pc->proxy, sizeof(pc->proxy), "proxy %.300s (%.20s)",
			 c->via->url, c->via->source ? c->via->source : "");
		pc->req_via = connect_request(hp, NULL);
		if (!pc->req_via)
			goto fail;
	}
	if (c->target) {
		pc->req_target = connect_request(c->target, c->bearer);
		if (!pc->req_target)
			goto fail;
	}
	pc->stage = VIA;
	next_request(pc);
	snprintf(ps, sizeof(ps), "%u", port);
	/* An address needs no resolver: connect at once. */
	if (!getaddrinfo(host, ps, &hints, &ai)) {
		ret = connect_to(pc, ai);
		freeaddrinfo(ai);
		if (ret) {
			errno = -ret;
			goto fail;
		}
		return pc;
	}
	hints.ai_flags = AI_NUMERICSERV;
	pc->res = resolve_start(loop, host, ps, &hints, on_resolved, pc);
	if (!pc->res)
		goto fail;
	return pc;
fail:
	ret = errno;
	pc_free(pc);
	errno = ret;
	return NULL;
}

struct proxy_connect *proxy_connect_adopt(struct loop *loop, int fd,
					  const struct proxy_connect_conf *c,
					  proxy_connect_cb cb, void *arg)
{
	struct proxy_connect *pc = calloc(1, sizeof(*pc));
	char hp[300];
	int ret;

	if (!pc) {
		close(fd);
		return NULL;
	}
	pc->loop = loop;
	pc->fd = fd;
	pc->cb = cb;
	pc->arg = arg;
	pc->connected = true;
	authority(hp, sizeof(hp), c->host, c->port);
	snprintf(pc->where, sizeof(pc->where), "%.20s %.270s",
		 c->what ? c->what : "peer", hp);
	if (!c->target) {
		errno = EINVAL;
		goto fail;
	}
	pc->req_target = connect_request(c->target, c->bearer);
	if (!pc->req_target)
		goto fail;
	pc->stage = TARGET;
	next_request(pc);
	pc->lfd = loop_fd_add(loop, fd, EPOLLOUT, on_fd, pc);
	if (!pc->lfd)
		goto fail;
	return pc;
fail:
	ret = errno;
	pc_free(pc);
	errno = ret;
	return NULL;
}

void proxy_connect_cancel(struct proxy_connect *pc)
{
	if (pc)
		pc_free(pc);
}

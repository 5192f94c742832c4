// SPDX-License-Identifier: GPL-2.0
/*
 * metrics_http.c - the /metrics listener of nmb-exporter and nmb-agent.
 * One request per connection: the head is parsed by lib/http (as the
 * CONNECT proxy does), GET or HEAD /metrics gets the rendered text, any
 * other path 404, any other method 405; then the connection closes. At
 * most MAX_CONNS connections at a time, each given TIMEOUT_MS.
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

#include "http.h"
#include "list.h"
#include "loop.h"
#include "metrics_http.h"
#include "prom.h"

#define MAX_CONNS	16
#define TIMEOUT_MS	5000
#define HEAD_MAX	4096

struct mconn {
	struct metrics_http *m;
	int fd;
	struct loop_fd *lfd;
	struct loop_timer *timer;
	char head[HEAD_MAX];
	size_t head_len;
	char *out;		/* the answer, once the head is read */
	size_t out_len, out_off;
	struct list_head node;	/* metrics_http.conns */
};

struct metrics_http {
	struct loop *loop;
	int fd;
	struct loop_fd *lfd;
	metrics_render_fn render;
	void *arg;
	struct list_head conns;
	unsigned int nconns;
};

static void mconn_free(struct mconn *c)
{
	list_del(&c->node);
	c->m->nconns--;
	loop_fd_del(c->lfd);
	loop_timer_free(c->timer);
	close(c->fd);
	free(c->out);
	free(c);
}

static void answer(struct mconn *c, int status, const char *ctype,
		   const char *body, size_t len, bool head_only)
{
	int n;

	c->out = malloc(256 + len);
	if (!c->out) {
		mconn_free(c);
		return;
	}
	n = snprintf(c->out, 256, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     status, status == 200 ? "OK" : status == 404 ?
		     "Not Found" : status == 405 ? "Method Not Allowed" :
		     "Bad Request", ctype, len);
	c->out_len = (size_t)n;
	if (!head_only) {
		memcpy(c->out + n, body, len);
		c->out_len += len;
	}
	loop_fd_mod(c->lfd, EPOLLOUT);
}

static void handle(struct mconn *c, const struct http_request *req)
{
	static const char text[] = "text/plain; charset=utf-8";
	bool head = !strcmp(req->method, "HEAD");
	const char *path = req->target;
	char *body;
	size_t len;

	if (strcmp(req->method, "GET") != 0 && !head)
		return answer(c, 405, text, "GET /metrics only\n", 18, false);
	if (strcmp(path, "/metrics") != 0 &&
	    strncmp(path, "/metrics?", 9) != 0)
		return answer(c, 404, text, "Not found: try /metrics\n", 24,
			      head);
	body = c->m->render(c->m->arg, &len);
	if (!body)
		return answer(c, 500, text, "out of memory\n", 14, head);
	answer(c, 200, PROM_CONTENT_TYPE, body, len, head);
	free(body);
}

static void conn_cb(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct mconn *c = arg;
	struct http_request req;
	ssize_t n;
	int err;

	(void)lfd;
	if (c->out) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			return mconn_free(c);
		c->out_off += (size_t)n;
		if (c->out_off == c->out_len)
			mconn_free(c);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN))
		return mconn_free(c);
	n = recv(c->fd, c->head + c->head_len, sizeof(c->head) - c->head_len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return mconn_free(c);
	c->head_len += (size_t)n;
	err = http_parse_head(c->head, c->head_len, &req);
	if (err == -EAGAIN && c->head_len < sizeof(c->head))
		return;
	if (err)
		return answer(c, 400, "text/plain; charset=utf-8",
			      "Bad request\n", 12, false);
	handle(c, &req);
}

static void conn_timeout(struct loop_timer *t, void *arg)
{
	(void)t;
	mconn_free(arg);
}

static void accept_cb(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct metrics_http *m = arg;
	struct mconn *c;
	int fd;

	(void)lfd;
	(void)events;
	fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (m->nconns >= MAX_CONNS) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->m = m;
	c->fd = fd;
	c->lfd = loop_fd_add(m->loop, fd, EPOLLIN, conn_cb, c);
	c->timer = loop_timer_new(m->loop, conn_timeout, c);
	list_add(&c->node, &m->conns);
	m->nconns++;
	if (!c->lfd || !c->timer) {
		mconn_free(c);
		return;
	}
	loop_timer_set(c->timer, TIMEOUT_MS);
}

static int parse_listen(const char *s, struct sockaddr_in6 *sa)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *colon = strrchr(s, ':');
	struct in_addr v4;
	char *end;
	long port;
	size_t hl;

	if (!colon)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)port);
	if (!hl)
		return 0;			/* in6addr_any */
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, &sa->sin6_addr) == 1 ?
		       0 : -EINVAL;
	}
	if (inet_pton(AF_INET, host, &v4) != 1)
		return -EINVAL;
	sa->sin6_addr.s6_addr[10] = 0xff;
	sa->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&sa->sin6_addr.s6_addr[12], &v4, 4);
	return 0;
}

int metrics_http_check(const char *s)
{
	struct sockaddr_in6 sa;

	return parse_listen(s, &sa);
}

int metrics_http_start(struct loop *loop, const char *listen_at,
		       metrics_render_fn render, void *arg,
		       struct metrics_http **out)
{
	struct sockaddr_in6 sa;
	struct metrics_http *m;
	int one = 1, zero = 0, err;

	if (parse_listen(listen_at, &sa))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->loop = loop;
	INIT_LIST_HEAD(&m->conns);
	m->render = render;
	m->arg = arg;
	m->fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (m->fd < 0) {
		err = -errno;
		free(m);
		return err;
	}
	setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(m->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(m->fd, 16)) {
		err = -errno;
		close(m->fd);
		free(m);
		return err;
	}
	m->lfd = loop_fd_add(loop, m->fd, EPOLLIN, accept_cb, m);
	if (!m->lfd) {
		close(m->fd);
		free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void metrics_http_stop(struct metrics_http *m)
{
	if (!m)
		return;
	while (!list_empty(&m->conns))
		mconn_free(list_first_entry(&m->conns, struct mconn, node));
	loop_fd_del(m->lfd);
	close(m->fd);
	free(m);
}

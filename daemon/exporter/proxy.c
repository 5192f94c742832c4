// SPDX-License-Identifier: GPL-2.0
/*
 * proxy.c - the HTTP CONNECT proxy of a place (wire note §6): v4 and v6
 * listeners, the allow-list checked before reading, the request head,
 * and the hand-over to a USB (usb.c) or TCP (tcp.c) tunnel.
 *
 * Who gets in (Documentation/protocol.rst, "Per-reservation secrets"):
 * when the grant carries a secret, a CONNECT with "Proxy-Authorization:
 * Bearer SECRET" whatever its source address (two agents behind one NAT
 * address are told apart; a relayed connection comes from the server),
 * and nothing else. When it has none (the holder is a not-my-board 0.13
 * agent), the holder's source IP, checked before reading as 0.13 does,
 * unless the place says ip_fallback: false. A credential that does not
 * match is refused in both cases.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conn.h"
#include "exporter.h"
#include "grant_secret.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "proxy.h"
#include "sockopt.h"
#include "tcp.h"
#include "usb.h"
#include "virtual.h"

#define USB_TARGET	"usb.not-my-board.localhost:3240"

int ip_normalise(const char *in, char *out, size_t size)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, in, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, (socklen_t)size) ? 0 : -EINVAL;
	if (inet_pton(AF_INET6, in, &a6) != 1)
		return -EINVAL;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], 4);
		return inet_ntop(AF_INET, &a4, out, (socklen_t)size) ? 0 : -EINVAL;
	}
	return inet_ntop(AF_INET6, &a6, out, (socklen_t)size) ? 0 : -EINVAL;
}

static bool ip_allowed(const struct place *p, const char *ip)
{
	size_t i;

	for (i = 0; i < p->n_allowed; i++)
		if (!strcmp(p->allowed[i], ip))
			return true;
	return false;
}

/* May a peer at ip be let in by its address alone under this grant? */
static bool allowed(const struct place *p, const char *ip)
{
	return !p->secret && p->ip_fallback && ip_allowed(p, ip);
}

/* Could a connection from ip still be let in (its head not yet read)? */
static bool may_enter(const struct place *p, const char *ip)
{
	return p->secret || allowed(p, ip);
}

/* Does the grant now in force still admit c? */
static bool still_admitted(const struct place *p, const struct conn *c)
{
	if (c->state == CONN_HEAD)
		return may_enter(p, c->peer);
	if (c->by_secret)
		return p->secret && c->grant_gen == p->grant_gen;
	return allowed(p, c->peer);
}

/* Best effort: a fresh socket takes a few hundred bytes. */
static void respond(struct conn *c, int status, const char *body)
{
	char buf[512];
	int n = http_response(buf, sizeof(buf), status, body);

	if (n > 0 && send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
		log_debug("place %s: peer %s: short write of the %d answer",
			  c->place->name, c->peer, status);
}

static void conn_free(struct conn *c)
{
	if (c->dev)
		usb_conn_gone(c, false);
	tcp_conn_gone(c);
	list_del(&c->node);
	loop_timer_free(c->deadline);
	loop_fd_del(c->lfd);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

static void reject(struct conn *c, int status, const char *body,
		   const char *why)
{
	log_warn("place %s: peer %s: %s; answered %d", c->place->name,
		 c->peer, why, status);
	exp_metrics_refused(c->place, status, body);
	respond(c, status, body);
	conn_free(c);
}

static struct tcp_if *find_tcp(const struct place *p,
				     const char *target)
{
	size_t i, j;

	for (i = 0; i < p->n_parts; i++)
		for (j = 0; j < p->parts[i].n_tcp; j++)
			if (p->parts[i].tcp[j].target &&
			    !strcmp(p->parts[i].tcp[j].target, target))
				return &p->parts[i].tcp[j];
	return NULL;
}

/*
 * Reads what the peer sent into buf: its length, or 0 when there is
 * nothing now, or when the peer closed (c is freed then, the log says
 * what it had not sent).
 */
static size_t recv_or_end(struct conn *c, void *buf, size_t size,
			  const char *closed)
{
	ssize_t n = recv(c->fd, buf, size, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		log_info("place %s: peer %s: %s", c->place->name, c->peer,
			 closed);
		conn_free(c);
		return 0;
	}
	return (size_t)n;
}

static void on_usb_req(struct conn *c)
{
	char busid[USBIP_BUSID_SIZE];
	struct usbdev *dev;
	size_t n;
	int err;

	n = recv_or_end(c, c->req + c->req_len, sizeof(c->req) - c->req_len,
			"USB tunnel closed before its request");
	if (!n)
		return;
	c->req_len += n;
	if (c->req_len < sizeof(c->req))
		return;
	err = usbip_parse_req_import(c->req, busid);
	if (err) {
		log_warn("place %s: peer %s: not an OP_REQ_IMPORT (version %02x%02x code %02x%02x); closed",
			 c->place->name, c->peer, c->req[0], c->req[1],
			 c->req[2], c->req[3]);
		conn_free(c);
		return;
	}
	dev = usb_find(c->place->exp, busid);
	if (!dev || dev->place != c->place) {
		log_warn("place %s: peer %s: import of busid '%s', which this place does not export; closed",
			 c->place->name, c->peer, log_esc(busid));
		conn_free(c);
		return;
	}
	loop_timer_cancel(c->deadline);
	usb_enqueue(dev, c);
}

/* Bytes or EOF from a client waiting for its device end the wait. */
static void on_usb_wait(struct conn *c)
{
	char b;
	ssize_t n = recv(c->fd, &b, 1, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	log_info("place %s: peer %s: %s while waiting for %s; closed",
		 c->place->name, c->peer, n > 0 ? "data" : "hang-up",
		 c->dev->busid);
	conn_free(c);
}

/*
 * Lets c in by the grant's secret or its address: 0, or 403 sent and c
 * freed. The secret itself is never logged.
 */
static int admit(struct conn *c, const struct http_request *req)
{
	const struct place *p = c->place;

	if (req->has_auth) {
		if (p->secret && grant_secret_equal(p->secret, req->bearer,
						    strlen(req->bearer))) {
			c->by_secret = true;
			c->grant_gen = p->grant_gen;
			return 0;
		}
		reject(c, 403, "Reservation secret not valid for this place",
		       p->secret ? "Proxy-Authorization does not carry this reservation's secret" :
				   "Proxy-Authorization sent, but this reservation has no secret");
		return -EACCES;
	}
	if (p->secret) {
		reject(c, 403, "Reservation secret required",
		       "no Proxy-Authorization, and this reservation has a secret");
		return -EACCES;
	}
	if (!allowed(p, c->peer)) {
		reject(c, 403, "IP not allowed", p->ip_fallback ?
		       "peer IP not in the allow-list" :
		       "no secret, and ip_fallback is off for this place");
		return -EACCES;
	}
	return 0;
}

static void dispatch(struct conn *c, struct http_request *req)
{
	struct tcp_if *t;
	size_t early = c->len - req->head_len;

	if (!req->is_connect) {
		reject(c, 405, "Only CONNECT is supported",
		       "method is not CONNECT");
		return;
	}
	if (admit(c, req))
		return;
	if (!req->target_long && !strcmp(req->target, USB_TARGET)) {
		if (early) {
			log_warn("place %s: peer %s: %zu byte(s) sent before the 200 on a USB tunnel; closed",
				 c->place->name, c->peer, early);
			conn_free(c);
			return;
		}
		sock_keepalive(c->fd, 5, 5, 3);	/* §7 exporter step 1 */
		respond(c, 200, NULL);
		c->state = CONN_USB_REQ;
		free(c->buf);
		c->buf = NULL;
		log_info("place %s: peer %s: USB tunnel open", c->place->name,
			 c->peer);
		return;
	}
	t = req->target_long ? NULL : find_tcp(c->place, req->target);
	if (!t) {
		reject(c, 403, "Target not allowed", "CONNECT to a target this place does not export");
		return;
	}
	loop_timer_cancel(c->deadline);
	respond(c, 200, NULL);
	if (early) {
		c->early = malloc(early);
		if (!c->early) {
			conn_free(c);
			return;
		}
		memcpy(c->early, c->buf + req->head_len, early);
		c->early_len = early;
	}
	free(c->buf);
	c->buf = NULL;
	tcp_start(c, t);
}

/* Did the bytes from "from" on bring the blank line that ends a head? */
static bool head_ended(const char *buf, size_t from, size_t len)
{
	from = from > 2 ? from - 2 : 0;
	return memmem(buf + from, len - from, "\n\n", 2) ||
	       memmem(buf + from, len - from, "\n\r\n", 3);
}

static void on_head(struct conn *c)
{
	struct http_request req;
	size_t from = c->len, n;
	int err;

	n = recv_or_end(c, c->buf + c->len, HTTP_HEAD_MAX + 1 - c->len,
			"closed before a complete request");
	if (!n)
		return;
	c->len += n;
	/* parse once the head is complete: a dripped head costs O(n) */
	if (!head_ended(c->buf, from, c->len) && c->len <= HTTP_HEAD_MAX)
		return;
	err = http_parse_head(c->buf, c->len, &req);
	if (err == -EAGAIN) {
		if (c->len > HTTP_HEAD_MAX)
			reject(c, 431, "Request header too large",
			       "request head over 16 KiB");
		return;
	}
	if (err) {
		reject(c, 400, req.error, req.error);
		return;
	}
	if (req.head_len > HTTP_HEAD_MAX) {
		reject(c, 431, "Request header too large",
		       "request head over 16 KiB");
		return;
	}
	dispatch(c, &req);
}

static void on_conn(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct conn *c = arg;

	(void)lfd;
	(void)events;
	switch (c->state) {
	case CONN_HEAD:
		on_head(c);
		break;
	case CONN_USB_REQ:
		on_usb_req(c);
		break;
	case CONN_USB_WAIT:
		on_usb_wait(c);
		break;
	default:
		break;
	}
}

static void request_timeout(struct loop_timer *t, void *arg)
{
	struct conn *c = arg;

	(void)t;
	if (c->state == CONN_HEAD) {
		reject(c, 408, "Request Timeout",
		       "no complete request head within 10 s");
		return;
	}
	log_warn("place %s: peer %s: no USB/IP import request within 10 s; closed",
		 c->place->name, c->peer);
	conn_free(c);
}

static void peer_name(const struct sockaddr_storage *ss, char *ip,
		      size_t size, uint16_t *port)
{
	char raw[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, raw, sizeof(raw));
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, raw, sizeof(raw));
		*port = ntohs(s6->sin6_port);
	}
	if (ip_normalise(raw, ip, size))
		snprintf(ip, size, "%s", raw);
}

/* A connected socket from peer becomes a connection of p's proxy. */
static void adopt(struct place *p, int fd, const char *peer, uint16_t port)
{
	struct conn *c;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	sock_nodelay(fd);
	c->place = p;
	c->fd = fd;
	c->tfd = -1;
	c->end = conn_free;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->peer_port = port;
	list_add_tail(&c->node, &p->conns);
	/* without a secret to read, an unknown address is refused unread */
	if (!may_enter(p, c->peer)) {
		reject(c, 403, "IP not allowed", p->ip_fallback ?
		       "peer IP not in the allow-list" :
		       "place has no secret grant, and ip_fallback is off");
		return;
	}
	c->buf = malloc(HTTP_HEAD_MAX + 1);
	c->lfd = loop_fd_add(p->exp->loop, fd, EPOLLIN, on_conn, c);
	c->deadline = loop_timer_new(p->exp->loop, request_timeout, c);
	if (!c->buf || !c->lfd || !c->deadline) {
		log_err("place %s: peer %s: out of memory", p->name, c->peer);
		conn_free(c);
		return;
	}
	loop_timer_set(c->deadline, PROXY_REQUEST_TIMEOUT_MS);
	log_debug("place %s: peer %s: connection from port %u", p->name,
		  c->peer, c->peer_port);
}

void proxy_adopt(struct place *p, int fd, const char *peer)
{
	adopt(p, fd, peer, 0);
}

static void on_accept(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct place *p = arg;
	struct sockaddr_storage ss;
	char peer[INET6_ADDRSTRLEN];
	socklen_t sl = sizeof(ss);
	uint16_t port = 0;
	int fd;

	(void)events;
	fd = accept4(loop_fd_fd(lfd), (struct sockaddr *)&ss, &sl,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		log_warn("place %s: accept on port %u: %s; pausing new connections for 1 s",
			 p->name, p->port, strerror(errno));
		/* the pending connection keeps the socket readable */
		loop_fd_mod(p->lfd[0], 0);
		if (p->lfd[1])
			loop_fd_mod(p->lfd[1], 0);
		loop_timer_set(p->accept_pause, 1000);
		return;
	}
	peer_name(&ss, peer, sizeof(peer), &port);
	adopt(p, fd, peer, port);
}

static void accept_again(struct loop_timer *t, void *arg)
{
	struct place *p = arg;
	int i;

	(void)t;
	for (i = 0; i < 2; i++)
		if (p->lfd[i])
			loop_fd_mod(p->lfd[i], EPOLLIN);
}

static int listen_on(struct place *p, int family)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int one = 1, fd;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p->port);
		s6->sin6_addr = in6addr_any;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p->port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		sl = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int proxy_start(struct place *p)
{
	static const int families[2] = { AF_INET, AF_INET6 };
	int i, fd;

	INIT_LIST_HEAD(&p->conns);
	p->lfd_fd[0] = p->lfd_fd[1] = -1;
	if (p->dial_out) {	/* its connections come from dial_out.c */
		log_info("place %s: dial-out: no listening port; agents come through the server's relay",
			 p->name);
		return 0;
	}
	p->accept_pause = loop_timer_new(p->exp->loop, accept_again, p);
	if (!p->accept_pause)
		return -ENOMEM;
	for (i = 0; i < 2; i++) {
		fd = listen_on(p, families[i]);
		if (fd == -EAFNOSUPPORT && families[i] == AF_INET6) {
			log_notice("place %s: no IPv6 here; port %u on IPv4 only",
				   p->name, p->port);
			continue;
		}
		if (fd < 0) {
			log_err("place %s: cannot listen on port %u (%s): %s%s",
				p->name, p->port, i ? "IPv6" : "IPv4",
				strerror(-fd), fd == -EADDRINUSE ?
				"; is another exporter running?" : "");
			proxy_stop(p);
			return fd;
		}
		p->lfd_fd[i] = fd;
		p->lfd[i] = loop_fd_add(p->exp->loop, fd, EPOLLIN, on_accept, p);
		if (!p->lfd[i]) {
			proxy_stop(p);
			return -ENOMEM;
		}
	}
	log_info("place %s: CONNECT proxy on port %u", p->name, p->port);
	return 0;
}

void proxy_stop(struct place *p)
{
	int i;

	while (p->conns.next && !list_empty(&p->conns))
		conn_free(list_first_entry(&p->conns, struct conn, node));
	loop_timer_free(p->accept_pause);
	p->accept_pause = NULL;
	for (i = 0; i < 2; i++) {
		loop_fd_del(p->lfd[i]);
		p->lfd[i] = NULL;
		if (p->lfd_fd[i] >= 0)
			close(p->lfd_fd[i]);
		p->lfd_fd[i] = -1;
	}
}

static void secret_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* Cuts every connection the grant now in force does not admit. */
static void cut_unadmitted(struct place *p)
{
	struct conn *c, *next;

	if (!p->conns.next)
		return;		/* the proxy never started */
	list_for_each_entry_safe(c, next, &p->conns, node) {
		if (still_admitted(p, c) || c->killed)
			continue;
		log_notice("place %s: peer %s: no longer allowed; tunnel cut",
			   p->name, c->peer);
		if (c->state == CONN_USB_EXPORTED)
			usb_conn_gone(c, true);
		else
			conn_free(c);
	}
}

void proxy_set_allowed(struct place *p, char **ips, size_t n,
		       const char *secret)
{
	char **old = p->allowed;
	size_t i, n_old = p->n_allowed;

	if (!secret || !p->secret || strcmp(secret, p->secret) != 0) {
		secret_free(p->secret);
		p->secret = secret ? strdup(secret) : NULL;
		p->grant_gen++;
		if (secret && !p->secret) {	/* admit nobody, not by IP */
			log_err("place %s: out of memory keeping the reservation's secret; refusing every CONNECT until the next grant",
				p->name);
			for (i = 0; i < n; i++)
				free(ips[i]);
			free(ips);
			ips = NULL;
			n = 0;
		}
	}
	if (n)		/* a holder: its first export is no re-export */
		exp_metrics_allowed(p);
	p->allowed = ips;
	p->n_allowed = n;
	virtual_holders_changed(p, old, n_old);
	for (i = 0; i < n_old; i++)
		free(old[i]);
	free(old);
	cut_unadmitted(p);
}

void proxy_set_ip_fallback(struct place *p, bool on)
{
	if (p->ip_fallback == on)
		return;
	p->ip_fallback = on;
	log_notice("place %s: ip_fallback %s", p->name, on ? "on" : "off");
	cut_unadmitted(p);
}

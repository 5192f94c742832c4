// SPDX-License-Identifier: GPL-2.0
/*
 * dial_out.c - a dial-out place (dial_out: true) listens nowhere. When
 * an authorised agent sends its CONNECT to the server's relay, the
 * server calls relay_open(relay_id, place_id, ip, port) over the place's
 * WebSocket; we connect to that port at the address the WebSocket is
 * connected to, send the hello naming the id (lib/relay_hello), and
 * hand the socket to the place's proxy (proxy_adopt) as if the agent at
 * ip had connected: the server forwards its CONNECT next, and the proxy
 * answers it and runs the USB or TCP tunnel over this socket as it does
 * for a direct one. The allow-list applies as always, so a reservation
 * returned cuts relayed tunnels too. Documentation/protocol.rst,
 * "Dial-out places".
 *
 * With tls: true in relay_open, the connection first runs a TLS 1.2
 * handshake (lib/tls_relay), verifying the server's certificate with the
 * CA of the WebSocket against its URL's host; the hello then goes inside
 * TLS. With kernel TLS the socket itself goes to the proxy (and on to
 * usbip-host); without it, a user-space pump's socketpair end does, and
 * the pump lives in place->tls_pumps until both ways ended.
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

#include "dial_out.h"
#include "exporter.h"
#include "hub_client.h"
#include "jsonrpc.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "protocol.h"
#include "proxy.h"
#include "proxy_connect.h"
#include "proxy_env.h"
#include "relay_hello.h"
#include "tls_pump.h"
#include "tls_relay.h"
#include "url.h"

struct dial {
	struct list_head node;		/* place->dials */
	struct place *p;
	int fd;
	struct loop_fd *lfd;
	struct loop_timer *timer;
	char ip[INET6_ADDRSTRLEN];	/* the agent, as the server saw it */
	char to[2 * URL_HOST_MAX + 48];	/* the relay, for logs */
	char hello[RELAY_HELLO_MAX];
	int hello_len;
	struct proxy_connect *pc;	/* through an outbound HTTP proxy */
	bool tls;			/* relay_open asked for TLS */
	struct tls_handshake *hs;
};

/* A user-space TLS pump of a data connection handed to the proxy. */
struct dial_pump {
	struct list_head node;		/* place->tls_pumps */
	struct tls_pump *tp;
};

static void dial_free(struct dial *d, bool close_fd)
{
	list_del(&d->node);
	if (d->pc)
		proxy_connect_cancel(d->pc);
	tls_handshake_cancel(d->hs);
	loop_timer_free(d->timer);
	loop_fd_del(d->lfd);
	if (close_fd && d->fd >= 0)
		close(d->fd);
	free(d);
}

static void send_hello(struct dial *d, int fd);
static void start_tls(struct dial *d, int fd);

/* Connected (directly or through the proxy): TLS first, or the hello. */
static void connected(struct dial *d, int fd)
{
	if (d->tls)
		start_tls(d, fd);
	else
		send_hello(d, fd);
}

static void on_connected(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct dial *d = arg;
	struct place *p = d->p;
	socklen_t sl = sizeof(int);
	int err = 0, fd = d->fd;

	(void)lfd;
	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err == EINPROGRESS)
		return;
	if (err) {
		log_warn("place %s: relay data connection to %s failed: %s; can this machine reach the server's relay port?",
			 p->name, d->to, strerror(err));
		dial_free(d, true);
		return;
	}
	loop_fd_del(d->lfd);	/* the handshake or the proxy watches it */
	d->lfd = NULL;
	connected(d, fd);
}

static void pump_free(struct dial_pump *dp)
{
	list_del(&dp->node);
	tls_pump_free(dp->tp);
	free(dp);
}

static void pump_done(struct tls_pump *tp, int err, void *arg)
{
	(void)tp;
	(void)err;
	pump_free(arg);
}

static void tls_done(void *arg, const struct tls_result *r)
{
	struct dial *d = arg;
	struct place *p = d->p;
	struct dial_pump *dp;

	d->hs = NULL;
	if (r->err) {
		log_warn("place %s: relay data connection to %s: %s; closed. Does tls.ca_file hold the CA of the server's certificate?",
			 p->name, d->to, r->msg);
		dial_free(d, true);
		return;
	}
	if (r->pump) {
		dp = calloc(1, sizeof(*dp));
		if (!dp) {
			tls_pump_free(r->pump);
			close(r->fd);
			d->fd = -1;
			dial_free(d, false);
			return;
		}
		dp->tp = r->pump;
		list_add_tail(&dp->node, &p->tls_pumps);
		tls_pump_on_done(r->pump, pump_done, dp);
	}
	log_info("place %s: relay data connection to %s: TLS 1.2, %s", p->name,
		 d->to, r->path == TLS_PATH_KTLS ? "kernel TLS both ways" :
		 "user-space TLS, the slower path (kernel TLS not available: is the tls module loaded?)");
	send_hello(d, r->fd);
}

/* The CA of the WebSocket, the host of the server's URL. */
static void start_tls(struct dial *d, int fd)
{
	struct place *p = d->p;
	const char *why = NULL;
	char err[256];
	struct url u;

	d->fd = fd;
	if (!p->relay_tls)
		p->relay_tls = tls_relay_client_ctx(p->exp->cfg.ca_file,
						    p->exp->cfg.tls_verify,
						    err, sizeof(err));
	if (!p->relay_tls) {
		log_warn("place %s: relay data connection to %s: %s",
			 p->name, d->to, err);
		dial_free(d, true);
		return;
	}
	if (url_parse(p->exp->cfg.server, &u, &why)) {
		log_warn("place %s: relay data connection: server URL: %s",
			 p->name, why);
		dial_free(d, true);
		return;
	}
	d->hs = tls_handshake_start(p->exp->loop, p->relay_tls, fd, u.host,
				    tls_done, d);
	if (!d->hs) {
		log_warn("place %s: relay data connection to %s: cannot start TLS: %s",
			 p->name, d->to, strerror(errno));
		dial_free(d, true);
	}
}

/* Connected to the relay port (directly or through the proxy): hello. */
static void send_hello(struct dial *d, int fd)
{
	struct place *p = d->p;
	char ip[INET6_ADDRSTRLEN];
	ssize_t n;

	d->fd = fd;	/* closed with d on failure */
	/* a fresh socket's buffer takes the few bytes whole */
	n = send(fd, d->hello, (size_t)d->hello_len, MSG_NOSIGNAL);
	if (n != d->hello_len) {
		log_warn("place %s: relay data connection to %s: cannot send its hello: %s",
			 p->name, d->to, n < 0 ? strerror(errno) : "short write");
		dial_free(d, true);
		return;
	}
	log_info("place %s: relay data connection to %s up for peer %s",
		 p->name, d->to, d->ip);
	snprintf(ip, sizeof(ip), "%s", d->ip);
	d->fd = -1;
	dial_free(d, false);
	proxy_adopt(p, fd, ip);
}

static void on_proxied(void *arg, int err, const char *msg, int fd,
		       const char *early, size_t early_len)
{
	struct dial *d = arg;

	(void)early;
	d->pc = NULL;
	if (err) {
		log_warn("place %s: relay data connection to %s: %s",
			 d->p->name, d->to, msg);
		dial_free(d, true);
		return;
	}
	if (early_len) {	/* the relay speaks only after the hello */
		log_warn("place %s: relay data connection to %s: unexpected bytes from the proxy; closed",
			 d->p->name, d->to);
		d->fd = fd;
		dial_free(d, true);
		return;
	}
	connected(d, fd);
}

/*
 * Through the outbound HTTP proxy the hub connection uses: CONNECT to
 * the server's host (by name, as in its URL) and the relay port.
 */
static int dial_via_proxy(struct dial *d, const struct proxy_route *via,
			  unsigned int port)
{
	struct place *p = d->p;
	struct proxy_connect_conf c = { .port = port, .via = via,
					.what = "relay" };
	struct url u;
	const char *why;

	if (url_parse(p->exp->cfg.server, &u, &why))
		return -EINVAL;
	c.host = u.host;
	snprintf(d->to, sizeof(d->to), "%s:%u via %s", u.host, port,
		 via->url);
	d->pc = proxy_connect_open(p->exp->loop, &c, on_proxied, d);
	return d->pc ? 0 : -errno;
}

static void dial_timeout(struct loop_timer *t, void *arg)
{
	struct dial *d = arg;

	(void)t;
	log_warn("place %s: relay data connection to %s not up within %d s; is the server's relay port reachable from here?",
		 d->p->name, d->to, DIAL_OUT_CONNECT_MS / 1000);
	dial_free(d, true);
}

/* The server's address as the WebSocket reached it, with port. */
static int relay_addr(struct place *p, unsigned int port,
		      struct sockaddr_storage *ss, socklen_t *sl, char *to,
		      size_t tolen)
{
	struct sockaddr_in6 *s6 = (void *)ss;
	struct sockaddr_in *s4 = (void *)ss;
	char raw[INET6_ADDRSTRLEN + 8], ip[INET6_ADDRSTRLEN];

	if (!p->hub || hub_client_peer(p->hub, raw, sizeof(raw)) ||
	    ip_normalise(raw, ip, sizeof(ip)))
		return -ENOTCONN;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*s4);
		snprintf(to, tolen, "%s:%u", ip, port);
	} else {
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*s6);
		snprintf(to, tolen, "[%s]:%u", ip, port);
	}
	return 0;
}

/* 0, or -errno with *why for the server. */
static int dial(struct place *p, const char *id, const char *ip,
		unsigned int port, bool tls, const char **why)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct dial *d;
	size_t pending = 0;

	list_for_each_entry(d, &p->dials, node)
		pending++;
	if (pending >= DIAL_OUT_MAX_PENDING) {
		*why = "too many data connections still connecting";
		return -EBUSY;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		*why = "out of memory";
		return -ENOMEM;
	}
	d->p = p;
	d->fd = -1;
	d->tls = tls;
	list_add_tail(&d->node, &p->dials);
	snprintf(d->ip, sizeof(d->ip), "%s", ip);
	d->hello_len = relay_hello_format(d->hello, sizeof(d->hello), id);
	if (p->hub && hub_client_proxy(p->hub)) {
		d->timer = loop_timer_new(p->exp->loop, dial_timeout, d);
		if (!d->timer || d->hello_len <= 0 ||
		    dial_via_proxy(d, hub_client_proxy(p->hub), port)) {
			*why = "cannot connect to the relay port through the proxy";
			dial_free(d, true);
			return -ENOMEM;
		}
		loop_timer_set(d->timer, DIAL_OUT_CONNECT_MS);
		return 0;
	}
	if (relay_addr(p, port, &ss, &sl, d->to, sizeof(d->to))) {
		*why = "not connected to the server";
		dial_free(d, true);
		return -ENOTCONN;
	}
	d->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (d->fd < 0 || (connect(d->fd, (struct sockaddr *)&ss, sl) < 0 &&
			  errno != EINPROGRESS)) {
		int err = -errno;

		log_warn("place %s: relay data connection to %s: %s",
			 p->name, d->to, strerror(-err));
		*why = "cannot connect to the relay port";
		dial_free(d, true);
		return err;
	}
	d->lfd = loop_fd_add(p->exp->loop, d->fd, EPOLLOUT, on_connected, d);
	d->timer = loop_timer_new(p->exp->loop, dial_timeout, d);
	if (!d->lfd || !d->timer || d->hello_len <= 0) {
		*why = "out of memory";
		dial_free(d, true);
		return -ENOMEM;
	}
	loop_timer_set(d->timer, DIAL_OUT_CONNECT_MS);
	return 0;
}

void dial_out_open(struct rpc_req *req, json_object *params, void *ctx)
{
	static const char *const names[] = {
		WIRE_RELAY_OPEN_ID, WIRE_RELAY_OPEN_PLACE, WIRE_RELAY_OPEN_IP,
		WIRE_RELAY_OPEN_PORT, WIRE_RELAY_OPEN_TLS, NULL
	};
	struct place *p = hub_client_arg(ctx);
	char err[160], ip[INET6_ADDRSTRLEN];
	const char *why = NULL;
	json_object *a[5];
	int64_t port;

	if (rpc_args(params, names, 4, a, err, sizeof(err)))
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	if (!p->dial_out)
		return rpc_errorf(req, RPC_INTERNAL_ERROR,
				  "place %s is not dial_out", p->name);
	if (!json_object_is_type(a[0], json_type_string) ||
	    !relay_id_valid(json_object_get_string(a[0])))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "relay_id: expected 32 lower-case hex digits");
	if (!json_object_is_type(a[1], json_type_int) ||
	    (p->place_id && json_object_get_int64(a[1]) != p->place_id))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "place_id: not this connection's place");
	if (!json_object_is_type(a[2], json_type_string) ||
	    ip_normalise(json_object_get_string(a[2]), ip, sizeof(ip)))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "ip: expected an IP address");
	port = json_object_get_int64(a[3]);
	if (!json_object_is_type(a[3], json_type_int) || port < 1 ||
	    port > 65535)
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "port: expected 1 to 65535");
	if (a[4] && !json_object_is_type(a[4], json_type_boolean))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "tls: expected true or false");
	if (dial(p, json_object_get_string(a[0]), ip, (unsigned int)port,
		 a[4] && json_object_get_boolean(a[4]), &why))
		return rpc_errorf(req, RPC_INTERNAL_ERROR, "place %s: %s",
				  p->name, why);
	rpc_reply(req, NULL);
}

void dial_out_start(struct place *p)
{
	char err[256];

	INIT_LIST_HEAD(&p->dials);
	INIT_LIST_HEAD(&p->tls_pumps);
	/*
	 * OpenSSL's first context loads its algorithms: seconds on a slow
	 * machine, which must not eat the agent's 5 s wait at the first
	 * relay_open. Failing here is retried then, and logged there.
	 */
	if (p->dial_out && !p->relay_tls)
		p->relay_tls = tls_relay_client_ctx(p->exp->cfg.ca_file,
						    p->exp->cfg.tls_verify,
						    err, sizeof(err));
}

void dial_out_stop(struct place *p)
{
	if (!p->dials.next)
		return;		/* never started */
	while (!list_empty(&p->dials))
		dial_free(list_first_entry(&p->dials, struct dial, node),
			  true);
	while (!list_empty(&p->tls_pumps))
		pump_free(list_first_entry(&p->tls_pumps, struct dial_pump,
					   node));
	SSL_CTX_free(p->relay_tls);
	p->relay_tls = NULL;
}

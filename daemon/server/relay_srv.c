// SPDX-License-Identifier: GPL-2.0
/*
 * relay_srv.c - the relay of dial-out places (relay_srv.h).
 *
 *   agent --CONNECT--> place port ----+
 *                                     |  relay_auth.c: 403 or on
 *   server --relay_open(id)--> exporter's WebSocket
 *   exporter --"NMB-RELAY /id"--> relay port
 *                                     |  the CONNECT bytes forwarded,
 *                                     v  then splice(2) both ways
 *
 * Each dial-out place has a listening port of its own (relay.ports), so
 * an agent that knows nothing of the relay (not-my-board 0.13) finds it
 * by host and port as it finds any exporter. Ids are 128 random bits,
 * used once, valid while the agent waits (SRV_RELAY_WAIT_MS). Until a
 * connection is joined it is "half-open" and counts against the limits
 * per source IP and in all (relay.max_half_open_per_ip, max_half_open):
 * over them a new connection is closed at once, so a flood costs one
 * accept() and close() per connection.
 *
 * TLS (relay.tls, nmb-server.rst): a connection whose first byte is a
 * TLS handshake record gets a handshake with the server's certificate
 * while it is still half-open (the head timeout and the limits cover
 * it), then kernel TLS both ways, so that the splice below runs between
 * kTLS sockets unchanged; where the kernel cannot, a user-space pump
 * (lib/tls_pump) sits behind a socketpair. Plain connections stay
 * accepted (not-my-board 0.13 agents) unless relay.tls is required.
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

#include "clock.h"
#include "../../lib/http.h"	/* daemon/server/http.h is the routes */
#include "jsonrpc.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "prom.h"
#include "conn_addr.h"
#include "protocol.h"
#include "relay.h"
#include "relay_auth.h"
#include "relay_srv.h"
#include "relay_hello.h"
#include "scheduler.h"
#include "server.h"
#include "sockopt.h"
#include "tls_pump.h"
#include "tls_relay.h"

#define DEFAULT_PLACE_PORTS	64
#define DEFAULT_PER_IP		16
#define DEFAULT_HALF_OPEN	256
#define ACCEPT_BURST		64
#define FLOOD_LOG_MS		10000
#define LINGER_MS		5000	/* a user-space TLS pump's last bytes */

/* How an agent's connection to the relay ended, for /metrics. */
enum relay_outcome {
	RELAY_JOINED, RELAY_REFUSED, RELAY_EXPORTER_FAILED, RELAY_TIMEOUT,
	RELAY_DROPPED, RELAY_OUTCOMES
};

static const char *const outcome_names[RELAY_OUTCOMES] = {
	"joined", "refused", "exporter_failed", "timeout", "dropped",
};

struct srv_relay {
	struct server *srv;
	char *addr;			/* NULL: every address */
	unsigned int port;		/* data connections */
	unsigned int first, last;	/* place ports */
	int fd;
	struct loop_fd *lfd;
	struct list_head ports;		/* struct rport */
	struct list_head links;		/* struct rlink: agents */
	struct list_head datas;		/* struct rdata: hellos */
	struct list_head lingering;	/* struct lingering_pump */
	uint64_t flood_logged_ms;
	unsigned long flood_dropped;
	uint64_t outcomes[RELAY_OUTCOMES];	/* /metrics */
	uint64_t bytes;			/* relayed connections that ended */
	SSL_CTX *tls;			/* NULL: TLS off */
	uint64_t plain, tls_paths[TLS_PATHS], tls_failed;	/* /metrics */
};

struct rport {
	struct list_head node;
	struct srv_relay *rl;
	unsigned int place_id;
	unsigned int port;
	int fd;
	struct loop_fd *lfd;
};

enum link_state { LINK_HEAD, LINK_WAIT, LINK_JOINED };

/* An agent's connection to a place port. */
struct rlink {
	struct list_head node;
	struct srv_relay *rl;
	unsigned int place_id;
	char place[72];			/* for logs */
	char ip[INET6_ADDRSTRLEN];
	enum link_state state;
	int fd;
	struct loop_fd *lfd;
	struct loop_timer *timer;
	char *buf;			/* the head and what came with it */
	size_t len;
	char id[RELAY_ID_LEN + 1];	/* "" unless waiting */
	struct rpc_call *call;		/* relay_open */
	struct relay *pipe;		/* joined */
	uint64_t t0_ms;
	bool checked;			/* TLS or plain decided */
	struct tls_handshake *hs;
	struct tls_pump *pump;		/* user-space TLS to the agent */
	struct tls_pump *data_pump;	/* ... to the exporter, once joined */
};

/* An exporter's data connection until its hello names a waiting link. */
struct rdata {
	struct list_head node;
	struct srv_relay *rl;
	char ip[INET6_ADDRSTRLEN];
	int fd;
	struct loop_fd *lfd;
	struct loop_timer *timer;
	char buf[RELAY_HELLO_MAX];
	size_t len;
	bool checked;
	struct tls_handshake *hs;
	struct tls_pump *pump;
};

/* --- sockets ------------------------------------------------------------ */

static void peer_ip(const struct sockaddr_storage *ss, char *ip, size_t len)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	snprintf(ip, len, "unknown");
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)len);
	else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip,
			  (socklen_t)len);
	else
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)len);
}

/* A listening socket on addr (NULL: dual-stack, else v4 only) : port. */
static int listen_tcp(const char *addr, unsigned int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s6 = (void *)&ss;
	struct sockaddr_in *s4 = (void *)&ss;
	int one = 1, zero = 0, fd, family = AF_INET6;
	socklen_t sl = sizeof(*s6);

	if (addr && !strchr(addr, ':')) {
		family = AF_INET;
		sl = sizeof(*s4);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return -EINVAL;
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_any;
		if (addr && inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return -EINVAL;
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && !addr) {
		/* no IPv6 here: IPv4 only */
		family = AF_INET;
		memset(&ss, 0, sizeof(ss));
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
		fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
	}
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 512) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Best effort: a fresh socket takes a few hundred bytes. */
static void respond(int fd, int status, const char *body)
{
	char buf[512];
	int n = http_response(buf, sizeof(buf), status, body);

	if (n > 0)
		(void)!send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

/* --- TLS or plain ------------------------------------------------------- */

enum first_byte { FIRST_WAIT, FIRST_PLAIN, FIRST_TLS };

/* Peeks at the first byte: a TLS handshake record, or anything else. */
static enum first_byte first_byte(int fd)
{
	unsigned char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return FIRST_WAIT;
	/* EOF and errors too: the plain path reports them */
	return n == 1 && c == TLS_RECORD_HANDSHAKE ? FIRST_TLS : FIRST_PLAIN;
}

static bool tls_required(const struct srv_relay *rl)
{
	return rl->tls && rl->srv->cfg->relay.tls == RELAY_TLS_REQUIRED;
}

static const char *path_words(const struct tls_result *r)
{
	return r->path == TLS_PATH_KTLS ? "kernel TLS both ways" :
	       "user-space TLS (the kernel cannot take this connection's TLS: is the tls module loaded?)";
}

/*
 * A user-space TLS pump whose plain end was closed still holds the last
 * bytes (a refusal, the tail of a relayed connection) and the
 * close_notify: it runs on until it has passed them on, or LINGER_MS.
 */
struct lingering_pump {
	struct list_head node;		/* rl->lingering */
	struct tls_pump *tp;
	struct loop_timer *timer;
};

static void linger_free(struct lingering_pump *g)
{
	list_del(&g->node);
	loop_timer_free(g->timer);
	tls_pump_free(g->tp);
	free(g);
}

static void linger_done(struct tls_pump *tp, int err, void *arg)
{
	(void)tp;
	(void)err;
	linger_free(arg);
}

static void linger_timeout(struct loop_timer *t, void *arg)
{
	(void)t;
	linger_free(arg);
}

static void linger(struct srv_relay *rl, struct tls_pump *tp)
{
	struct lingering_pump *g;

	if (!tp)
		return;
	g = calloc(1, sizeof(*g));
	if (g)
		g->timer = loop_timer_new(rl->srv->loop, linger_timeout, g);
	if (!g || !g->timer || !tls_pump_on_done(tp, linger_done, g)) {
		if (g)
			loop_timer_free(g->timer);
		free(g);
		tls_pump_free(tp);
		return;
	}
	g->tp = tp;
	list_add_tail(&g->node, &rl->lingering);
	loop_timer_set(g->timer, LINGER_MS);
}

/* --- limits -------------------------------------------------------------- */

static unsigned int per_ip(const struct server *srv)
{
	return srv->cfg->relay.half_open_per_ip ?
	       srv->cfg->relay.half_open_per_ip : DEFAULT_PER_IP;
}

static unsigned int in_all(const struct server *srv)
{
	return srv->cfg->relay.half_open ? srv->cfg->relay.half_open :
	       DEFAULT_HALF_OPEN;
}

/* May one more half-open connection from ip be kept? */
static bool room_for(struct srv_relay *rl, const char *ip)
{
	unsigned int all = 0, mine = 0;
	struct rlink *l;
	struct rdata *d;

	list_for_each_entry(l, &rl->links, node) {
		if (l->state == LINK_JOINED)
			continue;
		all++;
		mine += !strcmp(l->ip, ip);
	}
	list_for_each_entry(d, &rl->datas, node) {
		all++;
		mine += !strcmp(d->ip, ip);
	}
	if (mine < per_ip(rl->srv) && all < in_all(rl->srv))
		return true;
	rl->flood_dropped++;
	rl->outcomes[RELAY_DROPPED]++;
	if (srv_now_us() / 1000 - rl->flood_logged_ms >= FLOOD_LOG_MS ||
	    !rl->flood_logged_ms) {
		rl->flood_logged_ms = srv_now_us() / 1000;
		log_warn("relay: connection from %s closed at once: %u half-open from it (limit %u), %u in all (limit %u); %lu dropped so far. Raise relay.max_half_open_per_ip / max_half_open if this is not a flood",
			 ip, mine, per_ip(rl->srv), all, in_all(rl->srv),
			 rl->flood_dropped);
	}
	return false;
}

/* --- an agent's connection ---------------------------------------------- */

static void link_free(struct rlink *l)
{
	list_del(&l->node);
	if (l->call)
		rpc_call_cancel(l->call);
	tls_handshake_cancel(l->hs);
	loop_timer_free(l->timer);
	loop_fd_del(l->lfd);
	if (l->pipe)
		relay_free(l->pipe);	/* closes both sockets */
	else if (l->fd >= 0)
		close(l->fd);
	linger(l->rl, l->pump);		/* after its plain end closed */
	linger(l->rl, l->data_pump);
	free(l->buf);
	free(l);
}

static void link_refuse(struct rlink *l, int status, const char *body,
			const char *why)
{
	log_warn("relay: place %s: peer %s: %s; answered %d", l->place, l->ip,
		 why, status);
	l->rl->outcomes[status >= 500 ? RELAY_EXPORTER_FAILED :
			RELAY_REFUSED]++;
	respond(l->fd, status, body);
	link_free(l);
}

static void joined_done(struct relay *r, int err, void *arg)
{
	struct rlink *l = arg;

	l->rl->bytes += relay_bytes(r, 0) + relay_bytes(r, 1);
	log_info("relay: place %s: peer %s: relayed connection ended%s%s after %llu bytes to the exporter, %llu back",
		 l->place, l->ip, err ? ": " : "", err ? strerror(-err) : "",
		 (unsigned long long)relay_bytes(r, 0),
		 (unsigned long long)relay_bytes(r, 1));
	link_free(l);
}

static void open_done(void *data, json_object *result,
		      const struct rpc_err *err)
{
	struct rlink *l = data;

	(void)result;
	l->call = NULL;
	if (!err || l->state != LINK_WAIT)
		return;
	if (err->code == RPC_CONNECTION_CLOSED)
		link_refuse(l, 502, "Exporter disconnected",
			    "the exporter disconnected before its data connection");
	else if (err->code == RPC_METHOD_NOT_FOUND)
		link_refuse(l, 502, "Exporter cannot dial out",
			    "the exporter does not know relay_open; is it an nmb-exporter with dial_out: true?");
	else {
		log_warn("relay: place %s: the exporter refused relay_open: %s",
			 l->place, log_esc(err->message));
		link_refuse(l, 502, "Exporter refused the relay",
			    "the exporter refused relay_open");
	}
}

/* The head is complete and authorised: ask the exporter to dial in. */
static void ask_exporter(struct rlink *l, struct srv_place *p)
{
	struct srv_conn *c = p->exporter ? p->exporter->conn : NULL;
	json_object *params;
	bool tls;

	if (!c || c->closing) {
		link_refuse(l, 503, "Exporter not connected",
			    "the place's exporter is not connected now");
		return;
	}
	/* an exporter that did not say it can (hello) dials in the clear */
	tls = l->rl->tls && p->exporter->relay_tls;
	if (!tls && tls_required(l->rl)) {
		link_refuse(l, 502, "Exporter cannot use TLS",
			    "relay.tls is required, but the place's exporter cannot run TLS on data connections (its hello lacks the feature relay_tls); upgrade that nmb-exporter or set relay.tls: auto");
		return;
	}
	if (relay_id_new(l->id)) {
		link_refuse(l, 500, "No random numbers", "getrandom failed");
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, WIRE_RELAY_OPEN_ID,
			       json_object_new_string(l->id));
	json_object_object_add(params, WIRE_RELAY_OPEN_PLACE,
			       json_object_new_int((int32_t)p->id));
	json_object_object_add(params, WIRE_RELAY_OPEN_IP,
			       json_object_new_string(l->ip));
	json_object_object_add(params, WIRE_RELAY_OPEN_PORT,
			       json_object_new_int((int32_t)l->rl->port));
	if (tls)
		json_object_object_add(params, WIRE_RELAY_OPEN_TLS,
				       json_object_new_boolean(1));
	l->state = LINK_WAIT;
	l->call = rpc_call(c->rpc, WIRE_RELAY_OPEN, params, open_done, l);
	if (!l->call) {
		link_refuse(l, 503, "Exporter not connected",
			    "cannot send relay_open to the exporter");
		return;
	}
	/* bytes that come meanwhile wait in the socket for the splice */
	loop_fd_mod(l->lfd, 0);
	loop_timer_set(l->timer, SRV_RELAY_WAIT_MS);
	log_debug("relay: place %s: peer %s: relay_open sent", l->place, l->ip);
}

static void on_link_head(struct rlink *l)
{
	struct http_request req;
	struct srv_place *p;
	const char *why;
	size_t from = l->len;
	ssize_t n;
	int err;

	n = recv(l->fd, l->buf + l->len, HTTP_HEAD_MAX + 1 - l->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_info("relay: place %s: peer %s closed before a complete request",
			 l->place, l->ip);
		link_free(l);
		return;
	}
	l->len += (size_t)n;
	from = from > 3 ? from - 3 : 0;
	if (!memmem(l->buf + from, l->len - from, "\n\n", 2) &&
	    !memmem(l->buf + from, l->len - from, "\n\r\n", 3) &&
	    l->len <= HTTP_HEAD_MAX)
		return;
	err = http_parse_head(l->buf, l->len, &req);
	if (err == -EAGAIN || (!err && req.head_len > HTTP_HEAD_MAX)) {
		if (l->len > HTTP_HEAD_MAX)
			link_refuse(l, 431, "Request header too large",
				    "request head over 16 KiB");
		return;
	}
	if (err) {
		link_refuse(l, 400, req.error, req.error);
		return;
	}
	if (!req.is_connect) {
		link_refuse(l, 405, "Only CONNECT is supported",
			    "method is not CONNECT");
		return;
	}
	p = sched_place_find(&l->rl->srv->sched, l->place_id);
	if (!p) {
		link_refuse(l, 404, "Place gone", "the place is gone");
		return;
	}
	if (srv_relay_auth(l->rl->srv, p, l->ip, &req, &why)) {
		link_refuse(l, 403, "IP not allowed", why);
		return;
	}
	ask_exporter(l, p);
}

static void on_link(struct loop_fd *lfd, uint32_t events, void *arg);

static void link_tls_done(void *arg, const struct tls_result *r)
{
	struct rlink *l = arg;

	l->hs = NULL;
	if (r->err) {
		l->rl->tls_failed++;
		log_warn("relay: place %s: peer %s: %s; closed", l->place,
			 l->ip, r->msg);
		link_free(l);
		return;
	}
	l->rl->tls_paths[r->path]++;
	l->fd = r->fd;
	l->pump = r->pump;
	log_info("relay: place %s: peer %s: TLS 1.2, %s", l->place, l->ip,
		 path_words(r));
	l->lfd = loop_fd_add(l->rl->srv->loop, l->fd, EPOLLIN, on_link, l);
	if (!l->lfd) {
		log_err("relay: place %s: peer %s: cannot watch the connection: %s",
			l->place, l->ip, strerror(errno));
		link_free(l);
	}
}

/* TLS or plain? true: read the plain head now; false: not now, or l gone. */
static bool link_first(struct rlink *l)
{
	struct srv_relay *rl = l->rl;
	enum first_byte f = first_byte(l->fd);

	if (f == FIRST_WAIT)
		return false;
	l->checked = true;
	if (f == FIRST_PLAIN && tls_required(rl)) {
		link_refuse(l, 426, "TLS required: this relay takes TLS connections only",
			    "a plain connection, and relay.tls is required; the agent must connect with TLS (not-my-board agents cannot)");
		return false;
	}
	if (f == FIRST_PLAIN) {
		rl->plain++;
		return true;
	}
	if (!rl->tls) {
		link_refuse(l, 400, "This relay does not speak TLS",
			    "a TLS handshake, but TLS is off on this relay (no tls.cert, or relay.tls: off)");
		return false;
	}
	loop_fd_del(l->lfd);
	l->lfd = NULL;
	l->hs = tls_handshake_start(rl->srv->loop, rl->tls, l->fd, NULL,
				    link_tls_done, l);
	if (!l->hs) {
		log_err("relay: place %s: peer %s: cannot start the TLS handshake: %s",
			l->place, l->ip, strerror(errno));
		link_free(l);
	}
	return false;
}

static void on_link(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct rlink *l = arg;

	(void)lfd;
	(void)events;
	if (l->state != LINK_HEAD)
		return;
	if (l->checked || link_first(l))
		on_link_head(l);
}

static void link_timeout(struct loop_timer *t, void *arg)
{
	struct rlink *l = arg;

	(void)t;
	if (l->hs) {
		l->rl->tls_failed++;
		log_warn("relay: place %s: peer %s: TLS handshake not done within %d s; closed",
			 l->place, l->ip, SRV_RELAY_HEAD_MS / 1000);
		l->rl->outcomes[RELAY_REFUSED]++;
		link_free(l);
		return;
	}
	if (l->state == LINK_HEAD) {
		link_refuse(l, 408, "Request Timeout",
			    "no complete request head within 10 s");
		return;
	}
	log_warn("relay: place %s: the exporter did not open its data connection within %d s; answered 504 to peer %s. Can the exporter reach the relay port %u?",
		 l->place, SRV_RELAY_WAIT_MS / 1000, l->ip, l->rl->port);
	respond(l->fd, 504, "Exporter did not answer");
	l->rl->outcomes[RELAY_TIMEOUT]++;
	link_free(l);
}

/* --- an exporter's data connection ------------------------------------- */

static void data_free(struct rdata *d, bool close_fd)
{
	list_del(&d->node);
	tls_handshake_cancel(d->hs);
	loop_timer_free(d->timer);
	loop_fd_del(d->lfd);
	if (close_fd)
		close(d->fd);
	linger(d->rl, d->pump);		/* NULL once the link took it */
	free(d);
}

static struct rlink *waiting(struct srv_relay *rl, const char *id)
{
	struct rlink *l;

	list_for_each_entry(l, &rl->links, node)
		if (l->state == LINK_WAIT && !strcmp(l->id, id))
			return l;
	return NULL;
}

/* The CONNECT bytes go to the exporter first, then both ways. */
static void join(struct rlink *l, struct rdata *d)
{
	int err;

	loop_timer_cancel(l->timer);
	loop_fd_del(l->lfd);
	l->lfd = NULL;
	loop_fd_del(d->lfd);
	d->lfd = NULL;
	sock_nodelay(d->fd);
	err = relay_new(l->rl->srv->loop, l->fd, d->fd, l->buf, l->len,
			joined_done, l, &l->pipe);
	if (err) {
		log_err("relay: place %s: peer %s: cannot join the connections: %s",
			l->place, l->ip, strerror(-err));
		data_free(d, true);
		link_free(l);
		return;
	}
	l->data_pump = d->pump;
	d->pump = NULL;
	l->state = LINK_JOINED;
	l->rl->outcomes[RELAY_JOINED]++;
	l->id[0] = '\0';
	free(l->buf);
	l->buf = NULL;
	log_info("relay: place %s: peer %s joined to the exporter's data connection from %s after %llu ms",
		 l->place, l->ip, d->ip,
		 (unsigned long long)(srv_now_us() / 1000 - l->t0_ms));
	data_free(d, false);
}

static void on_data(struct loop_fd *lfd, uint32_t events, void *arg);

static void data_tls_done(void *arg, const struct tls_result *r)
{
	struct rdata *d = arg;

	d->hs = NULL;
	if (r->err) {
		d->rl->tls_failed++;
		log_warn("relay: data connection from %s: %s; closed", d->ip,
			 r->msg);
		data_free(d, true);
		return;
	}
	d->rl->tls_paths[r->path]++;
	d->fd = r->fd;
	d->pump = r->pump;
	log_info("relay: data connection from %s: TLS 1.2, %s", d->ip,
		 path_words(r));
	d->lfd = loop_fd_add(d->rl->srv->loop, d->fd, EPOLLIN, on_data, d);
	if (!d->lfd) {
		log_err("relay: data connection from %s: cannot watch it: %s",
			d->ip, strerror(errno));
		data_free(d, true);
	}
}

/* As link_first(), for an exporter's data connection. */
static bool data_first(struct rdata *d)
{
	struct srv_relay *rl = d->rl;
	enum first_byte f = first_byte(d->fd);

	if (f == FIRST_WAIT)
		return false;
	d->checked = true;
	if (f == FIRST_PLAIN && tls_required(rl)) {
		log_warn("relay: data connection from %s is plain, and relay.tls is required; closed. Is that nmb-exporter older than the relay's TLS?",
			 d->ip);
		data_free(d, true);
		return false;
	}
	if (f == FIRST_PLAIN) {
		rl->plain++;
		return true;
	}
	if (!rl->tls) {
		log_warn("relay: data connection from %s starts a TLS handshake, but TLS is off on this relay (no tls.cert, or relay.tls: off); closed",
			 d->ip);
		data_free(d, true);
		return false;
	}
	loop_fd_del(d->lfd);
	d->lfd = NULL;
	d->hs = tls_handshake_start(rl->srv->loop, rl->tls, d->fd, NULL,
				    data_tls_done, d);
	if (!d->hs) {
		log_err("relay: data connection from %s: cannot start the TLS handshake: %s",
			d->ip, strerror(errno));
		data_free(d, true);
	}
	return false;
}

static void on_data(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct rdata *d = arg;
	char id[RELAY_ID_LEN + 1];
	struct rlink *l;
	size_t used;
	ssize_t n;
	int err;

	(void)lfd;
	(void)events;
	if (!d->checked && !data_first(d))
		return;
	n = recv(d->fd, d->buf + d->len, sizeof(d->buf) - d->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_info("relay: data connection from %s closed before its hello",
			 d->ip);
		data_free(d, true);
		return;
	}
	d->len += (size_t)n;
	err = relay_hello_parse(d->buf, d->len, id, &used);
	if (err == -EAGAIN)
		return;
	if (err || used != d->len) {
		log_warn("relay: data connection from %s: %s; closed", d->ip,
			 err ? "not a relay hello" :
			 "bytes after the hello, before the CONNECT");
		data_free(d, true);
		return;
	}
	l = waiting(d->rl, id);
	if (!l) {
		log_warn("relay: data connection from %s names an unknown, used or expired relay id; closed",
			 d->ip);
		data_free(d, true);
		return;
	}
	join(l, d);
}

static void data_timeout(struct loop_timer *t, void *arg)
{
	struct rdata *d = arg;

	(void)t;
	if (d->hs)
		d->rl->tls_failed++;
	log_warn("relay: data connection from %s %s within %d s; closed",
		 d->ip, d->hs ? "did not finish its TLS handshake" :
		 "sent no hello", SRV_RELAY_HEAD_MS / 1000);
	data_free(d, true);
}

/* --- accepting ---------------------------------------------------------- */

/* One accepted connection, or -1 when there is none now. */
static int accept_one(struct loop_fd *lfd, char *ip, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	fd = accept4(loop_fd_fd(lfd), (struct sockaddr *)&ss, &sl,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("relay: accept: %s", strerror(errno));
		return -1;
	}
	peer_ip(&ss, ip, len);
	return fd;
}

static void on_place_accept(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct rport *rp = arg;
	struct srv_relay *rl = rp->rl;
	char ip[INET6_ADDRSTRLEN];
	struct srv_place *p;
	struct rlink *l;
	int fd;

	(void)events;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		fd = accept_one(lfd, ip, sizeof(ip));
		if (fd < 0)
			return;
		p = sched_place_find(&rl->srv->sched, rp->place_id);
		if (!p || !room_for(rl, ip)) {
			close(fd);
			continue;
		}
		l = calloc(1, sizeof(*l));
		if (!l) {
			close(fd);
			continue;
		}
		l->rl = rl;
		l->fd = fd;
		l->place_id = p->id;
		l->t0_ms = srv_now_us() / 1000;
		snprintf(l->place, sizeof(l->place), "%s", p->name);
		snprintf(l->ip, sizeof(l->ip), "%s", ip);
		list_add_tail(&l->node, &rl->links);
		sock_nodelay(fd);
		l->buf = malloc(HTTP_HEAD_MAX + 1);
		l->lfd = loop_fd_add(rl->srv->loop, fd, EPOLLIN, on_link, l);
		l->timer = loop_timer_new(rl->srv->loop, link_timeout, l);
		if (!l->buf || !l->lfd || !l->timer) {
			log_err("relay: place %s: peer %s: out of memory",
				l->place, ip);
			link_free(l);
			continue;
		}
		loop_timer_set(l->timer, SRV_RELAY_HEAD_MS);
	}
}

static void on_data_accept(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct srv_relay *rl = arg;
	char ip[INET6_ADDRSTRLEN];
	struct rdata *d;
	int fd;

	(void)events;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		fd = accept_one(lfd, ip, sizeof(ip));
		if (fd < 0)
			return;
		if (!room_for(rl, ip)) {
			close(fd);
			continue;
		}
		d = calloc(1, sizeof(*d));
		if (!d) {
			close(fd);
			continue;
		}
		d->rl = rl;
		d->fd = fd;
		snprintf(d->ip, sizeof(d->ip), "%s", ip);
		list_add_tail(&d->node, &rl->datas);
		d->lfd = loop_fd_add(rl->srv->loop, fd, EPOLLIN, on_data, d);
		d->timer = loop_timer_new(rl->srv->loop, data_timeout, d);
		if (!d->lfd || !d->timer) {
			data_free(d, true);
			continue;
		}
		loop_timer_set(d->timer, SRV_RELAY_HEAD_MS);
	}
}

/* --- places ------------------------------------------------------------- */

static struct rport *port_of(struct srv_relay *rl, unsigned int place_id)
{
	struct rport *rp;

	list_for_each_entry(rp, &rl->ports, node)
		if (rp->place_id == place_id)
			return rp;
	return NULL;
}

static bool port_taken(struct srv_relay *rl, unsigned int port)
{
	struct rport *rp;

	list_for_each_entry(rp, &rl->ports, node)
		if (rp->port == port)
			return true;
	return false;
}

/* FNV-1a: a place keeps its port across restarts while it is free. */
static unsigned int name_hash(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* A port of the range for p (its old one first), bound: fd, or < 0. */
static int bind_place_port(struct srv_relay *rl, struct srv_place *p,
			   unsigned int *port)
{
	unsigned int n = rl->last - rl->first + 1, start;
	json_object *v;
	int fd = -EADDRINUSE;

	start = name_hash(p->name) % n;
	if (json_object_object_get_ex(p->desc, "port", &v)) {
		int64_t old = json_object_get_int64(v);

		if (old >= rl->first && old <= rl->last)
			start = (unsigned int)(old - rl->first);
	}
	for (unsigned int i = 0; i < n; i++) {
		*port = rl->first + (start + i) % n;
		if (port_taken(rl, *port))
			continue;
		fd = listen_tcp(rl->addr, *port);
		if (fd >= 0)
			return fd;
	}
	return fd;
}

/* The address agents are told: relay.host, relay.listen's, or as reached. */
static void advertised_host(struct srv_relay *rl, struct srv_place *p,
			    struct srv_conn *conn)
{
	const struct srv_relay_conf *rc = &rl->srv->cfg->relay;
	char ip[INET6_ADDRSTRLEN];

	if (rc->host)
		snprintf(p->host, sizeof(p->host), "%s", rc->host);
	else if (rl->addr && strcmp(rl->addr, "0.0.0.0") != 0)
		snprintf(p->host, sizeof(p->host), "%s", rl->addr);
	else if (conn && !srv_conn_local_ip(conn, ip, sizeof(ip)))
		snprintf(p->host, sizeof(p->host), "%s", ip);
}

void srv_relay_place_added(struct server *srv, struct srv_place *p,
			   struct srv_conn *conn)
{
	struct srv_relay *rl = srv->relay;
	struct rport *rp;
	unsigned int port = 0;
	int fd;

	if (!p->dial_out)
		return;
	if (!rl) {
		log_err("place %s is dial-out but the relay is off (relay.listen: off); agents cannot reach it",
			p->name);
		return;
	}
	rp = port_of(rl, p->id);
	if (!rp) {
		fd = bind_place_port(rl, p, &port);
		rp = fd >= 0 ? calloc(1, sizeof(*rp)) : NULL;
		if (!rp) {
			log_err("place %s: no relay port free in %u-%u (%s); agents cannot reach it. Widen relay.ports",
				p->name, rl->first, rl->last,
				strerror(fd < 0 ? -fd : ENOMEM));
			if (fd >= 0)
				close(fd);
			return;
		}
		rp->rl = rl;
		rp->place_id = p->id;
		rp->port = port;
		rp->fd = fd;
		rp->lfd = loop_fd_add(srv->loop, fd, EPOLLIN, on_place_accept,
				      rp);
		list_add_tail(&rp->node, &rl->ports);
		if (!rp->lfd)
			log_err("place %s: cannot watch relay port %u: %s",
				p->name, port, strerror(errno));
	}
	json_object_object_add(p->desc, "port",
			       json_object_new_int((int32_t)rp->port));
	/* nmb agents then connect with TLS (protocol.rst) */
	if (rl->tls)
		json_object_object_add(p->desc, WIRE_PLACE_RELAY_TLS,
				       json_object_new_boolean(1));
	else
		json_object_object_del(p->desc, WIRE_PLACE_RELAY_TLS);
	advertised_host(rl, p, conn);
	log_info("place %s: dial-out, relayed at %s port %u", p->name,
		 p->host, rp->port);
}

static void cut(struct srv_relay *rl, unsigned int place_id, const char *ip,
		const char *why)
{
	struct rlink *l, *next;

	list_for_each_entry_safe(l, next, &rl->links, node) {
		if (l->place_id != place_id || (ip && !strcmp(l->ip, ip)))
			continue;
		log_notice("relay: place %s: peer %s: %s; relayed connection cut",
			   l->place, l->ip, why);
		link_free(l);
	}
}

void srv_relay_place_removed(struct server *srv, struct srv_place *p)
{
	struct srv_relay *rl = srv->relay;
	struct rport *rp;

	if (!rl || !p->dial_out)
		return;
	cut(rl, p->id, NULL, "the place is gone");
	rp = port_of(rl, p->id);
	if (!rp)
		return;
	list_del(&rp->node);
	loop_fd_del(rp->lfd);
	close(rp->fd);
	free(rp);
}

void srv_relay_allowed(struct server *srv, struct srv_place *p,
		       const char *ip)
{
	if (srv->relay && p->dial_out)
		cut(srv->relay, p->id, ip, "no longer allowed");
}

/* --- the relay ---------------------------------------------------------- */

void srv_relay_metrics(struct server *srv, struct prom_buf *b)
{
	struct srv_relay *rl = srv->relay;
	unsigned int joined = 0, half = 0;
	struct rlink *l;
	struct rdata *d;

	if (!rl)
		return;
	list_for_each_entry(l, &rl->links, node) {
		joined += l->state == LINK_JOINED;
		half += l->state != LINK_JOINED;
	}
	list_for_each_entry(d, &rl->datas, node)
		half++;
	prom_put(b, "# HELP nmb_relay_connections Agents' relayed connections now, by state.\n"
		 "# TYPE nmb_relay_connections gauge\n"
		 "nmb_relay_connections{state=\"joined\"} %u.0\n"
		 "nmb_relay_connections{state=\"half_open\"} %u.0\n",
		 joined, half);
	prom_put(b, "# HELP nmb_relay_connections_total Connections to the relay by outcome.\n"
		 "# TYPE nmb_relay_connections_total counter\n");
	for (int i = 0; i < RELAY_OUTCOMES; i++)
		prom_put(b, "nmb_relay_connections_total{outcome=\"%s\"} %llu\n",
			 outcome_names[i], (unsigned long long)rl->outcomes[i]);
	prom_put(b, "# HELP nmb_relay_bytes_total Bytes both ways of relayed connections that ended.\n"
		 "# TYPE nmb_relay_bytes_total counter\n"
		 "nmb_relay_bytes_total %llu\n", (unsigned long long)rl->bytes);
	prom_put(b, "# HELP nmb_relay_transport_total Connections to the relay (agents' and exporters') by how they were carried: plain, TLS in the kernel (ktls), TLS in user space, or a failed TLS handshake.\n"
		 "# TYPE nmb_relay_transport_total counter\n"
		 "nmb_relay_transport_total{transport=\"plain\"} %llu\n"
		 "nmb_relay_transport_total{transport=\"ktls\"} %llu\n"
		 "nmb_relay_transport_total{transport=\"userspace_tls\"} %llu\n"
		 "nmb_relay_transport_total{transport=\"tls_failed\"} %llu\n",
		 (unsigned long long)rl->plain,
		 (unsigned long long)rl->tls_paths[TLS_PATH_KTLS],
		 (unsigned long long)rl->tls_paths[TLS_PATH_USERSPACE],
		 (unsigned long long)rl->tls_failed);
}

/* relay.tls and tls.cert/key: the relay's TLS context, or none. */
static int relay_tls_init(struct srv_relay *rl)
{
	const struct srv_config *cfg = rl->srv->cfg;
	char why[256];

	if (cfg->relay.tls == RELAY_TLS_OFF)
		return 0;
	if (!cfg->tls_cert || !cfg->tls_key) {
		if (cfg->relay.tls != RELAY_TLS_REQUIRED)
			return 0;
		log_err("relay: relay.tls is required, but the server has no tls.cert and tls.key to speak TLS with; set them, or relay.tls: auto");
		return -EINVAL;
	}
	rl->tls = tls_relay_server_ctx(cfg->tls_cert, cfg->tls_key, why,
				       sizeof(why));
	if (!rl->tls) {
		log_err("relay: TLS with %s and %s: %s", cfg->tls_cert,
			cfg->tls_key, why);
		return -EINVAL;
	}
	return 0;
}

int srv_relay_init(struct server *srv)
{
	const struct srv_relay_conf *rc = &srv->cfg->relay;
	const struct srv_listen *hub = &srv->cfg->listen[0];
	struct srv_relay *rl;

	if (rc->off) {
		log_info("relay off: dial-out places cannot be reached");
		return 0;
	}
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return -ENOMEM;
	rl->srv = srv;
	rl->fd = -1;
	INIT_LIST_HEAD(&rl->ports);
	INIT_LIST_HEAD(&rl->links);
	INIT_LIST_HEAD(&rl->datas);
	INIT_LIST_HEAD(&rl->lingering);
	rl->port = rc->listen.port ? rc->listen.port : hub->port + 1;
	if (rc->listen.port ? rc->listen.addr != NULL : hub->addr != NULL) {
		rl->addr = strdup(rc->listen.port ? rc->listen.addr :
				  hub->addr);
		if (!rl->addr) {
			free(rl);
			return -ENOMEM;
		}
	}
	rl->first = rc->first ? rc->first : rl->port + 1;
	rl->last = rc->first ? rc->last : rl->port + DEFAULT_PLACE_PORTS;
	srv->relay = rl;
	if (relay_tls_init(rl))
		return -EINVAL;
	if (rl->port > 65535 || rl->last > 65535) {
		log_err("relay: port %u or place ports %u-%u out of range; set relay.listen and relay.ports",
			rl->port, rl->first, rl->last);
		return -EINVAL;
	}
	rl->fd = listen_tcp(rl->addr, rl->port);
	if (rl->fd < 0 && !rc->listen.port) {
		/* only the default: the hub itself runs, without a relay */
		log_warn("relay off: cannot listen on its default port %u (the first listener's + 1): %s; set relay.listen (or --relay-listen) to a free port for dial-out places",
			 rl->port, strerror(-rl->fd));
		srv_relay_free(srv);
		return 0;
	}
	if (rl->fd < 0) {
		int err = rl->fd;

		log_err("relay: cannot listen on %s%s%s:%u: %s; set relay.listen (or --relay-listen) to a free port, or relay.listen: off",
			rl->addr && strchr(rl->addr, ':') ? "[" : "",
			rl->addr ? rl->addr : "[::]",
			rl->addr && strchr(rl->addr, ':') ? "]" : "",
			rl->port, strerror(-err));
		return err;
	}
	rl->lfd = loop_fd_add(srv->loop, rl->fd, EPOLLIN, on_data_accept, rl);
	if (!rl->lfd)
		return -errno;
	log_info("relay listening on %s%s%s:%u, place ports %u-%u, %s",
		 rl->addr && strchr(rl->addr, ':') ? "[" : "",
		 rl->addr ? rl->addr : "[::]",
		 rl->addr && strchr(rl->addr, ':') ? "]" : "", rl->port,
		 rl->first, rl->last, !rl->tls ? "plain only" :
		 tls_required(rl) ? "TLS only" : "TLS or plain");
	return 0;
}

void srv_relay_free(struct server *srv)
{
	struct srv_relay *rl = srv->relay;

	if (!rl)
		return;
	while (!list_empty(&rl->links))
		link_free(list_first_entry(&rl->links, struct rlink, node));
	while (!list_empty(&rl->datas))
		data_free(list_first_entry(&rl->datas, struct rdata, node),
			  true);
	while (!list_empty(&rl->lingering))
		linger_free(list_first_entry(&rl->lingering,
					     struct lingering_pump, node));
	while (!list_empty(&rl->ports)) {
		struct rport *rp = list_first_entry(&rl->ports, struct rport,
						    node);

		list_del(&rp->node);
		loop_fd_del(rp->lfd);
		close(rp->fd);
		free(rp);
	}
	loop_fd_del(rl->lfd);
	if (rl->fd >= 0)
		close(rl->fd);
	SSL_CTX_free(rl->tls);
	free(rl->addr);
	free(rl);
	srv->relay = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * net.c - libwebsockets glue: one vhost per listener (plain or TLS), the
 * /ws WebSocket with bearer tokens, message reassembly, limits and the
 * outgoing queue; the HTTP routes are in http.c.
 *
 * libwebsockets runs on the server's lib/loop, a libuv loop, as a foreign
 * loop (the evlib_uv plugin, Debian package libwebsockets-evlib-uv); its
 * lws_sul timers run there too. Without that plugin the server does not
 * start: lws's poll() loop costs O(connections) per wakeup.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "auth.h"
#include "conn_addr.h"
#include "farm.h"
#include "http.h"
#include "log.h"
#include "login.h"
#include "loop.h"
#include "methods.h"
#include "net.h"
#include "server.h"
#include "session.h"
#include "state.h"
#include "ws_bearer.h"
#include "utf8.h"

#define OUT_LIMIT	(64u << 20)	/* queued bytes before we give up */
#define RX_KEEP		4096		/* rx buffer kept between messages */
/*
 * Descriptors kept out of libwebsockets' count for everything else (libuv,
 * the state file, a reload, sd_notify). Once its count reaches the rest,
 * libwebsockets stops polling the listeners until a connection closes, so
 * accept() never fails with EMFILE (which it would retry at once, for
 * ever, logging each time).
 */
#define FD_RESERVE	32
#define FD_MAX		1048576

/* What net.c keeps beside the lws context (srv->net). */
struct srv_net {
	lws_retry_bo_t retry;		/* the listeners' vhosts point at it */
	bool dying;			/* closing every connection */
};

static const char *const vhost_names[SRV_MAX_LISTEN] = {
	"listen0", "listen1", "listen2", "listen3", "listen4", "listen5",
	"listen6", "listen7", "listen8", "listen9", "listen10", "listen11",
	"listen12", "listen13", "listen14", "listen15",
};
static const struct srv_token no_auth;

static struct server *server_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* --- WebSocket ----------------------------------------------------------- */

/*
 * A browser cannot set Authorization on a WebSocket: the web page offers
 * the subprotocol "nmb-bearer.<secret in hex>" beside "nmb" instead.
 */
static bool token_from_protocols(struct lws *wsi, char *out, size_t size)
{
	char hdr[1200];

	if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_PROTOCOL) <= 0)
		return false;
	return ws_bearer_from_protocols(hdr, out, size);
}

/*
 * The static token the upgrade presents, or NULL. With auth: on, an
 * upgrade that presents none is an OpenID Connect client (&no_auth).
 */
static const struct srv_token *check_token(struct server *srv,
					    struct lws *wsi)
{
	char hdr[600];
	const char *secret;
	int n;

	n = lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 7 && !strncasecmp(hdr, "Bearer ", 7))
		secret = hdr + 7;
	else if (token_from_protocols(wsi, hdr, sizeof(hdr)))
		secret = hdr;
	else
		return srv->cfg->auth ? &no_auth : NULL;
	for (unsigned int i = 0; i < srv->cfg->ntokens; i++) {
		const struct srv_token *t = &srv->cfg->tokens[i];
		size_t tl = strlen(t->secret);
		unsigned char diff = 0;

		if (tl != strlen(secret))
			continue;
		for (size_t k = 0; k < tl; k++)
			diff |= (unsigned char)(t->secret[k] ^ secret[k]);
		if (!diff)
			return t;
	}
	return NULL;
}

static void peer_ip(struct lws *wsi, char *ip, size_t len)
{
	if (srv_wsi_ip(wsi, false, ip, len))
		snprintf(ip, len, "unknown");
}

/* Refuses an upgrade with an empty HTTP/1.1 answer. */
static int refuse_with(struct lws *wsi, unsigned int status, const char *text,
		       const char *header)
{
	char buf[LWS_PRE + 200];
	int n;

	n = snprintf(buf + LWS_PRE, sizeof(buf) - LWS_PRE,
		     "HTTP/1.1 %u %s\r\n%scontent-length: 0\r\n"
		     "connection: close\r\n\r\n", status, text, header);
	lws_write(wsi, (unsigned char *)buf + LWS_PRE, (size_t)n,
		  LWS_WRITE_HTTP_HEADERS);
	return -1;
}

static int refuse(struct lws *wsi, unsigned int status, const char *text)
{
	return refuse_with(wsi, status, text, "");
}

static int ws_filter(struct server *srv, struct lws *wsi)
{
	const struct srv_token *t = &no_auth;
	char uri[256], version[8];

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0 ||
	    strcmp(uri, "/ws") != 0) {
		return refuse(wsi, 403, "Forbidden");
	}
	/* RFC 6455 4.2.2: only version 13, named in a 426 otherwise */
	if (lws_hdr_copy(wsi, version, sizeof(version),
			 WSI_TOKEN_VERSION) < 0 || strcmp(version, "13") != 0)
		return refuse_with(wsi, 426, "Upgrade Required",
				   "sec-websocket-version: 13\r\n");
	if (srv->sched.stopping)
		return refuse(wsi, 503, "Service Unavailable");
	if (srv->cfg->ntokens)
		t = check_token(srv, wsi);
	if (!t) {
		char ip[INET6_ADDRSTRLEN];

		peer_ip(wsi, ip, sizeof(ip));
		log_warn("WebSocket from peer=%s refused: no valid bearer token",
			 ip);
		return refuse(wsi, 401, "Unauthorized");
	}
	lws_set_opaque_user_data(wsi, (void *)t);
	return 0;
}

static void ws_open(struct server *srv, struct lws *wsi, struct srv_conn *c)
{
	const struct srv_token *t = lws_get_opaque_user_data(wsi);
	char name[96];

	memset(c, 0, sizeof(*c));
	STAILQ_INIT(&c->out);
	c->srv = srv;
	c->wsi = wsi;
	c->id = srv->next_conn_id++;
	srv_state_conn_opened(srv);
	peer_ip(wsi, c->ip, sizeof(c->ip));
	if (srv->cfg->auth && (!t || t == &no_auth)) {
		c->roles = 0;	/* from its ID token (auth.c) */
	} else if (!t || t == &no_auth) {
		c->roles = srv->cfg->ntokens ? 0 : SRV_ROLE_ALL;
	} else {
		c->token = t;
		c->roles = t->roles;
	}
	c->rpc = rpc_chan_new(srv_methods, srv_conn_send, c);
	if (!c->rpc) {
		srv_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			       "out of memory");
		return;
	}
	snprintf(name, sizeof(name), "conn=%u peer=%s", c->id, c->ip);
	rpc_chan_set_name(c->rpc, name);
	LIST_INSERT_HEAD(&srv->conns, c, link);
	if (srv_conn_opened(srv, c) ||
	    (srv->cfg->auth && !c->token && srv_auth_conn_new(c)))
		srv_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			       "out of memory");
	log_info("connected conn=%u peer=%s user=%s", c->id, c->ip,
		 c->sess ? c->sess->user : "?");
}

static void ws_closed(struct server *srv, struct srv_conn *c)
{
	if (!c->rpc)
		return;
	LIST_REMOVE(c, link);
	log_info("disconnected conn=%u peer=%s", c->id, c->ip);
	srv_farm_unsubscribe(srv, c);
	c->closing = true;
	srv_conn_closed(srv, c);
	srv_login_conn_closed(srv, c);
	srv_auth_conn_free(c);
	rpc_chan_free(c->rpc);
	c->rpc = NULL;
	while (!STAILQ_EMPTY(&c->out)) {
		struct srv_outmsg *m = STAILQ_FIRST(&c->out);

		STAILQ_REMOVE_HEAD(&c->out, link);
		free(m);
	}
	free(c->rx);
	c->rx = NULL;
}

void srv_conn_close(struct srv_conn *c, int status, const char *reason)
{
	if (c->closing)
		return;
	log_info("closing conn=%u peer=%s: %s", c->id, c->ip, reason);
	c->closing = true;
	c->close_status = status;
	c->close_reason = reason;
	/* closed from LWS_CALLBACK_TIMER: see close_now() */
	lws_set_timer_usecs(c->wsi, 1);
}

int srv_conn_send(void *ctx, const char *msg, size_t len)
{
	struct srv_conn *c = ctx;
	struct srv_outmsg *m;

	if (c->closing || c->srv->net->dying)
		return -EPIPE;
	if (c->out_bytes + len > OUT_LIMIT) {
		srv_conn_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			       "peer does not read its messages");
		return -ENOBUFS;
	}
	m = malloc(sizeof(*m) + LWS_PRE + len);
	if (!m)
		return -ENOMEM;
	m->len = len;
	memcpy(m->buf + LWS_PRE, msg, len);
	STAILQ_INSERT_TAIL(&c->out, m, link);
	c->out_bytes += len;
	lws_callback_on_writable(c->wsi);
	return 0;
}

/*
 * srv_conn_close()'s close, from the connection's lws timer. Not from the
 * writeable callback: lws 4.1 takes a nonzero return there for a failed
 * write, marks the socket unusable and drops it without a close frame
 * (the peer sees 1006). A timer callback's -1 goes through the ws role's
 * close, which sends the reason set here and waits for the peer's close.
 */
static int close_now(struct lws *wsi, struct srv_conn *c)
{
	if (!c || !c->closing)
		return 0;
	lws_close_reason(wsi, (enum lws_close_status)c->close_status,
			 (unsigned char *)c->close_reason,
			 strlen(c->close_reason));
	return -1;
}

static int ws_write(struct server *srv, struct lws *wsi, struct srv_conn *c)
{
	bool first = true;

	if (c->closing)
		return 0;	/* close_now() ends it */
	while (!STAILQ_EMPTY(&c->out) &&
	       (first || !lws_send_pipe_choked(wsi))) {
		struct srv_outmsg *m = STAILQ_FIRST(&c->out);

		first = false;
		STAILQ_REMOVE_HEAD(&c->out, link);
		c->out_bytes -= m->len;
		if (lws_write(wsi, m->buf + LWS_PRE, m->len,
			      LWS_WRITE_BINARY) < (int)m->len) {
			free(m);
			return -1;
		}
		free(m);
	}
	if (!STAILQ_EMPTY(&c->out))
		lws_callback_on_writable(wsi);
	else
		srv_farm_drained(srv, c);
	return 0;
}

/* RFC 6455 8.1: a text message that is not UTF-8 fails the connection. */
static bool text_ok(struct lws *wsi, struct srv_conn *c, const char *msg,
		    size_t len)
{
	static const char why[] = "text message is not valid UTF-8";

	if (lws_frame_is_binary(wsi) || utf8_valid(msg, len))
		return true;
	log_warn("conn=%u peer=%s: %s; closing", c->id, c->ip, why);
	lws_close_reason(wsi, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
			 (unsigned char *)why, sizeof(why) - 1);
	return false;
}

static int ws_receive(struct server *srv, struct lws *wsi, struct srv_conn *c,
		      const char *in, size_t len)
{
	bool first = lws_is_first_fragment(wsi);
	bool last = lws_is_final_fragment(wsi) &&
		    !lws_remaining_packet_payload(wsi);
	size_t need;
	char *p;

	if (c->closing || !c->rpc)
		return 0;
	if (first)
		c->rx_len = 0;
	if (c->rx_len + len > srv->cfg->max_message ||
	    lws_remaining_packet_payload(wsi) > srv->cfg->max_message) {
		char why[80];

		snprintf(why, sizeof(why), "message over %zu bytes",
			 srv->cfg->max_message);
		log_warn("conn=%u peer=%s: %s; closing", c->id, c->ip, why);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)why, strlen(why));
		return -1;
	}
	if (rpc_chan_running(c->rpc) >= srv->cfg->max_running) {
		static const char why[] = "too many unanswered requests";

		log_warn("conn=%u peer=%s: %s; closing", c->id, c->ip, why);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				 (unsigned char *)why, sizeof(why) - 1);
		return -1;
	}
	if (first && last) {
		if (!text_ok(wsi, c, in, len))
			return -1;
		rpc_input(c->rpc, in, len);
		return 0;
	}
	need = c->rx_len + len;
	if (need > c->rx_cap) {
		p = realloc(c->rx, need);
		if (!p)
			return -1;
		c->rx = p;
		c->rx_cap = need;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!last)
		return 0;
	if (!text_ok(wsi, c, c->rx, c->rx_len))
		return -1;
	rpc_input(c->rpc, c->rx, c->rx_len);
	c->rx_len = 0;
	if (c->rx_cap > RX_KEEP) {
		free(c->rx);
		c->rx = NULL;
		c->rx_cap = 0;
	}
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct server *srv = server_of(wsi);
	struct srv_conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return srv_http_serve(srv, wsi, in);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_filter(srv, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		ws_open(srv, wsi, c);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return ws_receive(srv, wsi, c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_write(srv, wsi, c);
	case LWS_CALLBACK_TIMER:
		return close_now(wsi, c);
	case LWS_CALLBACK_CLOSED:
		ws_closed(srv, c);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

/*
 * A request line libwebsockets cannot parse (an unknown method, TLS on a
 * plain port, binary garbage) falls back to this raw protocol: it answers
 * 400 instead of libwebsockets' own 403 page, and closes.
 */
static int bad_http(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	static const char answer[] =
		"HTTP/1.1 400 Bad Request\r\n"
		"content-type: text/plain; charset=utf-8\r\n"
		"content-length: 12\r\nconnection: close\r\n\r\n"
		"Bad Request\n";
	unsigned char buf[LWS_PRE + sizeof(answer)];

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_RAW_RX:
	case LWS_CALLBACK_RAW_CLOSE:
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE:
		memcpy(buf + LWS_PRE, answer, sizeof(answer) - 1);
		lws_write(wsi, buf + LWS_PRE, sizeof(answer) - 1,
			  LWS_WRITE_RAW);
		return -1;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return -1;	/* never a WebSocket subprotocol */
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols protocols[] = {
	{ "nmb", callback, sizeof(struct srv_conn), 4096, 0, NULL, 0 },
	{ "nmb-bad-http", bad_http, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Its lines may quote what a peer sent: escaped. */
static void lws_log(int level, const char *line)
{
	char buf[1100];
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	log_escape(buf, sizeof(buf), line, n, 256);
	if (level & LLL_ERR)
		log_err("libwebsockets: %s", buf);
	else
		log_debug("libwebsockets: %s", buf);
}

int srv_net_run(struct server *srv)
{
	return loop_run(srv->loop);
}

/*
 * Ends srv_net_run(): every connection is closed now, and lws's handles
 * finish closing in srv_net_exit().
 */
void srv_net_stop(struct server *srv)
{
	if (srv->net->dying)
		return;
	srv->net->dying = true;
	srv_core_free(srv);
	lws_context_destroy(srv->ctx);
	loop_stop(srv->loop);
}

int srv_net_init(struct server *srv)
{
	void *foreign[1] = { loop_uv(srv->loop) };
	struct lws_context_creation_info info;
	struct rlimit rl;
	bool tls = false;

	lws_set_log_level(LLL_ERR | (nmb_log_priority() >= LOG_DEBUG ?
				     LLL_WARN : 0), lws_log);
	/* 10,000 idle agents need 10,000 descriptors. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > FD_MAX ? FD_MAX : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (unsigned int i = 0; i < srv->cfg->nlisten; i++)
		tls |= !srv->cfg->listen[i].plain;
	srv->net = calloc(1, sizeof(*srv->net));
	if (!srv->net)
		return -ENOMEM;
	srv->net->retry.secs_since_valid_ping = (uint16_t)srv->cfg->ping_s;
	srv->net->retry.secs_since_valid_hangup =
		(uint16_t)(2 * srv->cfg->ping_s);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		       LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN |
		       (tls || srv->cfg->auth ?
			LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
	info.foreign_loops = foreign;
	info.fd_limit_per_thread = FD_MAX;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < FD_MAX)
		info.fd_limit_per_thread = rl.rlim_cur > (rlim_t)2 * FD_RESERVE ?
					   (unsigned int)rl.rlim_cur - FD_RESERVE :
					   (unsigned int)rl.rlim_cur / 2;
	info.user = srv;
	srv->ctx = lws_create_context(&info);
	if (!srv->ctx) {
		log_err("libwebsockets cannot run on the libuv event loop; install the Debian package libwebsockets-evlib-uv");
		return -ELIBACC;
	}
	for (unsigned int i = 0; i < srv->cfg->nlisten; i++) {
		const struct srv_listen *l = &srv->cfg->listen[i];
		memset(&info, 0, sizeof(info));
		/* libwebsockets keeps the pointer: a string that stays */
		info.vhost_name = vhost_names[i];
		info.port = (int)l->port;
		info.iface = l->addr;
		info.protocols = protocols;
		info.retry_and_idle_policy = &srv->net->retry;
		info.timeout_secs = 20;
		info.options |=
			LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG;
		info.listen_accept_role = "raw-skt";
		info.listen_accept_protocol = "nmb-bad-http";
		if (l->addr && strchr(l->addr, '.'))
			info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
		if (!l->plain) {
			info.ssl_cert_filepath = srv->cfg->tls_cert;
			info.ssl_private_key_filepath = srv->cfg->tls_key;
			info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		}
		/* the context owns it, and destroys it with itself */
		if (!lws_create_vhost(srv->ctx, &info)) {
			log_err("cannot listen on %s%s%s:%u%s; is another server running, or is the TLS certificate/key unreadable?",
				l->addr && strchr(l->addr, ':') ? "[" : "",
				l->addr ? l->addr : "[::]",
				l->addr && strchr(l->addr, ':') ? "]" : "",
				l->port, l->plain ? "" : " (TLS)");
			return -EADDRINUSE;
		}
		log_info("listening on %s%s%s:%u %s", l->addr &&
			 strchr(l->addr, ':') ? "[" : "",
			 l->addr ? l->addr : "[::]",
			 l->addr && strchr(l->addr, ':') ? "]" : "", l->port,
			 l->plain ? "http" : "https");
	}
	return 0;
}

/*
 * After srv_net_run(), or a failed start. On a foreign loop,
 * lws_context_destroy() closes every connection and starts closing
 * lws's handles; once the loop has run their close callbacks, the second
 * call frees the context.
 */
void srv_net_exit(struct server *srv)
{
	if (srv->ctx) {
		if (!srv->net->dying) {
			srv->net->dying = true;
			srv_core_free(srv);
			lws_context_destroy(srv->ctx);
		}
		loop_settle(srv->loop);
		lws_context_destroy(srv->ctx);
		srv->ctx = NULL;
	}
	free(srv->net);
	srv->net = NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hub_client.c - WebSocket client to the hub on libwebsockets, which runs
 * on the daemon's own libuv loop (lib/loop) as a foreign loop: lws
 * watches its sockets and runs its timers there itself, so a message is
 * handled as soon as it arrives, with no tick and no poll glue.
 *
 * Debian's libwebsockets resolves names with a blocking getaddrinfo();
 * a hub given by name is resolved first with lib/resolve (libuv's thread
 * pool), so a slow DNS never stalls the loop (and every tunnel on it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "hub_client.h"
#include "log.h"
#include "loop.h"
#include "proxy_env.h"
#include "resolve.h"
#include "url.h"

#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	30000
#define STABLE_MS	30000
#define RX_MAX		(16u << 20)

struct msg {
	struct msg *next;
	size_t len;
	unsigned char data[];	/* LWS_PRE bytes, then the message */
};

/*
 * The libwebsockets context a daemon's clients share, on its loop; owned
 * by the daemon's context (hub_lws_new()).
 */
struct hub_lws {
	struct loop *loop;
	struct lws_context *ctx;
	unsigned int clients;		/* not freed yet */
};

struct hub_client {
	struct hub_lws *hl;
	struct loop *loop;
	char *url, *token, *name;
	char *host, *path;
	int port;
	bool tls, insecure;
	const struct rpc_method *methods;
	const struct hub_client_ops *ops;
	void *arg;

	struct proxy_route via;		/* the outbound proxy ... */
	bool proxied;			/* ... when there is one */
	char via_addr[URL_HOST_MAX];	/* its address, "" until known */
	char why[300];			/* down()'s text with the proxy */
	char closed[200];		/* the hub's close frame, "" if none */

	struct lws *wsi;
	struct rpc_chan *chan;
	struct msg *txq, **txq_tail;
	char *rx;
	size_t rx_len;
	bool rx_too_big;
	struct loop_timer *retry;
	struct resolve *res;		/* resolving host */
	uint64_t backoff_ms;
	bool hurry;			/* retry every BACKOFF_MIN_MS */
	uint64_t up_since_ms;
};

static void schedule_retry(struct hub_client *hc)
{
	uint64_t now = loop_now_ms();

	if (hc->up_since_ms && now - hc->up_since_ms >= STABLE_MS)
		hc->backoff_ms = 0;
	hc->up_since_ms = 0;
	if (hc->hurry)
		hc->backoff_ms = 0;
	hc->backoff_ms = hc->backoff_ms ? hc->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (hc->backoff_ms > BACKOFF_MAX_MS)
		hc->backoff_ms = BACKOFF_MAX_MS;
	loop_timer_set(hc->retry, hc->backoff_ms);
}

static void drop_queue(struct hub_client *hc)
{
	while (hc->txq) {
		struct msg *m = hc->txq;

		hc->txq = m->next;
		free(m);
	}
	hc->txq_tail = &hc->txq;
	free(hc->rx);
	hc->rx = NULL;
	hc->rx_len = 0;
	hc->rx_too_big = false;
}

static void went_down(struct hub_client *hc, const char *why)
{
	struct rpc_chan *ch = hc->chan;

	if (hc->proxied) {
		snprintf(hc->why, sizeof(hc->why), "through proxy %s (%s): %s",
			 hc->via.url, hc->via.source, why);
		why = hc->why;
	}

	hc->wsi = NULL;
	hc->chan = NULL;
	drop_queue(hc);
	if (ch) {
		rpc_chan_close(ch);
		rpc_chan_free(ch);
	}
	if (hc->ops && hc->ops->down)
		hc->ops->down(hc, why, hc->arg);
	schedule_retry(hc);
}

static int rpc_send(void *ctx, const char *data, size_t len)
{
	struct hub_client *hc = ctx;
	struct msg *m;

	if (!hc->wsi)
		return -ENOTCONN;
	m = malloc(sizeof(*m) + LWS_PRE + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->len = len;
	memcpy(m->data + LWS_PRE, data, len);
	*hc->txq_tail = m;
	hc->txq_tail = &m->next;
	lws_callback_on_writable(hc->wsi);
	return 0;
}

static int on_writable(struct hub_client *hc, struct lws *wsi)
{
	struct msg *m = hc->txq;
	int n;

	if (!m)
		return 0;
	n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_BINARY);
	if (n < (int)m->len)
		return -1;
	hc->txq = m->next;
	if (!hc->txq)
		hc->txq_tail = &hc->txq;
	free(m);
	if (hc->txq)
		lws_callback_on_writable(wsi);
	return 0;
}

static int on_receive(struct hub_client *hc, struct lws *wsi, const void *in,
		      size_t len)
{
	if (!hc->rx_too_big) {
		if (hc->rx_len + len > RX_MAX) {
			log_warn("%s: hub message over %u bytes dropped",
				 hc->name, RX_MAX);
			hc->rx_too_big = true;
		} else {
			char *p = realloc(hc->rx, hc->rx_len + len + 1);

			if (!p)
				return -1;
			hc->rx = p;
			memcpy(hc->rx + hc->rx_len, in, len);
			hc->rx_len += len;
		}
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (!hc->rx_too_big && hc->chan)
		rpc_input(hc->chan, hc->rx, hc->rx_len);
	free(hc->rx);
	hc->rx = NULL;
	hc->rx_len = 0;
	hc->rx_too_big = false;
	return 0;
}

static int append_headers(struct hub_client *hc, struct lws *wsi, void *in,
			  size_t len)
{
	unsigned char **p = in, *end = *p + len;
	char value[1024];
	int n;

	if (!hc->token)
		return 0;
	n = snprintf(value, sizeof(value), "Bearer %s", hc->token);
	if (n < 0 || (size_t)n >= sizeof(value))
		return -1;
	return lws_add_http_header_by_name(wsi,
			(const unsigned char *)"authorization:",
			(const unsigned char *)value, n, p, end) ? -1 : 0;
}

/* Keeps the code and reason of the hub's close frame (RFC 6455 5.5.1). */
static void peer_closed(struct hub_client *hc, const unsigned char *in,
			size_t len)
{
	char reason[160];

	if (!in || len < 2)
		return;
	log_escape(reason, sizeof(reason), (const char *)in + 2, len - 2,
		   LOG_ESC_MAX);
	snprintf(hc->closed, sizeof(hc->closed),
		 "the hub closed the connection: %u %s",
		 (unsigned int)(in[0] << 8 | in[1]), reason);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct hub_client *hc = user;

	/*
	 * Only these carry our hub_client as user (the vhost's others, e.g.
	 * the certificate check, carry OpenSSL's data).
	 */
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
	case LWS_CALLBACK_CLIENT_RECEIVE:
	case LWS_CALLBACK_CLIENT_WRITEABLE:
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
	case LWS_CALLBACK_WSI_DESTROY:
		break;
	default:
		return 0;
	}
	/* an old connection of this client, or one of a freed client */
	if (!hc || (hc->wsi && hc->wsi != wsi))
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return append_headers(hc, wsi, in, len);
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		hc->up_since_ms = loop_now_ms();
		hc->closed[0] = '\0';
		hc->chan = rpc_chan_new(hc->methods, rpc_send, hc);
		if (!hc->chan)
			return -1;
		rpc_chan_set_name(hc->chan, hc->name);
		log_notice("%s: connected to the hub at %s", hc->name, hc->url);
		if (hc->ops && hc->ops->up)
			hc->ops->up(hc, hc->chan, hc->arg);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return on_receive(hc, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writable(hc, wsi);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (loop_timer_armed(hc->retry))
			return 0;
		went_down(hc, in && len ? log_esc(in) :
			  "connection failed");
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		peer_closed(hc, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!hc->wsi)
			return 0;
		went_down(hc, hc->closed[0] ? hc->closed : "connection closed");
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (hc->wsi == wsi)
			went_down(hc, "connection lost");
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ "nmb-hub-client", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Its lines may quote what the hub sent: escaped. */
static void lws_log(int level, const char *line)
{
	char buf[1100];
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_escape(buf, sizeof(buf), line, n, 256);
	if (level & LLL_ERR)
		log_warn("libwebsockets: %s", buf);
	else
		log_debug("libwebsockets: %s", buf);
}

int hub_lws_new(struct loop *loop, const char *ca_file, struct hub_lws **out)
{
	struct lws_context_creation_info info;
	void *foreign[1] = { loop_uv(loop) };
	struct hub_lws *hl = calloc(1, sizeof(*hl));

	if (!hl)
		return -ENOMEM;
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		       LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
	info.foreign_loops = foreign;
	info.client_ssl_ca_filepath = ca_file;
	info.ka_time = 30;
	info.ka_probes = 3;
	info.ka_interval = 10;
	info.gid = -1;
	info.uid = -1;
	hl->ctx = lws_create_context(&info);
	if (!hl->ctx) {
		log_err("libwebsockets cannot run on the libuv event loop; install the Debian package libwebsockets-evlib-uv");
		free(hl);
		return -ELIBACC;
	}
	hl->loop = loop;
	*out = hl;
	return 0;
}

/*
 * On a foreign loop, lws_context_destroy() closes every connection and
 * starts closing lws's handles; once the loop has run their close
 * callbacks, the second call frees the context.
 */
void hub_lws_free(struct hub_lws *hl)
{
	if (!hl)
		return;
	if (hl->clients) {
		/* their wsi would outlive the context: a caller's bug */
		log_err("hub_lws_free: %u hub client(s) not freed; the libwebsockets context is kept",
			hl->clients);
		return;
	}
	lws_context_destroy(hl->ctx);
	loop_settle(hl->loop);
	lws_context_destroy(hl->ctx);
	free(hl);
}

struct lws_context *hub_lws_context(const struct hub_lws *hl)
{
	return hl->ctx;
}

struct loop *hub_lws_loop(const struct hub_lws *hl)
{
	return hl->loop;
}

int hub_client_proxy_vhost(const struct hub_client *hc, struct lws_vhost *vh)
{
	char proxy[URL_HOST_MAX + 8];

	if (hc->proxied && !hc->via_addr[0])
		return -EAGAIN;
	/*
	 * lws_set_proxy() takes "ADDRESS:PORT"; port 0 turns the proxy off,
	 * undoing what libwebsockets read from http_proxy on its own (it
	 * knows neither https_proxy nor no_proxy).
	 */
	if (hc->proxied)
		snprintf(proxy, sizeof(proxy), "%s:%u", hc->via_addr,
			 hc->via.port);
	else
		snprintf(proxy, sizeof(proxy), ":0");
	return lws_set_proxy(vh, proxy) ? -EINVAL : 0;
}

static void connect_to(struct hub_client *hc, const char *addr)
{
	struct lws_client_connect_info i;
	struct lws_vhost *vh = lws_get_vhost_by_name(hc->hl->ctx, "default");

	if (!vh || hub_client_proxy_vhost(hc, vh)) {
		log_warn("%s: cannot set up the connection to %s%s%s; retrying",
			 hc->name, hc->url, hc->proxied ? " through proxy " :
			 "", hc->proxied ? hc->via.url : "");
		schedule_retry(hc);
		return;
	}
	memset(&i, 0, sizeof(i));
	i.context = hc->hl->ctx;
	i.vhost = vh;
	i.address = addr;
	i.port = hc->port;
	i.path = hc->path;
	i.host = hc->host;	/* Host header, TLS name check */
	i.userdata = hc;
	i.pwsi = &hc->wsi;
	i.protocol = NULL;	/* no Sec-WebSocket-Protocol */
	i.local_protocol_name = protocols[0].name;
	if (hc->tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (hc->insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
					    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
					    LCCSCF_ALLOW_EXPIRED |
					    LCCSCF_ALLOW_INSECURE;
	}
	log_debug("%s: connecting to %s (%s)", hc->name, hc->url, addr);
	if (!lws_client_connect_via_info(&i)) {
		hc->wsi = NULL;
		if (!loop_timer_armed(hc->retry)) {
			log_warn("%s: cannot connect to %s; retrying",
				 hc->name, hc->url);
			schedule_retry(hc);
		}
	}
}

static void on_resolved(struct addrinfo *ai, int err, void *arg)
{
	struct hub_client *hc = arg;
	char addr[INET6_ADDRSTRLEN];
	bool ok;

	hc->res = NULL;
	if (err) {
		log_warn("%s: cannot resolve %s%s: %s; retrying", hc->name,
			 hc->proxied ? "the proxy " : "",
			 hc->proxied ? hc->via.host : hc->host,
			 resolve_strerror(err));
		schedule_retry(hc);
		return;
	}
	ok = !resolve_ntop(ai, addr, sizeof(addr));
	freeaddrinfo(ai);
	if (!ok) {
		log_warn("%s: cannot resolve %s: unusable address; retrying",
			 hc->name, hc->proxied ? hc->via.host : hc->host);
		schedule_retry(hc);
		return;
	}
	if (hc->proxied) {	/* the proxy resolves the hub's name */
		snprintf(hc->via_addr, sizeof(hc->via_addr), "%s", addr);
		connect_to(hc, hc->host);
		return;
	}
	connect_to(hc, addr);
}

static void connect_now(struct loop_timer *t, void *arg)
{
	struct hub_client *hc = arg;
	unsigned char buf[sizeof(struct in6_addr)];
	const struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG,
	};

	const char *name = hc->proxied ? hc->via.host : hc->host;

	(void)t;
	if (hc->res)
		return;
	if (inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1) {
		if (hc->proxied)
			snprintf(hc->via_addr, sizeof(hc->via_addr), "%s",
				 name);
		connect_to(hc, hc->host);
		return;
	}
	hc->res = resolve_start(hc->loop, name, NULL, &hints, on_resolved,
				hc);
	if (!hc->res) {
		log_warn("%s: cannot resolve %s: %s; retrying", hc->name,
			 name, strerror(errno));
		schedule_retry(hc);
	}
}

/* ws[s]://host[:port][/prefix] -> host, port, "<prefix>/ws" */
static int parse_url(struct hub_client *hc)
{
	struct url u;

	if (url_parse(hc->url, &u, NULL))
		return -EINVAL;
	hc->tls = u.tls;
	hc->port = (int)u.port;
	hc->host = strdup(u.host);
	if (asprintf(&hc->path, "%s/ws", u.path) < 0)
		hc->path = NULL;
	return hc->host && hc->path ? 0 : -ENOMEM;
}

/* The outbound proxy for the hub, if any: logged once, here. */
static int route(struct hub_client *hc, const char *configured)
{
	char err[300];
	int n = proxy_route_for(configured, hc->host, hc->tls, &hc->via, err,
				sizeof(err));

	if (n < 0) {
		log_err("%s: %s; fix it or set no_proxy", hc->name, err);
		return -EDESTADDRREQ;
	}
	hc->proxied = n > 0;
	if (hc->proxied)
		log_info("%s: the hub at %s is reached through proxy %s (%s)",
			 hc->name, hc->url, hc->via.url, hc->via.source);
	return 0;
}

int hub_client_new(struct hub_lws *hl, const struct hub_client_conf *conf,
		   struct hub_client **out)
{
	struct hub_client *hc = calloc(1, sizeof(*hc));
	int err;

	if (!hc)
		return -ENOMEM;
	hc->hl = hl;
	hl->clients++;
	hc->loop = hl->loop;
	hc->url = strdup(conf->url);
	hc->token = conf->token ? strdup(conf->token) : NULL;
	hc->name = strdup(conf->name ? conf->name : "hub");
	hc->insecure = conf->insecure;
	hc->methods = conf->methods;
	hc->ops = conf->ops;
	hc->arg = conf->arg;
	hc->txq_tail = &hc->txq;
	if (!hc->url || !hc->name || (conf->token && !hc->token)) {
		hub_client_free(hc);
		return -ENOMEM;
	}
	err = parse_url(hc);
	if (!err)
		err = route(hc, conf->proxy);
	hc->retry = loop_timer_new(hc->loop, connect_now, hc);
	if (!err && !hc->retry)
		err = -ENOMEM;
	if (err) {
		hub_client_free(hc);
		return err;
	}
	loop_timer_set(hc->retry, 0);
	*out = hc;
	return 0;
}

void hub_client_free(struct hub_client *hc)
{
	if (!hc)
		return;
	hc->hl->clients--;
	if (hc->wsi) {
		lws_set_wsi_user(hc->wsi, NULL);
		lws_set_timeout(hc->wsi, PENDING_TIMEOUT_USER_OK,
				LWS_TO_KILL_ASYNC);
		/*
		 * Called from outside lws: its timer on the libuv loop is
		 * re-armed only when lws next services, so wake it now.
		 */
		lws_cancel_service(hc->hl->ctx);
		hc->wsi = NULL;
	}
	if (hc->chan) {
		rpc_chan_close(hc->chan);
		rpc_chan_free(hc->chan);
	}
	drop_queue(hc);
	resolve_cancel(hc->res);
	loop_timer_free(hc->retry);
	free(hc->url);
	free(hc->token);
	free(hc->name);
	free(hc->host);
	free(hc->path);
	free(hc);
}

void *hub_client_arg(const struct hub_client *hc)
{
	return hc->arg;
}

struct rpc_chan *hub_client_chan(const struct hub_client *hc)
{
	return hc->chan;
}

void hub_client_hurry(struct hub_client *hc, bool on)
{
	hc->hurry = on;
	if (on && !hc->wsi && loop_timer_armed(hc->retry))
		loop_timer_set(hc->retry, BACKOFF_MIN_MS);
}

void hub_client_reconnect(struct hub_client *hc)
{
	if (!hc->wsi)
		return;
	lws_set_timeout(hc->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	lws_cancel_service(hc->hl->ctx);	/* as in hub_client_free() */
}

int hub_client_peer(const struct hub_client *hc, char *addr, size_t len)
{
	if (!hc->wsi || !hc->chan || !lws_get_peer_simple(hc->wsi, addr, len))
		return -ENOTCONN;
	return 0;
}

const struct proxy_route *hub_client_proxy(const struct hub_client *hc)
{
	return hc->proxied ? &hc->via : NULL;
}

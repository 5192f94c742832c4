/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hub_client.h - a WebSocket client connection to the hub (libwebsockets
 * on lib/loop) carrying a lib/jsonrpc channel, reconnecting with backoff.
 *
 * Wire form of not-my-board 0.13 (§2): GET <path>/ws, no subprotocol, no
 * extension, one JSON-RPC message per binary frame (text frames are
 * accepted), TCP keepalive idle 30 s, interval 10 s, 3 probes; the hub's
 * pings are answered by libwebsockets.
 *
 *	static const struct hub_client_ops ops = { .up = on_up,
 *						    .down = on_down };
 *	struct hub_client_conf hc = { .url = "ws://hub:2092",
 *		.name = "place rpi-3", .methods = methods, .ops = &ops,
 *		.arg = place };
 *	hub_client_new(loop, &hc, &client);
 *	...on_up(client, chan, arg): rpc_call(chan, "register_place", ...)
 *	...on_down(client, arg): the channel is gone; a new attempt follows
 *	   after 1, 2, 4 ... 30 s (reset once a connection lasted 30 s).
 *
 * Handlers in methods get the struct hub_client * as their ctx;
 * hub_client_arg() gives back conf->arg.
 *
 * Through an outbound HTTP proxy (conf->proxy, or the environment as
 * lib/proxy_env reads it), libwebsockets opens the connection with
 * "CONNECT host:port" to the proxy; the hub's name is then resolved by
 * the proxy, the proxy's own name here with lib/resolve.
 */
#ifndef NMB_HUB_CLIENT_H
#define NMB_HUB_CLIENT_H

#include <stdbool.h>

#include "jsonrpc.h"

struct loop;
struct lws;
struct lws_context;
struct lws_vhost;
struct hub_lws;
struct hub_client;
struct proxy_route;

struct hub_client_ops {
	/* Connected: chan is usable until down() runs. */
	void (*up)(struct hub_client *hc, struct rpc_chan *chan, void *arg);
	/* Disconnected (or the attempt failed); why is for the log. */
	void (*down)(struct hub_client *hc, const char *why, void *arg);
};

struct hub_client_conf {
	const char *url;		/* ws://, wss://, http://, https:// */
	const char *token;		/* NULL: no Authorization header */
	/*
	 * The proxy: key (lib/proxy_env): NULL takes https_proxy /
	 * http_proxy / no_proxy from the environment, PROXY_DIRECT none.
	 */
	const char *proxy;
	bool insecure;			/* skip certificate checks */
	const char *name;		/* "place rpi-3", for log lines */
	const struct rpc_method *methods;
	const struct hub_client_ops *ops;
	void *arg;
};

/*
 * The libwebsockets context a daemon's hub clients share, on the
 * daemon's loop; the daemon's context owns it. ca_file: the CA bundle
 * (NULL: the system store). -ELIBACC (and a log line naming the
 * package) if libwebsockets cannot load its libuv event library.
 */
int hub_lws_new(struct loop *loop, const char *ca_file, struct hub_lws **out);
/*
 * Once every client of hl is freed; outside the loop's callbacks (it
 * runs the loop to close lws's handles). NULL is ignored.
 */
void hub_lws_free(struct hub_lws *hl);
/*
 * For other HTTP requests on the clients' context (the agent's place
 * list): it runs on the daemon's libuv loop, so another vhost's sockets
 * need no glue.
 */
struct lws_context *hub_lws_context(const struct hub_lws *hl);
struct loop *hub_lws_loop(const struct hub_lws *hl);

/*
 * Checks the URL and starts connecting, on hl's loop. Strings are
 * copied. -EDESTADDRREQ (logged) if the proxy setting is not usable.
 */
int hub_client_new(struct hub_lws *hl, const struct hub_client_conf *conf,
		   struct hub_client **out);
void hub_client_free(struct hub_client *hc);
void *hub_client_arg(const struct hub_client *hc);
/* The channel while connected, else NULL. */
struct rpc_chan *hub_client_chan(const struct hub_client *hc);
/* Closes the connection now; a new attempt follows after the backoff. */
void hub_client_reconnect(struct hub_client *hc);
/*
 * While on, a disconnected client tries again every second instead of
 * backing off up to 30 s (something waits for the connection).
 */
void hub_client_hurry(struct hub_client *hc, bool on);
/*
 * The hub's address as connected, to reach the same server without a
 * name lookup (the agent's place list); -ENOTCONN while down.
 */
int hub_client_peer(const struct hub_client *hc, char *addr, size_t len);
/*
 * The outbound HTTP proxy the hub connection goes through, or NULL when
 * it goes direct; for the daemon's other connections to the server.
 */
const struct proxy_route *hub_client_proxy(const struct hub_client *hc);
/*
 * Sets vh's proxy as the hub connection's (the address it resolved),
 * or none, whatever libwebsockets took from http_proxy itself. For
 * another vhost on hub_lws_context() talking to the server.
 * 0, or -EAGAIN while the proxy's name is not resolved yet.
 */
int hub_client_proxy_vhost(const struct hub_client *hc, struct lws_vhost *vh);

#endif /* NMB_HUB_CLIENT_H */

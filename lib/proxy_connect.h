/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proxy_connect.h - an HTTP CONNECT exchange on the loop, for every
 * outbound tunnel: the agent's to an exporter's place port (or a
 * relay), and any data connection that must cross an outbound HTTP
 * proxy (lib/proxy_env) to reach the server.
 *
 *	struct proxy_connect_conf c = {
 *		.host = "10.0.0.5", .port = 2192,
 *		.target = "usb.not-my-board.localhost:3240",
 *		.bearer = secret,		// or NULL
 *		.via = &route,			// or NULL: direct
 *		.what = "exporter",
 *	};
 *	pc = proxy_connect_open(loop, &c, on_done, arg);
 *	...on_done(arg, 0, NULL, fd, early, n): fd is the caller's
 *	...on_done(arg, -EACCES, "exporter 10.0.0.5:2192: ...", -1, ...)
 *	proxy_connect_cancel(pc);	// on_done is never called
 *
 * The TCP connection goes to host:port (a name is resolved on the loop
 * with lib/resolve), or with via to the proxy, which is asked "CONNECT
 * host:port" first. Then, if target is set, "CONNECT target" with
 * "Proxy-Authorization: Bearer" when bearer is set. Only status 200
 * opens a tunnel. Without target the socket is the raw stream to
 * host:port. Bytes after the last answer's head are handed over.
 */
#ifndef NMB_PROXY_CONNECT_H
#define NMB_PROXY_CONNECT_H

#include <stddef.h>

struct loop;
struct proxy_connect;
struct proxy_route;

#define PROXY_CONNECT_HEAD_MAX	4096	/* an answer head beyond: error */

struct proxy_connect_conf {
	const char *host;
	unsigned int port;
	const char *target;		/* NULL: no CONNECT of our own */
	const char *bearer;		/* NULL: no Proxy-Authorization */
	const struct proxy_route *via;	/* NULL: direct */
	const char *what;		/* "exporter", for messages */
};

/*
 * err 0: fd is the connected socket (the callee's), early the bytes
 * received after the head. err < 0: fd is -1 and msg says what failed,
 * naming the proxy when it was the proxy: -EACCES for a 403 of the
 * target, -EPROTO for another status or no HTTP, -errno else.
 */
typedef void (*proxy_connect_cb)(void *arg, int err, const char *msg,
				 int fd, const char *early, size_t early_len);

/* Strings are copied. NULL (errno) if it cannot even start. */
struct proxy_connect *proxy_connect_open(struct loop *loop,
					 const struct proxy_connect_conf *c,
					 proxy_connect_cb cb, void *arg);
/*
 * As proxy_connect_open() on fd, a stream already connected to c->host
 * (e.g. through TLS, lib/tls_relay): only c->target's CONNECT is sent
 * (c->via is ignored). fd is the callee's from now on, even on error.
 */
struct proxy_connect *proxy_connect_adopt(struct loop *loop, int fd,
					  const struct proxy_connect_conf *c,
					  proxy_connect_cb cb, void *arg);
void proxy_connect_cancel(struct proxy_connect *pc);

#endif /* NMB_PROXY_CONNECT_H */

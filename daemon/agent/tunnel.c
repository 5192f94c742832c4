// SPDX-License-Identifier: GPL-2.0
/*
 * tunnel.c - one HTTP CONNECT tunnel to an exporter's place port (wire
 * note §6) on lib/proxy_connect, with the reservation's secret as
 * "Proxy-Authorization: Bearer" when the server gave one. A place whose
 * host is the server's own (the server relays it) is a connection to
 * the server, so it crosses the agent's outbound HTTP proxy, if any;
 * every other exporter is reached directly.
 *
 * A place listed with relay_tls (protocol.rst, "TLS on the relay") is
 * reached over TLS: the raw stream first (through the proxy if any),
 * then a TLS 1.2 handshake that verifies the relay's certificate with
 * the CA of the server connection against the server URL's host
 * (lib/tls_relay), then the CONNECT inside TLS. With kernel TLS the
 * socket itself goes on to vhci-hcd or the TCP forward; without it, the
 * plain end of a user-space pump does (slower; logged), and the pump
 * stays in a->tls_pumps until both ways ended.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "agent.h"
#include "hub_client.h"
#include "log.h"
#include "proxy_connect.h"
#include "tls_pump.h"
#include "tls_relay.h"
#include "tunnel.h"

struct tunnel {
	struct agent *a;
	struct proxy_connect *pc;
	struct tls_handshake *hs;
	char *host, *target, *secret;	/* for the CONNECT inside TLS */
	unsigned int port;
	int fd;				/* during the handshake */
	tunnel_cb cb;
	void *arg;
};

/* A user-space TLS pump of a tunnel handed on. */
struct tunnel_pump {
	struct list_head node;		/* a->tls_pumps */
	struct tls_pump *tp;
};

static void wipe(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void tunnel_free(struct tunnel *t)
{
	proxy_connect_cancel(t->pc);
	tls_handshake_cancel(t->hs);
	if (t->fd >= 0)
		close(t->fd);
	free(t->host);
	free(t->target);
	wipe(t->secret);
	free(t);
}

static void done(void *arg, int err, const char *msg, int fd,
		 const char *early, size_t early_len)
{
	struct tunnel *t = arg;

	t->pc = NULL;
	t->cb(t->arg, err, msg, fd, early, early_len);
	tunnel_free(t);
}

static void fail(struct tunnel *t, int err, const char *msg)
{
	tunnel_cb cb = t->cb;
	void *arg = t->arg;

	tunnel_free(t);
	cb(arg, err, msg, -1, NULL, 0);
}

static void pump_free(struct tunnel_pump *tp)
{
	list_del(&tp->node);
	tls_pump_free(tp->tp);
	free(tp);
}

static void pump_done(struct tls_pump *p, int err, void *arg)
{
	(void)p;
	(void)err;
	pump_free(arg);
}

static void tls_done(void *arg, const struct tls_result *r)
{
	struct tunnel *t = arg;
	struct proxy_connect_conf c = {
		.host = t->host, .port = t->port, .target = t->target,
		.bearer = t->secret, .what = "relay",
	};
	struct tunnel_pump *tp;
	char msg[400];

	t->hs = NULL;
	if (r->err) {
		snprintf(msg, sizeof(msg), "relay %s:%u: %s", t->host, t->port,
			 r->msg);
		fail(t, r->err, msg);	/* closes the socket */
		return;
	}
	t->fd = -1;	/* r->fd is the plain stream now */
	if (r->pump) {
		tp = calloc(1, sizeof(*tp));
		if (!tp) {
			tls_pump_free(r->pump);
			close(r->fd);
			fail(t, -ENOMEM, "out of memory");
			return;
		}
		tp->tp = r->pump;
		list_add_tail(&tp->node, &t->a->tls_pumps);
		tls_pump_on_done(r->pump, pump_done, tp);
		log_warn("relay %s:%u: TLS 1.2 in user space, the slower path: kernel TLS not available (is the tls module loaded?)",
			 t->host, t->port);
	} else {
		log_info("relay %s:%u: TLS 1.2, kernel TLS both ways", t->host,
			 t->port);
	}
	t->pc = proxy_connect_adopt(t->a->loop, r->fd, &c, done, t);
	if (!t->pc)
		fail(t, -errno, "cannot send CONNECT to the relay");
}

/* The raw stream to the relay is up: TLS on it. */
static void raw_done(void *arg, int err, const char *msg, int fd,
		     const char *early, size_t early_len)
{
	struct tunnel *t = arg;
	struct agent *a = t->a;
	char why[256];

	(void)early;
	t->pc = NULL;
	if (err) {
		fail(t, err, msg);
		return;
	}
	t->fd = fd;
	if (early_len) {
		fail(t, -EPROTO, "the relay's proxy sent bytes before TLS");
		return;
	}
	if (!a->relay_tls)
		a->relay_tls = tls_relay_client_ctx(a->cfg.ca_file,
						    !a->cfg.insecure, why,
						    sizeof(why));
	if (!a->relay_tls) {
		fail(t, -EINVAL, why);
		return;
	}
	t->hs = tls_handshake_start(a->loop, a->relay_tls, fd, a->url.host,
				    tls_done, t);
	if (!t->hs)
		fail(t, -errno, "cannot start TLS to the relay");
}

struct tunnel *tunnel_open(struct agent *a, const char *host,
			   unsigned int port, const char *target,
			   const char *secret, bool tls, tunnel_cb cb,
			   void *arg)
{
	const struct proxy_route *via = a->hub ? hub_client_proxy(a->hub) :
						 NULL;
	struct proxy_connect_conf c = {
		.host = host,
		.port = port,
		.target = tls ? NULL : target,	/* inside TLS, later */
		.bearer = secret && secret[0] ? secret : NULL,
		.what = tls ? "relay" : "exporter",
	};
	struct tunnel *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->a = a;
	t->fd = -1;
	t->port = port;
	if (via && !strcasecmp(host, a->url.host))
		c.via = via;
	t->cb = cb;
	t->arg = arg;
	if (tls) {
		t->host = strdup(host);
		t->target = strdup(target);
		t->secret = c.bearer ? strdup(c.bearer) : NULL;
		if (!t->host || !t->target || (c.bearer && !t->secret)) {
			tunnel_free(t);
			return NULL;
		}
	}
	t->pc = proxy_connect_open(a->loop, &c, tls ? raw_done : done, t);
	if (!t->pc) {
		tunnel_free(t);
		return NULL;
	}
	return t;
}

void tunnel_cancel(struct tunnel *t)
{
	if (t)
		tunnel_free(t);
}

void tunnel_stop_all(struct agent *a)
{
	while (!list_empty(&a->tls_pumps))
		pump_free(list_first_entry(&a->tls_pumps, struct tunnel_pump,
					   node));
	SSL_CTX_free(a->relay_tls);
	a->relay_tls = NULL;
}

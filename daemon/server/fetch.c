// SPDX-License-Identifier: GPL-2.0
/*
 * fetch.c - HTTPS GETs to identity providers with libwebsockets' HTTP
 * client on the server's own context (a client-only vhost per CA file,
 * made on first use), after lib/resolve has found the address; bodies
 * chunked, with a Content-Length or until close. The result reaches the
 * caller from a zero-delay timer, never from inside an lws callback.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libwebsockets.h>

#include "fetch.h"
#include "http_cache.h"
#include "log.h"
#include "loop.h"
#include "resolve.h"
#include "server.h"
#include "url.h"

#define VHOST_NAME	"nmb-idp-client"

struct srv_fetch {
	struct server *srv;
	struct url u;
	char *ca_file;
	struct resolve *res;
	struct lws *wsi;
	struct loop_timer *timer;	/* timeout, then the answer */
	bool done;
	time_t t0;
	int status;
	long fresh_s;
	char *buf;
	size_t len, cap, max;
	char err[256];
	srv_fetch_cb cb;
	void *arg;
};

static void let_go(struct srv_fetch *f)
{
	if (!f->wsi)
		return;
	lws_set_wsi_user(f->wsi, NULL);
	lws_set_timeout(f->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	f->wsi = NULL;
}

void srv_fetch_cancel(struct srv_fetch *f)
{
	if (!f)
		return;
	resolve_cancel(f->res);
	let_go(f);
	loop_timer_free(f->timer);
	free(f->ca_file);
	free(f->buf);
	free(f);
}

/* The answer is known: the callback runs from the loop. */
static void finish(struct srv_fetch *f, const char *err)
{
	if (f->done)
		return;
	if (err)
		snprintf(f->err, sizeof(f->err), "%s", err);
	f->done = true;
	let_go(f);
	loop_timer_set(f->timer, 0);
}

static void on_timer(struct loop_timer *t, void *arg)
{
	struct srv_fetch *f = arg;
	struct srv_fetch_result r = { 0 };

	(void)t;
	if (!f->done) {
		finish(f, "no answer within 10 s");
		return;
	}
	if (!f->err[0] && !f->status)
		snprintf(f->err, sizeof(f->err), "no HTTP answer");
	r.err = f->err[0] ? f->err : NULL;
	r.status = f->status;
	r.body = f->buf ? f->buf : "";
	r.len = f->len;
	r.fresh_s = f->fresh_s;
	f->cb(f->arg, &r);
	srv_fetch_cancel(f);
}

static int body(struct srv_fetch *f, const char *in, size_t len)
{
	if (f->len + len > f->max) {
		finish(f, "answer too large");
		return -1;
	}
	if (f->len + len + 1 > f->cap) {
		size_t cap = f->max + 1;
		char *p = realloc(f->buf, cap);

		if (!p) {
			finish(f, "out of memory");
			return -1;
		}
		f->buf = p;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, in, len);
	f->len += len;
	f->buf[f->len] = '\0';
	return 0;
}

/* A response header's value, or NULL. */
static const char *header(struct lws *wsi, enum lws_token_indexes tok,
			  char *buf, size_t size)
{
	return lws_hdr_copy(wsi, buf, (int)size, tok) > 0 ? buf : NULL;
}

static void established(struct srv_fetch *f, struct lws *wsi)
{
	char cc[256], exp[64], date[64], age[32];

	f->status = (int)lws_http_client_http_response(wsi);
	f->fresh_s = http_cache_lifetime(
		header(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, cc, sizeof(cc)),
		header(wsi, WSI_TOKEN_HTTP_EXPIRES, exp, sizeof(exp)),
		header(wsi, WSI_TOKEN_HTTP_DATE, date, sizeof(date)),
		header(wsi, WSI_TOKEN_HTTP_AGE, age, sizeof(age)), f->t0);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct srv_fetch *f = user;
	char buf[4096 + LWS_PRE], *px = buf + LWS_PRE, why[160];
	int lenx = sizeof(buf) - LWS_PRE;
	unsigned char **p;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		break;
	default:
		return 0;
	}
	if (!f || f->done)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		p = in;
		return lws_add_http_header_by_token(wsi,
				WSI_TOKEN_HTTP_ACCEPT,
				(const unsigned char *)"application/json", 16,
				p, *p + len) ? -1 : 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		established(f, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		return body(f, in, len);
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		finish(f, NULL);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		f->wsi = NULL;
		snprintf(why, sizeof(why), "%s",
			 in && len ? log_esc(in) : "connection failed");
		finish(f, why);
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		f->wsi = NULL;
		if (f->status)
			finish(f, NULL);	/* a body up to the close */
		else
			finish(f, "connection closed without an answer");
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ "nmb-idp-fetch", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/*
 * The client vhost (auth.ca_file, the one CA bundle of the server): made
 * once, kept in the context, destroyed with it. libwebsockets keeps the
 * name's pointer.
 */
static struct lws_vhost *vhost_get(struct server *srv, const char *ca_file)
{
	struct lws_context_creation_info info;

	if (srv->idp_vhost)
		return srv->idp_vhost;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.vhost_name = VHOST_NAME;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_filepath = ca_file;
	info.gid = -1;
	info.uid = -1;
	srv->idp_vhost = lws_create_vhost(srv->ctx, &info);
	return srv->idp_vhost;
}

static void connect_to(struct srv_fetch *f, const char *addr)
{
	struct lws_client_connect_info i;
	char authority[URL_HOST_MAX + 16], path[URL_PATH_MAX + 2];

	memset(&i, 0, sizeof(i));
	i.context = f->srv->ctx;
	i.vhost = vhost_get(f->srv, f->ca_file);
	if (!i.vhost)
		return finish(f, "cannot set up libwebsockets' HTTPS client");
	url_authority(&f->u, authority, sizeof(authority));
	snprintf(path, sizeof(path), "%s", f->u.path[0] ? f->u.path : "/");
	i.address = addr;
	i.port = (int)f->u.port;
	i.path = path;
	i.host = authority;	/* Host header, TLS name check */
	i.method = "GET";
	i.userdata = f;
	i.pwsi = &f->wsi;
	i.local_protocol_name = protocols[0].name;
	i.ssl_connection = LCCSCF_USE_SSL;
	if (!lws_client_connect_via_info(&i) && !f->done) {
		f->wsi = NULL;
		finish(f, "cannot start the connection");
	}
}

static void on_resolved(struct addrinfo *ai, int err, void *arg)
{
	struct srv_fetch *f = arg;
	char addr[INET6_ADDRSTRLEN], why[160];
	const void *a;

	f->res = NULL;
	if (err) {
		snprintf(why, sizeof(why), "cannot resolve %s: %s",
			 log_esc(f->u.host), resolve_strerror(err));
		return finish(f, why);
	}
	a = ai->ai_family == AF_INET6 ?
		(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr :
		(const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	if (!inet_ntop(ai->ai_family, a, addr, sizeof(addr))) {
		freeaddrinfo(ai);
		return finish(f, "no usable address");
	}
	freeaddrinfo(ai);
	connect_to(f, addr);
}

struct srv_fetch *srv_fetch_start(struct server *srv, const char *url,
				  const char *ca_file, size_t max,
				  srv_fetch_cb cb, void *arg)
{
	const struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct srv_fetch *f;

	if (strncmp(url, "https://", 8) != 0 || !srv->ctx)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->srv = srv;
	f->cb = cb;
	f->arg = arg;
	f->max = max;
	f->t0 = time(NULL);
	if (url_parse(url, &f->u, NULL) ||
	    (ca_file && !(f->ca_file = strdup(ca_file))))
		goto fail;
	f->timer = loop_timer_new(srv->loop, on_timer, f);
	if (!f->timer)
		goto fail;
	loop_timer_set(f->timer, SRV_FETCH_TIMEOUT_S * 1000ull);
	f->res = resolve_start(srv->loop, f->u.host, NULL, &hints,
			       on_resolved, f);
	if (!f->res)
		goto fail;
	return f;
fail:
	srv_fetch_cancel(f);
	return NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * places.c - GET <server>/api/v1/places (wire note §1) with
 * libwebsockets' own HTTP client, on the context the hub connection
 * runs on (lib/hub_client): plain or TLS like the hub connection,
 * chunked, Content-Length or until-close bodies, to the address the hub
 * connection has (no name lookup, nothing blocks the loop), so only
 * while connected; through the hub connection's outbound HTTP proxy when
 * it has one (to the server's name then, which the proxy looks up). The body is parsed with
 * json-c; an answer that does not come within 10 s fails.
 *
 * The requests have their own vhost on that context (created with the
 * first one, with the agent's CA bundle), whose protocol is this file's
 * callback; libwebsockets destroys it with the context.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "agent.h"
#include "hub_client.h"
#include "log.h"
#include "loop.h"
#include "places.h"

#define BODY_MAX	(16u << 20)
#define TIMEOUT_MS	10000
#define VHOST_NAME	"nmb-agent-places"

struct places_req {
	struct agent *a;
	struct lws *wsi;		/* NULL once done */
	struct loop_timer *timer;	/* timeout, then the answer */
	bool done;
	int status;
	char *buf;
	size_t len, cap;
	char err[512];			/* set: failed */
	places_cb cb;
	void *arg;
};

/* Ends r's connection: libwebsockets closes it on its own time. */
static void let_go(struct places_req *r)
{
	if (!r->wsi)
		return;
	lws_set_wsi_user(r->wsi, NULL);
	lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	r->wsi = NULL;
}

static void req_free(struct places_req *r)
{
	let_go(r);
	loop_timer_free(r->timer);
	free(r->buf);
	free(r);
}

/* The answer is known (err set, or the body in): cb runs from the loop. */
static void finish(struct places_req *r, const char *fmt, const char *s)
{
	if (r->done)
		return;
	if (fmt)
		snprintf(r->err, sizeof(r->err), fmt, r->a->cfg.server,
			 s ? s : "");
	r->done = true;
	let_go(r);
	loop_timer_set(r->timer, 0);
}

static void deliver(struct places_req *r)
{
	json_object *o = NULL, *places = NULL;

	if (!r->err[0] && r->status != 200)
		snprintf(r->err, sizeof(r->err),
			 "server %s: the place list answered HTTP %d",
			 r->a->cfg.server, r->status);
	if (!r->err[0]) {
		o = json_tokener_parse(r->buf ? r->buf : "");
		if (!o || !json_object_object_get_ex(o, "places", &places) ||
		    !json_object_is_type(places, json_type_array))
			snprintf(r->err, sizeof(r->err),
				 "server %s: the place list is not {\"places\": [...]}",
				 r->a->cfg.server);
	}
	r->cb(r->arg, r->err[0] ? NULL : places, r->err[0] ? r->err : NULL);
	json_object_put(o);
	req_free(r);
}

static void on_timer(struct loop_timer *t, void *arg)
{
	struct places_req *r = arg;

	(void)t;
	if (!r->done)
		return finish(r, "server %s: no place list after 10 s%s", "");
	deliver(r);
}

static int body(struct places_req *r, const char *in, size_t len)
{
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 65536;
		char *p;

		while (cap < r->len + len + 1)
			cap *= 2;
		if (cap > BODY_MAX) {
			finish(r, "server %s: place list over 16 MiB%s", "");
			return -1;
		}
		p = realloc(r->buf, cap);
		if (!p) {
			finish(r, "server %s: %s", "out of memory");
			return -1;
		}
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, in, len);
	r->len += len;
	r->buf[r->len] = '\0';
	return 0;
}

static int add_headers(struct places_req *r, struct lws *wsi, void *in,
		       size_t len)
{
	unsigned char **p = in, *end = *p + len;
	static const char accept[] = "application/json";
	char value[1024];
	int n;

	if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ACCEPT,
					 (const unsigned char *)accept,
					 (int)strlen(accept), p, end))
		return -1;
	if (!r->a->cfg.token)
		return 0;
	n = snprintf(value, sizeof(value), "Bearer %s", r->a->cfg.token);
	if (n < 0 || (size_t)n >= sizeof(value))
		return -1;
	return lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
					    (const unsigned char *)value, n,
					    p, end) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct places_req *r = user;
	char buf[4096 + LWS_PRE], *px = buf + LWS_PRE;
	int lenx = sizeof(buf) - LWS_PRE;

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
		/* the others' user is not a request (an SSL_CTX, ...) */
		return 0;
	}
	/* a request let go has no user any more */
	if (!r || r->done)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return add_headers(r, wsi, in, len);
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		r->status = (int)lws_http_client_http_response(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		/* lws_http_client_read() undoes the chunked encoding */
		return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		return body(r, in, len);
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		finish(r, NULL, NULL);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		r->wsi = NULL;		/* libwebsockets closes it */
		finish(r, "server %s: cannot get the place list: %s",
		       in && len ? log_esc(in) : "connection failed");
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		r->wsi = NULL;
		/* a body without length or chunks ends with the connection */
		if (r->status == 200 && r->len)
			finish(r, NULL, NULL);
		else if (!r->status)
			finish(r, "server %s: no answer for the place list (connection closed or timed out)%s",
			       "");
		else
			finish(r, "server %s: the connection closed before the whole place list%s",
			       "");
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ "nmb-agent-places", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static struct lws_vhost *vhost_get(struct agent *a, struct lws_context *ctx)
{
	struct lws_context_creation_info info;
	struct lws_vhost *vh = lws_get_vhost_by_name(ctx, VHOST_NAME);

	if (vh)
		return vh;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.vhost_name = VHOST_NAME;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_filepath = a->cfg.ca_file;
	info.gid = -1;
	info.uid = -1;
	return lws_create_vhost(ctx, &info);
}

struct places_req *places_fetch(struct agent *a, places_cb cb, void *arg)
{
	struct lws_context *ctx = a->hub_lws ? hub_lws_context(a->hub_lws) :
				  NULL;
	struct lws_client_connect_info i;
	char addr[URL_HOST_MAX], authority[URL_HOST_MAX + 16], path[1200];
	struct places_req *r;

	if (!ctx || !a->hub || hub_client_peer(a->hub, addr, sizeof(addr)))
		return NULL;
	/* through the proxy, the proxy resolves the server's name */
	if (hub_client_proxy(a->hub))
		snprintf(addr, sizeof(addr), "%s", a->url.host);
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->a = a;
	r->cb = cb;
	r->arg = arg;
	r->timer = loop_timer_new(a->loop, on_timer, r);
	if (!r->timer)
		goto fail;
	url_authority(&a->url, authority, sizeof(authority));
	if (snprintf(path, sizeof(path), "%s/api/v1/places", a->url.path) >=
	    (int)sizeof(path))
		goto fail;
	memset(&i, 0, sizeof(i));
	i.context = ctx;
	i.vhost = vhost_get(a, ctx);
	if (!i.vhost || hub_client_proxy_vhost(a->hub, i.vhost)) {
		log_warn("server %s: cannot set up libwebsockets for the place list",
			 a->cfg.server);
		goto fail;
	}
	i.address = addr;
	i.port = (int)a->url.port;
	i.path = path;
	i.host = authority;		/* Host header, TLS name check */
	i.method = "GET";
	i.userdata = r;
	i.pwsi = &r->wsi;
	i.local_protocol_name = protocols[0].name;
	if (a->url.tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (a->cfg.insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
					    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
					    LCCSCF_ALLOW_EXPIRED |
					    LCCSCF_ALLOW_INSECURE;
	}
	loop_timer_set(r->timer, TIMEOUT_MS);
	if (!lws_client_connect_via_info(&i) && !r->done) {
		log_warn("server %s: cannot start the request for the place list",
			 a->cfg.server);
		goto fail;
	}
	return r;
fail:
	req_free(r);
	return NULL;
}

void places_cancel(struct places_req *r)
{
	if (r)
		req_free(r);
}

const char *places_host(const struct agent *a, json_object *place)
{
	json_object *h;
	const char *host;

	if (!json_object_object_get_ex(place, "host", &h))
		return a->url.host;
	host = json_object_get_string(h);
	return url_is_loopback(host) ? a->url.host : host;
}

json_object *places_find(json_object *places, const char *name, int id)
{
	for (size_t i = 0; i < json_object_array_length(places); i++) {
		json_object *p = json_object_array_get_idx(places, i), *v;

		if (name && json_object_object_get_ex(p, "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return p;
		if (!name && json_object_object_get_ex(p, "id", &v) &&
		    json_object_get_int(v) == id)
			return p;
	}
	return NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * http_client.c - libwebsockets' HTTP client on a daemon's context (a
 * client-only vhost per use, with the daemon's CA bundle, made on first
 * use), a name resolved by lib/resolve, one timer for the deadline and
 * for handing the answer over outside libwebsockets' callbacks;
 * lws_http_client_read() undoes a chunked encoding.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "http_cache.h"
#include "http_client.h"
#include "hub_client.h"
#include "log.h"
#include "loop.h"
#include "resolve.h"
#include "url.h"

#define TIMEOUT_DEFAULT_MS	10000
#define BODY_MAX_DEFAULT	((size_t)1 << 20)
#define VHOST_NAME		"nmb-http-client"

struct http_client_req {
	struct lws_context *ctx;
	struct loop *loop;
	time_t t0;
	struct url url;
	char authority[URL_HOST_MAX + 16];
	char *path, *form, *bearer, *address;
	struct http_client_opts o;
	struct resolve *res;
	struct lws *wsi;		/* NULL once let go */
	struct loop_timer *timer;	/* deadline, then the answer */
	bool done;
	int status;
	char *buf;
	size_t len, cap;
	char err[300];
	http_client_cb cb;
	void *arg;
};

static void let_go(struct http_client_req *r)
{
	if (!r->wsi)
		return;
	lws_set_wsi_user(r->wsi, NULL);
	lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	r->wsi = NULL;
}

static void req_free(struct http_client_req *r)
{
	let_go(r);
	resolve_cancel(r->res);
	loop_timer_free(r->timer);
	free(r->path);
	free(r->form);
	free(r->bearer);
	free(r->address);
	free(r->buf);
	free(r);
}

/* The answer is known; it reaches done from the timer. */
static void finish(struct http_client_req *r, const char *err)
{
	if (r->done)
		return;
	if (err)
		snprintf(r->err, sizeof(r->err), "%s", err);
	r->done = true;
	let_go(r);
	loop_timer_set(r->timer, 0);
}

static void on_timer(struct loop_timer *t, void *arg)
{
	struct http_client_req *r = arg;
	char msg[64];

	(void)t;
	if (!r->done) {
		snprintf(msg, sizeof(msg), r->status ?
			 "answer not complete after %u s" :
			 "no answer after %u s", r->o.timeout_ms / 1000);
		return finish(r, msg);
	}
	if (r->err[0])
		r->cb(r->arg, 0, NULL, 0, r->err);
	else
		r->cb(r->arg, r->status, r->buf ? r->buf : "", r->len, NULL);
	req_free(r);
}

static int body(struct http_client_req *r, const char *in, size_t len)
{
	char msg[64];

	if (r->len + len > r->o.body_max) {
		snprintf(msg, sizeof(msg), "body over %zu bytes",
			 r->o.body_max);
		finish(r, msg);
		return -1;
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;

		while (cap < r->len + len + 1)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p) {
			finish(r, "out of memory");
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

static int add_header(struct lws *wsi, enum lws_token_indexes tok,
		      const char *value, unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_token(wsi, tok,
					    (const unsigned char *)value,
					    (int)strlen(value), p, end);
}

static int add_headers(struct http_client_req *r, struct lws *wsi, void *in,
		       size_t len)
{
	unsigned char **p = in, *end = *p + len;
	char n[24];

	if (add_header(wsi, WSI_TOKEN_HTTP_ACCEPT, "application/json", p, end))
		return -1;
	if (r->bearer && add_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
				    r->bearer, p, end))
		return -1;
	if (!r->form)
		return 0;
	snprintf(n, sizeof(n), "%zu", strlen(r->form));
	if (add_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
		       "application/x-www-form-urlencoded", p, end) ||
	    add_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, n, p, end))
		return -1;
	lws_client_http_body_pending(wsi, 1);
	lws_callback_on_writable(wsi);
	return 0;
}

static int write_form(struct http_client_req *r, struct lws *wsi)
{
	size_t n = strlen(r->form);
	unsigned char *b = malloc(LWS_PRE + n);
	int w;

	if (!b)
		return -1;
	memcpy(b + LWS_PRE, r->form, n);
	w = lws_write(wsi, b + LWS_PRE, n, LWS_WRITE_HTTP_FINAL);
	free(b);
	lws_client_http_body_pending(wsi, 0);
	return w < (int)n ? -1 : 0;
}

/* A response header's value, or NULL. */
static const char *header(struct lws *wsi, enum lws_token_indexes tok,
			  char *buf, size_t size)
{
	return lws_hdr_copy(wsi, buf, (int)size, tok) > 0 ? buf : NULL;
}

static void established(struct http_client_req *r, struct lws *wsi)
{
	char cc[256], exp[64], date[64], age[32];

	r->status = (int)lws_http_client_http_response(wsi);
	if (!r->o.fresh_s)
		return;
	*r->o.fresh_s = http_cache_lifetime(
		header(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, cc, sizeof(cc)),
		header(wsi, WSI_TOKEN_HTTP_EXPIRES, exp, sizeof(exp)),
		header(wsi, WSI_TOKEN_HTTP_DATE, date, sizeof(date)),
		header(wsi, WSI_TOKEN_HTTP_AGE, age, sizeof(age)), r->t0);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct http_client_req *r = user;
	char buf[4096 + LWS_PRE], *px = buf + LWS_PRE;
	int lenx = sizeof(buf) - LWS_PRE;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		break;
	default:
		return 0;	/* user is no request there */
	}
	if (!r || r->done)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return add_headers(r, wsi, in, len);
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
		return r->form ? write_form(r, wsi) : 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		established(r, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		return body(r, in, len);
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		finish(r, NULL);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		r->wsi = NULL;
		finish(r, in && len ? log_esc(in) : "connection failed");
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		r->wsi = NULL;
		if (r->status)
			finish(r, NULL);	/* a body ended by the close */
		else
			finish(r, "no answer (connection closed or timed out)");
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ "nmb-http-client", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static struct lws_vhost *vhost_get(struct lws_context *ctx, const char *name,
				   const char *ca_file)
{
	struct lws_context_creation_info info;
	struct lws_vhost *vh = lws_get_vhost_by_name(ctx, name);

	if (vh)
		return vh;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.vhost_name = name;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_filepath = ca_file;
	info.gid = -1;
	info.uid = -1;
	return lws_create_vhost(ctx, &info);
}

static void connect_to(struct http_client_req *r, const char *addr)
{
	struct lws_context *ctx = r->ctx;
	struct lws_client_connect_info i;

	memset(&i, 0, sizeof(i));
	i.context = ctx;
	i.vhost = ctx ? vhost_get(ctx, r->o.vhost_name, r->o.ca_file) : NULL;
	if (!i.vhost)
		return finish(r, "libwebsockets has no context for the request");
	if (r->o.vhost_setup && r->o.vhost_setup(r->o.vhost_setup_arg, i.vhost))
		return finish(r, "cannot set up the connection's proxy");
	i.address = addr;
	i.port = (int)r->url.port;
	i.path = r->path;
	i.host = r->authority;
	i.method = r->form ? "POST" : "GET";
	i.userdata = r;
	i.pwsi = &r->wsi;
	i.local_protocol_name = protocols[0].name;
	if (r->url.tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (r->o.insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
					    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
					    LCCSCF_ALLOW_EXPIRED |
					    LCCSCF_ALLOW_INSECURE;
	}
	if (!lws_client_connect_via_info(&i) && !r->done) {
		r->wsi = NULL;
		finish(r, "cannot start the connection");
	}
}

static void on_resolved(struct addrinfo *ai, int err, void *arg)
{
	struct http_client_req *r = arg;
	char addr[INET6_ADDRSTRLEN], msg[160];
	int bad;

	r->res = NULL;
	if (err) {
		snprintf(msg, sizeof(msg), "cannot resolve %s: %s",
			 log_esc(r->url.host), resolve_strerror(err));
		return finish(r, msg);
	}
	bad = resolve_ntop(ai, addr, sizeof(addr));
	freeaddrinfo(ai);
	if (bad)
		return finish(r, "unusable address");
	connect_to(r, addr);
}

static bool is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

struct http_client_req *http_client_run(struct lws_context *ctx,
					struct loop *loop, const char *url,
					const struct http_client_opts *o,
					http_client_cb done, void *arg)
{
	const struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG,
	};
	struct http_client_req *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->ctx = ctx;
	r->loop = loop;
	r->t0 = time(NULL);
	r->o = *o;
	if (!r->o.vhost_name)
		r->o.vhost_name = VHOST_NAME;
	if (!r->o.timeout_ms)
		r->o.timeout_ms = TIMEOUT_DEFAULT_MS;
	if (!r->o.body_max)
		r->o.body_max = BODY_MAX_DEFAULT;
	r->cb = done;
	r->arg = arg;
	if (url_parse(url, &r->url, NULL)) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	url_authority(&r->url, r->authority, sizeof(r->authority));
	if (asprintf(&r->path, "%s", r->url.path[0] ? r->url.path : "/") < 0)
		r->path = NULL;
	r->form = o->form ? strdup(o->form) : NULL;
	if (o->bearer && asprintf(&r->bearer, "Bearer %s", o->bearer) < 0)
		r->bearer = NULL;
	r->address = o->address ? strdup(o->address) : NULL;
	r->timer = loop_timer_new(loop, on_timer, r);
	if (!r->path || !r->timer || (o->form && !r->form) ||
	    (o->bearer && !r->bearer) || (o->address && !r->address)) {
		req_free(r);
		errno = ENOMEM;
		return NULL;
	}
	/* r->form, r->bearer and r->address are the copies */
	r->o.form = r->o.bearer = r->o.address = NULL;
	loop_timer_set(r->timer, r->o.timeout_ms);
	if (r->address || is_ip(r->url.host)) {
		connect_to(r, r->address ? r->address : r->url.host);
		return r;
	}
	r->res = resolve_start(loop, r->url.host, NULL, &hints, on_resolved,
			       r);
	if (!r->res) {
		int e = errno;

		req_free(r);
		errno = e;
		return NULL;
	}
	return r;
}

struct http_client_req *http_client_start(struct hub_lws *hl,
					  const char *url,
					  const struct http_client_opts *o,
					  http_client_cb done, void *arg)
{
	return http_client_run(hub_lws_context(hl), hub_lws_loop(hl), url, o,
			       done, arg);
}

void http_client_cancel(struct http_client_req *r)
{
	if (r)
		req_free(r);
}

int http_form_add(char *buf, size_t size, const char *name,
		  const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(buf);
	int w;

	w = snprintf(buf + n, size - n, "%s%s=", n ? "&" : "", name);
	if (w < 0 || (size_t)w >= size - n)
		return -ENOSPC;
	n += (size_t)w;
	for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
		bool plain = (*s >= 'A' && *s <= 'Z') ||
			     (*s >= 'a' && *s <= 'z') ||
			     (*s >= '0' && *s <= '9') || strchr("-._~", *s);

		if (n + (plain ? 1 : 3) >= size)
			return -ENOSPC;
		if (plain) {
			buf[n++] = (char)*s;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*s >> 4];
			buf[n++] = hex[*s & 15];
		}
	}
	buf[n] = '\0';
	return 0;
}

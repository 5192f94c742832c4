/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http_client.h - one HTTP(S) request (GET, or POST of a form) on a
 * daemon's libwebsockets context and its loop (http_client_run: the
 * server's own context; http_client_start: the context a daemon's hub
 * clients share, struct hub_lws of lib/hub_client): the name resolved
 * with lib/resolve first (or a given address), nothing blocks. The one
 * HTTP client of nmb: OpenID Connect (auth-info, discovery, JWKS, token
 * endpoint) in every daemon, the agent's place list.
 *
 *	struct http_client_opts o = { .ca_file = ca, .timeout_ms = 10000,
 *				      .body_max = 128 * 1024 };
 *	r = http_client_start(hl, "https://idp/token", &o, done, ctx);
 *	...done(ctx, status, body, len, err): err NULL and status the HTTP
 *	   status with the body (NUL-terminated, len bytes), or err a
 *	   message for an operator ("connection refused", "no answer
 *	   after 10 s", "body over 131072 bytes") and status 0.
 *	http_client_cancel(r): done never runs.
 *
 * The URL's query string is dropped (as not-my-board does); Accept:
 * application/json is sent. Bodies may be chunked, have a Content-Length
 * or end with the connection. Each request runs on the vhost named by
 * o->vhost_name, made on first use with o->ca_file (the daemon's one CA
 * bundle) and destroyed with the context.
 */
#ifndef NMB_HTTP_CLIENT_H
#define NMB_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct hub_lws;
struct http_client_req;
struct loop;
struct lws_context;
struct lws_vhost;

struct http_client_opts {
	const char *ca_file;		/* NULL: system store */
	bool insecure;			/* skip certificate checks */
	unsigned int timeout_ms;	/* 0: 10 s */
	size_t body_max;		/* 0: 1 MiB */
	/* POST application/x-www-form-urlencoded when form is not NULL */
	const char *form;
	const char *bearer;		/* Authorization: Bearer; NULL: none */
	/* connect there (an address, or a name a proxy resolves), no lookup */
	const char *address;
	/* the vhost's name, kept by libwebsockets: a string literal */
	const char *vhost_name;		/* NULL: "nmb-http-client" */
	/* run on the vhost before each connection (a proxy); not 0: fails */
	int (*vhost_setup)(void *arg, struct lws_vhost *vh);
	void *vhost_setup_arg;
	/* set to lib/http_cache's lifetime of the answer; NULL: not wanted */
	long *fresh_s;
};

typedef void (*http_client_cb)(void *arg, int status, const char *body,
			       size_t len, const char *err);

/* NULL with errno set if it cannot start; done runs later, in the loop. */
struct http_client_req *http_client_run(struct lws_context *ctx,
					struct loop *loop, const char *url,
					const struct http_client_opts *o,
					http_client_cb done, void *arg);
/* http_client_run() on the context and loop of hl. */
struct http_client_req *http_client_start(struct hub_lws *hl,
					  const char *url,
					  const struct http_client_opts *o,
					  http_client_cb done, void *arg);
/* done will not run. NULL is fine. */
void http_client_cancel(struct http_client_req *r);

/*
 * Appends "name=value" to a form or query (with '&' if buf is not
 * empty), value percent-encoded (RFC 3986 unreserved kept). -ENOSPC.
 */
int http_form_add(char *buf, size_t size, const char *name,
		  const char *value);

#endif /* NMB_HTTP_CLIENT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http_client.h - one HTTP(S) request (GET, or POST of a form) on the
 * libwebsockets context a daemon's hub clients share (struct hub_lws of
 * lib/hub_client), so on the daemon's own loop:
 * the name resolved with lib/resolve first, nothing blocks. For the
 * small JSON documents of OpenID Connect (auth-info, discovery, JWKS,
 * token endpoint).
 *
 *	struct http_client_opts o = { .ca_file = ca, .timeout_ms = 10000,
 *				      .body_max = 128 * 1024 };
 *	r = http_client_start(hl, "https://idp/token", &o, done, ctx);
 *	...done(ctx, status, body, len, err): err NULL and status the HTTP
 *	   status with the body (NUL-terminated, len bytes), or err a
 *	   message for an operator ("connection refused", "no answer
 *	   within 10 s", "body over 131072 bytes") and status 0.
 *	http_client_cancel(r): done never runs.
 *
 * The URL's query string is dropped (as not-my-board does); Accept:
 * application/json is sent.
 */
#ifndef NMB_HTTP_CLIENT_H
#define NMB_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct hub_lws;
struct http_client_req;

struct http_client_opts {
	const char *ca_file;		/* NULL: system store */
	bool insecure;			/* skip certificate checks */
	unsigned int timeout_ms;	/* 0: 10 s */
	size_t body_max;		/* 0: 1 MiB */
	/* POST application/x-www-form-urlencoded when form is not NULL */
	const char *form;
};

typedef void (*http_client_cb)(void *arg, int status, const char *body,
			       size_t len, const char *err);

/* NULL with errno set if it cannot start; done runs later, in the loop. */
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

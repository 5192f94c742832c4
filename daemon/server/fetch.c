// SPDX-License-Identifier: GPL-2.0
/*
 * fetch.c - HTTPS GETs to identity providers: lib/http_client on the
 * server's own context and loop (its client vhost made on first use with
 * auth.ca_file), with lib/http_cache's lifetime of the answer. The
 * result reaches the caller from the loop, never from inside an lws
 * callback.
 */
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "http_client.h"
#include "server.h"

struct srv_fetch {
	struct http_client_req *req;
	long fresh_s;
	srv_fetch_cb cb;
	void *arg;
};

void srv_fetch_cancel(struct srv_fetch *f)
{
	if (!f)
		return;
	http_client_cancel(f->req);
	free(f);
}

static void done(void *arg, int status, const char *body, size_t len,
		 const char *err)
{
	struct srv_fetch *f = arg;
	struct srv_fetch_result r = {
		.err = err,
		.status = status,
		.body = body ? body : "",
		.len = len,
		.fresh_s = f->fresh_s,
	};

	if (!err && !status)
		r.err = "no HTTP answer";
	f->req = NULL;		/* http_client frees it after done */
	f->cb(f->arg, &r);
	free(f);
}

struct srv_fetch *srv_fetch_start(struct server *srv, const char *url,
				  const char *ca_file, size_t max,
				  srv_fetch_cb cb, void *arg)
{
	struct http_client_opts o = {
		.ca_file = ca_file,
		.timeout_ms = SRV_FETCH_TIMEOUT_S * 1000,
		.body_max = max,
		.vhost_name = "nmb-idp-client",
	};
	struct srv_fetch *f;

	if (strncmp(url, "https://", 8) != 0 || !srv->ctx)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->cb = cb;
	f->arg = arg;
	o.fresh_s = &f->fresh_s;
	f->req = http_client_run(srv->ctx, srv->loop, url, &o, done, f);
	if (!f->req) {
		free(f);
		return NULL;
	}
	return f;
}

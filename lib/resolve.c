// SPDX-License-Identifier: GPL-2.0
/*
 * resolve.c - uv_getaddrinfo() behind a cancellable handle. A request
 * already running in a thread cannot be stopped: cancelling only
 * forgets its owner, and the request frees itself when it completes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>

#include <uv.h>

#include "loop.h"
#include "resolve.h"

struct resolve {
	uv_getaddrinfo_t req;
	resolve_cb cb;
	void *arg;
	bool cancelled;
};

static void on_done(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct resolve *r = req->data;

	if (r->cancelled || status) {
		uv_freeaddrinfo(res);
		res = NULL;
	}
	if (!r->cancelled)
		r->cb(res, status, r->arg);	/* it owns res now */
	free(r);
}

struct resolve *resolve_start(struct loop *loop, const char *host,
			      const char *service,
			      const struct addrinfo *hints, resolve_cb cb,
			      void *arg)
{
	struct resolve *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	r->req.data = r;
	r->cb = cb;
	r->arg = arg;
	err = uv_getaddrinfo(loop_uv(loop), &r->req, on_done, host, service,
			     hints);
	if (err) {
		free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

void resolve_cancel(struct resolve *r)
{
	if (!r)
		return;
	r->cancelled = true;
	/* Not started yet: on_done runs with UV_ECANCELED and frees it. */
	uv_cancel((uv_req_t *)&r->req);
}

const char *resolve_strerror(int err)
{
	return uv_strerror(err);
}

int resolve_ntop(const struct addrinfo *ai, char *buf, size_t size)
{
	const void *a;

	if (ai->ai_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	else if (ai->ai_family == AF_INET)
		a = &((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	else
		return -EAFNOSUPPORT;
	return inet_ntop(ai->ai_family, a, buf, (socklen_t)size) ? 0 : -errno;
}

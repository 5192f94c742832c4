/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resolve.h - name resolution on lib/loop without blocking it
 * (uv_getaddrinfo in libuv's thread pool).
 *
 *	r = resolve_start(loop, "hub.example", "2092", &hints, on_res, ctx);
 *	...on_res(res, err, ctx): err is 0 and res the addresses, which
 *	   on_res owns (freeaddrinfo()), or err is for resolve_strerror()
 *	   and res NULL.
 *	resolve_cancel(r): on_res is never called.
 */
#ifndef NMB_RESOLVE_H
#define NMB_RESOLVE_H

#include <stddef.h>

struct addrinfo;
struct loop;
struct resolve;

typedef void (*resolve_cb)(struct addrinfo *res, int err, void *arg);

/* NULL with errno set if it cannot start; cb runs in the loop. */
struct resolve *resolve_start(struct loop *loop, const char *host,
			      const char *service,
			      const struct addrinfo *hints, resolve_cb cb,
			      void *arg);
/* Forgets r (NULL is fine): its callback never runs. */
void resolve_cancel(struct resolve *r);
/* "unknown node or service", ... for a callback's err */
const char *resolve_strerror(int err);
/* ai's (first) address as text into buf (INET6_ADDRSTRLEN): 0 or -errno. */
int resolve_ntop(const struct addrinfo *ai, char *buf, size_t size);

#endif /* NMB_RESOLVE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * idp.h - the trusted identity providers of nmb-server (idp.c): for each
 * trusted issuer, its discovery document and key set, fetched over
 * HTTPS (fetch.h), cached as not-my-board 0.13 does (auth note §5) and
 * refetched once when a token names a kid the set does not hold (at
 * most every SRV_IDP_KID_REFETCH_S seconds per issuer). A provider that
 * cannot be reached is retried with backoff; while it is down, requests
 * fail at once ("identity provider unreachable").
 */
#ifndef NMB_SERVER_IDP_H
#define NMB_SERVER_IDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

struct jwks;
struct server;
struct srv_idp;

#define SRV_IDP_KID_REFETCH_S	10
#define SRV_IDP_RETRY_MIN_S	1
#define SRV_IDP_RETRY_MAX_S	60

/*
 * The answer to srv_idp_keys(): keys (borrowed; valid until the callback
 * returns) or err, a text for the client and the log.
 */
typedef void (*srv_idp_cb)(void *arg, const struct jwks *keys,
			   const char *err);

/* A request for keys, owned by its caller (e.g. a connection). */
struct srv_idp_wait {
	struct srv_idp *idp;		/* set while waiting */
	char kid[260];
	srv_idp_cb cb;
	void *arg;
	LIST_ENTRY(srv_idp_wait) link;
};

/* One struct srv_idp per trusted issuer; fetching starts at once. */
int srv_idp_init(struct server *srv);
void srv_idp_free(struct server *srv);

/*
 * The key set of issuer iss (trusted) that should hold kid. The callback
 * runs later from the loop (never inside this call), with keys or an
 * error, unless srv_idp_cancel(w) comes first. Returns 0, or -ENOENT if
 * iss is not trusted (cb never runs).
 */
int srv_idp_keys(struct server *srv, const char *iss, const char *kid,
		 struct srv_idp_wait *w, srv_idp_cb cb, void *arg);
void srv_idp_cancel(struct srv_idp_wait *w);

/*
 * The i-th trusted issuer, and whether its keys are usable now (*up:
 * fetched, and no fetch failed since); NULL past the last one.
 */
const char *srv_idp_status(struct server *srv, size_t i, bool *up);

#endif /* NMB_SERVER_IDP_H */

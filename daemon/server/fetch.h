/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fetch.h - one HTTPS GET from nmb-server to an identity provider
 * (fetch.c), on the server's libwebsockets context and event loop:
 * the name resolved by lib/resolve, the answer limited in size and
 * time. Nothing blocks the loop.
 */
#ifndef NMB_SERVER_FETCH_H
#define NMB_SERVER_FETCH_H

#include <stddef.h>

struct server;
struct srv_fetch;

/* Seconds a fetch may take in all (resolve, connect, TLS, answer). */
#define SRV_FETCH_TIMEOUT_S	10

struct srv_fetch_result {
	const char *err;	/* set: no usable answer (why, for a log) */
	int status;		/* the HTTP status */
	const char *body;	/* NUL-terminated after len bytes */
	size_t len;
	long fresh_s;		/* lib/http_cache's lifetime */
};

/* Runs from the loop, once, unless the fetch was cancelled. */
typedef void (*srv_fetch_cb)(void *arg, const struct srv_fetch_result *r);

/*
 * GETs url (https://; the query is dropped, as not-my-board does) with
 * Accept: application/json, trusting ca_file (NULL: the system's CAs).
 * A body over max bytes fails. NULL if it cannot start (out of memory,
 * bad URL): then cb never runs.
 */
struct srv_fetch *srv_fetch_start(struct server *srv, const char *url,
				  const char *ca_file, size_t max,
				  srv_fetch_cb cb, void *arg);
/* Forgets f: its callback never runs. NULL is fine. */
void srv_fetch_cancel(struct srv_fetch *f);

#endif /* NMB_SERVER_FETCH_H */

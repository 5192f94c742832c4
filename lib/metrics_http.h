/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics_http.h - the optional /metrics listener of nmb-exporter and
 * nmb-agent: a small HTTP/1.x server on the event loop that answers
 * GET /metrics with the text a callback renders, and nothing else.
 */
#ifndef NMB_METRICS_HTTP_H
#define NMB_METRICS_HTTP_H

#include <stddef.h>

struct loop;
struct metrics_http;

/* Returns the exposition text (malloc'd; *len set), or NULL. */
typedef char *(*metrics_render_fn)(void *arg, size_t *len);

/*
 * Listens on "ADDR:PORT" ("[V6]:PORT", ":PORT" for every address).
 * Returns 0, -EINVAL (bad address; msg says why) or -errno of bind/listen.
 */
/* 0 if s is an address metrics_http_start() takes, else -EINVAL. */
int metrics_http_check(const char *s);
int metrics_http_start(struct loop *loop, const char *listen,
		       metrics_render_fn render, void *arg,
		       struct metrics_http **out);
void metrics_http_stop(struct metrics_http *m);

#endif /* NMB_METRICS_HTTP_H */

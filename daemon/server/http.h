/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http.h - the HTTP routes (http.c) and the web page's files (web.c).
 */
#ifndef NMB_SERVER_HTTP_H
#define NMB_SERVER_HTTP_H

#include <stddef.h>

struct lws;
struct server;

/* Answers one HTTP request; returns the lws callback result. */
int srv_http_serve(struct server *srv, struct lws *wsi, const char *path);
/*
 * One whole HTTP answer, with EXTRA headers ("name:", value) after the
 * common ones; 0 or -1 (then the connection is closed).
 */
struct srv_http_header {
	const char *name, *value;
};
int srv_http_reply(struct lws *wsi, unsigned int status, const char *ctype,
		   const char *body, size_t len,
		   const struct srv_http_header *extra, size_t n_extra);
/* web.c: the page's files; 1 if path is none of them. */
int srv_web_serve(struct server *srv, struct lws *wsi, const char *path);

#endif /* NMB_SERVER_HTTP_H */

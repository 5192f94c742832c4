/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http.h - the one HTTP exchange of a CONNECT proxy (wire note §6): parse
 * a request head as h11 would, and format the short answer.
 */
#ifndef NMB_HTTP_H
#define NMB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX		16384	/* larger heads get 431 */
#define HTTP_TARGET_MAX		512
#define HTTP_AUTH_MAX		128	/* a Bearer token, NUL included */

struct http_request {
	char method[32];
	bool is_connect;
	char target[HTTP_TARGET_MAX];
	bool target_long;		/* did not fit: matches nothing */
	int version_minor;		/* HTTP/1.x */
	bool has_host;
	/*
	 * Proxy-Authorization (nmb's per-reservation secret): has_auth if
	 * the header came; bearer[] holds its token when it was exactly one
	 * such header of scheme Bearer (any case) with a token68 that fits,
	 * else bearer[0] is '\0' (a credential that matches nothing).
	 */
	bool has_auth;
	char bearer[HTTP_AUTH_MAX];
	size_t head_len;		/* bytes up to the blank line */
	const char *error;		/* why -EINVAL, for the 400 body */
};

/*
 * Parses the head at the start of buf. Returns 0 (the head is complete:
 * bytes from buf + head_len on belong to the tunnel), -EAGAIN (need more
 * bytes), or -EINVAL (malformed, or HTTP/1.1 without Host: answer 400
 * with req->error as body). The method is not judged here.
 */
int http_parse_head(const char *buf, size_t len, struct http_request *req);

/*
 * Parses the head of a proxy's answer to CONNECT at the start of buf:
 * "HTTP/1.x DDD [reason]", header lines, a blank line (CRLF or LF).
 * Returns 0 (*status set; bytes from buf + *head_len on belong to the
 * tunnel), -EAGAIN (need more bytes), or -EPROTO (not an HTTP/1.x
 * answer, or a malformed line). The caller bounds the head's size.
 */
int http_parse_response(const char *buf, size_t len, int *status,
			size_t *head_len);

/*
 * Formats a response: "HTTP/1.1 <status> \r\n" with Date, Server and
 * Connection: close; with body (not NULL), Content-Type, Content-Length,
 * and "Allow: CONNECT" for 405. Returns the length, or -ENOSPC.
 */
int http_response(char *buf, size_t size, int status, const char *body);

#endif /* NMB_HTTP_H */

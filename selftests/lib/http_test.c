// SPDX-License-Identifier: GPL-2.0
/*
 * http_test.c - unit tests of lib/http: the CONNECT head parser.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "tap.h"

static void test_http(void)
{
	struct http_request req;
	const char *h1 = "CONNECT a.b:1 HTTP/1.1\r\nHost: a.b:1\r\n"
			 "User-Agent: x\r\n\r\nEARLY";
	const char *h2 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *h3 = "CONNECT a:1 HTTP/1.1\r\nUser-Agent: x\r\n\r\n";
	const char *h4 = "CONNECT a:1 HTTP/1.0\r\n\r\n";
	const char *h5 = "CONNECT a:1 HTTP/1.1\r\nHost: x\r\n";
	const char *h6 = "CONNECT a:1\r\n\r\n";
	const char *h7 = "CONNECT a:1 HTTP/1.1\nHost: x\n\n";

	ok(http_parse_head(h1, strlen(h1), &req) == 0 &&
	   req.head_len == strlen(h1) - 5 && !strcmp(req.target, "a.b:1") &&
	   req.is_connect, "CONNECT head parsed, early bytes kept out");
	ok(http_parse_head(h2, strlen(h2), &req) == 0 && !req.is_connect,
	   "GET: not CONNECT");
	ok(http_parse_head(h3, strlen(h3), &req) == -EINVAL,
	   "HTTP/1.1 without Host: 400");
	ok(http_parse_head(h4, strlen(h4), &req) == 0, "HTTP/1.0 without Host");
	ok(http_parse_head(h5, strlen(h5), &req) == -EAGAIN, "incomplete head");
	ok(http_parse_head(h6, strlen(h6), &req) == -EINVAL, "no version: 400");
	ok(http_parse_head(h7, strlen(h7), &req) == 0 &&
	   !strcmp(req.target, "a:1"), "bare LF line ends");
}

static int parse(const char *auth_lines, struct http_request *req)
{
	char head[1024];

	snprintf(head, sizeof(head), "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n%s\r\n",
		 auth_lines);
	return http_parse_head(head, strlen(head), req);
}

static void test_proxy_auth(void)
{
	struct http_request req;
	char longer[400];

	ok(parse("", &req) == 0 && !req.has_auth && !req.bearer[0],
	   "no Proxy-Authorization");
	ok(parse("Proxy-Authorization: Bearer abc-_DEF09\r\n", &req) == 0 &&
	   req.has_auth && !strcmp(req.bearer, "abc-_DEF09"),
	   "Bearer token taken");
	ok(parse("proxy-authorization:   bearer  t0k3n==  \r\n", &req) == 0 &&
	   !strcmp(req.bearer, "t0k3n=="),
	   "names and scheme in any case, spaces around, = padding");
	ok(parse("Proxy-Authorization: Basic dXNlcjpwYXNz\r\n", &req) == 0 &&
	   req.has_auth && !req.bearer[0], "Basic: no bearer token");
	ok(parse("Proxy-Authorization: Bearer\r\n", &req) == 0 &&
	   req.has_auth && !req.bearer[0], "Bearer without token");
	ok(parse("Proxy-Authorization: Bearer a b\r\n", &req) == 0 &&
	   !req.bearer[0], "token with a space inside");
	ok(parse("Proxy-Authorization: Bearer a\r\n"
		 "Proxy-Authorization: Bearer a\r\n", &req) == 0 &&
	   req.has_auth && !req.bearer[0], "two headers: neither counts");
	memset(longer, 'x', sizeof(longer));
	memcpy(longer, "Proxy-Authorization: Bearer ", 28);
	strcpy(longer + 200, "\r\n");
	ok(parse(longer, &req) == 0 && req.has_auth && !req.bearer[0],
	   "token longer than HTTP_AUTH_MAX: none");
}

int main(void)
{
	printf("TAP version 13\n");
	test_http();
	test_proxy_auth();
	return tap_done();
}

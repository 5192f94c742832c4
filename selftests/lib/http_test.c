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

int main(void)
{
	printf("TAP version 13\n");
	test_http();
	return tap_done();
}

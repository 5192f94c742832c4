// SPDX-License-Identifier: GPL-2.0
/*
 * proxy_test.c - unit tests of lib/proxy_env (which proxy, no_proxy)
 * and of lib/http's parser of a CONNECT answer (lib/proxy_connect).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "proxy_env.h"
#include "tap.h"

static void clear_env(void)
{
	static const char *const vars[] = {
		"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
		"no_proxy", "NO_PROXY", NULL,
	};

	for (const char *const *v = vars; *v; v++)
		unsetenv(*v);
}

static void test_no_proxy(void)
{
	const char *l = "localhost, .lab.example,*.corp 10.0.0.0/8,"
			"[2001:db8::1],fd00::/8";

	ok(proxy_no_proxy_match(l, "localhost"), "exact name");
	ok(proxy_no_proxy_match(l, "hub.lab.example") &&
	   proxy_no_proxy_match(l, "lab.example"),
	   ".domain: itself and its subdomains");
	ok(proxy_no_proxy_match(l, "a.b.corp"), "*.domain");
	ok(!proxy_no_proxy_match(l, "notlab.example") &&
	   !proxy_no_proxy_match(l, "lab.example.org"),
	   "a suffix that is no domain boundary does not match");
	ok(proxy_no_proxy_match(l, "10.1.2.3") &&
	   !proxy_no_proxy_match(l, "11.1.2.3"), "IPv4 CIDR");
	ok(proxy_no_proxy_match(l, "2001:db8::1") &&
	   proxy_no_proxy_match(l, "fd12::5") &&
	   !proxy_no_proxy_match(l, "2001:db8::2"), "IPv6 address and CIDR");
	ok(proxy_no_proxy_match("*", "anything") &&
	   !proxy_no_proxy_match("", "anything") &&
	   !proxy_no_proxy_match(",, ,", "x"), "* and empty lists");
	ok(proxy_no_proxy_match("LocalHost", "localhost"), "case");
}

static void test_route(void)
{
	struct proxy_route r;
	char err[300];

	clear_env();
	ok(proxy_route_for(NULL, "hub", false, &r, err, sizeof(err)) == 0,
	   "no variable, no key: direct");
	setenv("http_proxy", "http://proxy.lab:3128", 1);
	setenv("HTTPS_PROXY", "sproxy:8443", 1);
	ok(proxy_route_for(NULL, "hub", false, &r, err, sizeof(err)) == 1 &&
	   !strcmp(r.host, "proxy.lab") && r.port == 3128 &&
	   !strcmp(r.source, "http_proxy") &&
	   !strcmp(r.url, "http://proxy.lab:3128"), "ws://: http_proxy");
	ok(proxy_route_for(NULL, "hub", true, &r, err, sizeof(err)) == 1 &&
	   !strcmp(r.host, "sproxy") && r.port == 8443 &&
	   !strcmp(r.source, "HTTPS_PROXY"),
	   "wss://: HTTPS_PROXY, HOST:PORT without scheme");
	setenv("no_proxy", "hub,.lab", 1);
	ok(proxy_route_for(NULL, "hub", false, &r, err, sizeof(err)) == 0 &&
	   proxy_route_for(NULL, "other", false, &r, err, sizeof(err)) == 1,
	   "no_proxy: direct for what it names only");
	ok(proxy_route_for("http://[2001:db8::5]:3128", "hub", false, &r, err,
			   sizeof(err)) == 1 && !strcmp(r.host, "2001:db8::5") &&
	   !strcmp(r.source, "proxy:"),
	   "the proxy: key wins over the environment and no_proxy");
	ok(proxy_route_for(PROXY_DIRECT, "other", false, &r, err,
			   sizeof(err)) == 0, "proxy: direct");
	setenv("http_proxy", "socks5://x:1", 1);
	ok(proxy_route_for(NULL, "other", false, &r, err, sizeof(err)) ==
	   -EINVAL && strstr(err, "http_proxy") && strstr(err, "socks5"),
	   "unusable variable: error naming it");
	ok(proxy_check("http://u:p@x:1", NULL) == -EINVAL &&
	   proxy_check("http://x:1/path", NULL) == -EINVAL &&
	   proxy_check("x:99999", NULL) == -EINVAL &&
	   proxy_check("http://x", NULL) == 0 &&
	   proxy_check(PROXY_DIRECT, NULL) == 0,
	   "proxy: values checked (no user, no path, a valid port)");
	clear_env();
}

static void test_response(void)
{
	const char *a = "HTTP/1.1 200 Connection established\r\n"
			"Proxy-Agent: x\r\n\r\nEARLY";
	const char *b = "HTTP/1.0 407 Proxy Authentication Required\n\n";
	size_t head;
	int st;

	ok(http_parse_response(a, strlen(a), &st, &head) == 0 && st == 200 &&
	   head == strlen(a) - 5, "200 with a reason, early bytes kept out");
	ok(http_parse_response(b, strlen(b), &st, &head) == 0 && st == 407,
	   "HTTP/1.0, bare LF");
	ok(http_parse_response("HTTP/1.1 200 \r\n\r\n", 17, &st, &head) == 0 &&
	   st == 200, "empty reason phrase (nmb-exporter, h11)");
	ok(http_parse_response(a, 20, &st, &head) == -EAGAIN,
	   "incomplete: -EAGAIN");
	ok(http_parse_response("SSH-2.0-x\r\n", 11, &st, &head) == -EPROTO &&
	   http_parse_response("HTT", 3, &st, &head) == -EAGAIN &&
	   http_parse_response("HTX", 3, &st, &head) == -EPROTO,
	   "not HTTP: -EPROTO as soon as it shows");
	ok(http_parse_response("HTTP/1.1 2000 x\r\n\r\n", 19, &st, &head) ==
	   -EPROTO && http_parse_response("HTTP/1.1 099\r\n\r\n", 16, &st,
					  &head) == -EPROTO &&
	   http_parse_response("HTTP/2 200\r\n\r\n", 14, &st, &head) == -EPROTO,
	   "bad status lines");
	ok(http_parse_response("HTTP/1.1 200 x\r\nNo colon\r\n\r\n", 28, &st,
			       &head) == -EPROTO, "bad header line");
}

int main(void)
{
	printf("TAP version 13\n");
	test_no_proxy();
	test_route();
	test_response();
	return tap_done();
}

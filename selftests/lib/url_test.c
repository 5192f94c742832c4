// SPDX-License-Identifier: GPL-2.0
/*
 * url_test.c - unit tests of lib/url, the one parser of server URLs:
 * what it accepts, what it refuses and why, IPv6 addresses.
 */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "url.h"

static void good(const char *s, bool tls, const char *host, unsigned int port,
		 const char *path, const char *authority)
{
	char buf[300] = "";
	const char *why = "";
	struct url u;
	int ret = url_parse(s, &u, &why);

	url_authority(&u, buf, sizeof(buf));
	ok(!ret && u.tls == tls && !strcmp(u.host, host) &&
	       u.port == port && !strcmp(u.path, path) &&
	       !strcmp(buf, authority),
	       "%s: host '%s' port %u path '%s' authority '%s' %s", s,
	       u.host, u.port, u.path, buf, ret ? why : "");
}

static void bad(const char *s, const char *reason)
{
	const char *why = NULL;
	struct url u;
	int ret = url_parse(s, &u, &why);

	ok(ret == -EINVAL && why && strstr(why, reason),
	       "'%s' refused: %s", s, why ? why : "(accepted)");
}

int main(void)
{
	good("ws://hub.example:2092", false, "hub.example", 2092, "",
	     "hub.example:2092");
	good("wss://hub.example", true, "hub.example", 443, "",
	     "hub.example:443");
	good("http://10.0.0.1/farm/", false, "10.0.0.1", 80, "/farm",
	     "10.0.0.1:80");
	good("HTTPS://h/a/b//?x=1#f", true, "h", 443, "/a/b", "h:443");
	good("ws://[::1]:8080", false, "::1", 8080, "", "[::1]:8080");
	good("wss://[2001:db8::2]/p", true, "2001:db8::2", 443, "/p",
	     "[2001:db8::2]:443");
	bad("ftp://hub.example/", "expected ws://, wss://, http:// or https://");
	bad("hub.example:2092", "expected ws://");
	bad("ws://", "no host");
	bad("ws://:80", "no host");
	bad("ws://h:", "no port");
	bad("ws://h:0", "1 to 65535");
	bad("ws://h:65536", "1 to 65535");
	bad("ws://h:99999999999999999999", "1 to 65535");
	bad("ws://h:80x/", "1 to 65535");
	bad("ws://h:-1", "1 to 65535");
	bad("ws://user:pw@h/", "user names");
	bad("ws://[::1/", "needs its ']'");
	bad("ws://[nonsense]:1", "not an IPv6 address");
	bad("ws://[]:1", "not an IPv6 address");
	bad("ws://::1:8080", "IPv6 addresses go in brackets");
	bad("ws://[::1]x:8080", "needs its ']'");
	bad("ws://h o/", "host names hold");
	bad("ws://h/a b", "spaces and control characters");
	bad("ws://h/\n", "spaces and control characters");
	ok(url_is_loopback("127.0.0.2") && url_is_loopback("::1") &&
	       url_is_loopback("::ffff:127.0.0.1") &&
	       !url_is_loopback("10.0.0.1") && !url_is_loopback("h"),
	       "loopback addresses");
	return tap_done();
}

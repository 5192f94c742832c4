// SPDX-License-Identifier: GPL-2.0
/*
 * relay_hello_test.c - unit tests of lib/relay_hello: relay ids and the
 * hello of a dial-out exporter's data connection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "relay_hello.h"
#include "tap.h"

#define ID	"0123456789abcdef0123456789abcdef"

static void test_ids(void)
{
	char a[RELAY_ID_LEN + 1], b[RELAY_ID_LEN + 1];

	ok(relay_id_valid(ID), "32 lower-case hex digits: valid");
	ok(!relay_id_valid("0123456789ABCDEF0123456789abcdef"),
	   "upper case: invalid");
	ok(!relay_id_valid(ID "0") && !relay_id_valid("0123"),
	   "longer or shorter: invalid");
	ok(relay_id_new(a) == 0 && relay_id_new(b) == 0 &&
	   relay_id_valid(a) && relay_id_valid(b) && strcmp(a, b) != 0,
	   "fresh ids are valid and differ");
}

static void test_hello(void)
{
	static const char start[] = "NMB-RELAY /" ID " HTTP/1.1\r\nX: ";
	char buf[RELAY_HELLO_MAX + 64], id[RELAY_ID_LEN + 1], big[1024];
	size_t used = 0;
	int n = relay_hello_format(buf, sizeof(buf), ID);

	ok(n > 0 && !strcmp(buf, "NMB-RELAY /" ID " HTTP/1.1\r\n"
			    "Host: nmb-relay\r\n\r\n"), "formatted");
	ok(relay_hello_format(buf, sizeof(buf), "x") == -EINVAL,
	   "bad id: not formatted");
	n = relay_hello_format(buf, sizeof(buf), ID);
	ok(relay_hello_parse(buf, (size_t)n, id, &used) == 0 &&
	   used == (size_t)n && !strcmp(id, ID), "parsed back");
	ok(relay_hello_parse(buf, (size_t)n - 2, id, &used) == -EAGAIN,
	   "incomplete: more bytes wanted");
	ok(relay_hello_parse("CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n", 34,
			     id, &used) == -EINVAL, "a CONNECT is no hello");
	ok(relay_hello_parse("NMB-RELAY /abc HTTP/1.1\r\nHost: a\r\n\r\n", 36,
			     id, &used) == -EINVAL, "short id refused");
	memset(big, 'a', sizeof(big));
	memcpy(big, start, sizeof(start) - 1);
	ok(relay_hello_parse(big, sizeof(big), id, &used) == -EINVAL,
	   "a head over 512 bytes is refused, not waited for");
}

int main(void)
{
	printf("TAP version 13\n");
	test_ids();
	test_hello();
	return tap_done();
}

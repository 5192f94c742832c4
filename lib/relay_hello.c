// SPDX-License-Identifier: GPL-2.0
/*
 * relay_hello.c - the hello of a relay data connection (relay_hello.h):
 * ids, formatting, and parsing with lib/http's request parser.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "http.h"
#include "relay_hello.h"

bool relay_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < RELAY_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

int relay_id_new(char *id)
{
	unsigned char raw[RELAY_ID_LEN / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int relay_hello_format(char *buf, size_t size, const char *id)
{
	int n;

	if (!relay_id_valid(id))
		return -EINVAL;
	n = snprintf(buf, size, "%s /%s HTTP/1.1\r\nHost: nmb-relay\r\n\r\n",
		     RELAY_HELLO_METHOD, id);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

int relay_hello_parse(const char *buf, size_t len, char *id, size_t *used)
{
	struct http_request req;
	int err;

	err = http_parse_head(buf, len > RELAY_HELLO_MAX ? RELAY_HELLO_MAX :
			      len, &req);
	if (err == -EAGAIN)
		return len >= RELAY_HELLO_MAX ? -EINVAL : -EAGAIN;
	if (err)
		return err;
	if (strcmp(req.method, RELAY_HELLO_METHOD) != 0 || req.target_long ||
	    req.target[0] != '/' || !relay_id_valid(req.target + 1))
		return -EINVAL;
	memcpy(id, req.target + 1, RELAY_ID_LEN + 1);
	*used = req.head_len;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * grant_secret.c - mint, check and compare the per-reservation secret
 * (grant_secret.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "grant_secret.h"

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int grant_secret_mint(char out[GRANT_SECRET_SIZE])
{
	unsigned char rnd[GRANT_SECRET_BYTES + 1] = { 0 };
	size_t i, o = 0;
	ssize_t n;

	do
		n = getrandom(rnd, GRANT_SECRET_BYTES, 0);
	while (n < 0 && errno == EINTR);
	if (n != GRANT_SECRET_BYTES)
		return n < 0 ? -errno : -EIO;
	/* 10 groups of 3 bytes, then 2 bytes (rnd[32] is 0) -> 43 chars */
	for (i = 0; i < GRANT_SECRET_BYTES; i += 3) {
		unsigned int v = (unsigned int)rnd[i] << 16 |
				 (unsigned int)rnd[i + 1] << 8;

		if (i + 2 < GRANT_SECRET_BYTES)
			v |= rnd[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		if (i + 2 < GRANT_SECRET_BYTES)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return o == GRANT_SECRET_LEN ? 0 : -EIO;
}

bool grant_secret_valid(const char *s)
{
	size_t i;

	if (!s || strlen(s) != GRANT_SECRET_LEN)
		return false;
	for (i = 0; i < GRANT_SECRET_LEN; i++)
		if (!strchr(b64url, s[i]) || !s[i])
			return false;
	return true;
}

bool grant_secret_equal(const char *want, const char *s, size_t len)
{
	if (!want || !s || len != strlen(want))
		return false;
	return CRYPTO_memcmp(want, s, len) == 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * grant_secret_test.c - unit tests of lib/grant_secret: the
 * per-reservation secret's form, freshness and comparison.
 */
#include <stdio.h>
#include <string.h>

#include "grant_secret.h"
#include "tap.h"

int main(void)
{
	char a[GRANT_SECRET_SIZE], b[GRANT_SECRET_SIZE];
	int distinct = 1;

	printf("TAP version 13\n");
	ok(!grant_secret_mint(a) && strlen(a) == GRANT_SECRET_LEN &&
	   strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		  "0123456789-_") == GRANT_SECRET_LEN,
	   "43 base64url characters");
	for (int i = 0; i < 1000; i++) {
		if (grant_secret_mint(b) || !strcmp(a, b))
			distinct = 0;
	}
	ok(distinct, "1000 secrets, each different from the first");
	ok(grant_secret_valid(a) && !grant_secret_valid("short") &&
	   !grant_secret_valid(NULL), "valid() takes only the form");
	memcpy(b, a, sizeof(b));
	b[10] = b[10] == 'A' ? 'B' : 'A';
	ok(!grant_secret_valid("========================================="
			       "==") && !grant_secret_valid(""),
	   "padding and empty refused");
	ok(grant_secret_equal(a, a, strlen(a)) &&
	   !grant_secret_equal(a, b, strlen(b)) &&
	   !grant_secret_equal(a, a, strlen(a) - 1) &&
	   !grant_secret_equal(NULL, a, strlen(a)),
	   "equal(): same bytes and length only");
	return tap_done();
}

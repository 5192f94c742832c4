// SPDX-License-Identifier: GPL-2.0
/*
 * http_cache_test.c - unit tests of lib/http_cache: the lifetime of an
 * identity provider's cached answer under not-my-board's rules
 * (no-store / no-cache, max-age with Date and Age, Expires, 5 s
 * default) and HTTP-date parsing.
 */
#include "http_cache.h"
#include "tap.h"

/* Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example) */
#define T0	((time_t)784111777)

static void life(const char *cc, const char *exp, const char *date,
		 const char *age, time_t now, long want)
{
	long got = http_cache_lifetime(cc, exp, date, age, now);

	ok(got == want, "cc=%s expires=%s date=%s age=%s now+%ld: %ld s (want %ld)",
	   cc ? cc : "-", exp ? exp : "-", date ? date : "-",
	   age ? age : "-", (long)(now - T0), got, want);
}

int main(void)
{
	const char *d0 = "Sun, 06 Nov 1994 08:49:37 GMT";

	ok(http_cache_date(d0) == T0, "IMF-fixdate parsed");
	ok(http_cache_date("Sunday, 06-Nov-94 08:49:37 GMT") == -1 &&
	   http_cache_date("0") == -1 && http_cache_date("") == -1 &&
	   http_cache_date(NULL) == -1 &&
	   http_cache_date("Sun, 06 Nov 1994 08:49:37 GMT x") == -1,
	   "other forms are not dates");
	life(NULL, NULL, NULL, NULL, T0, HTTP_CACHE_DEFAULT_S);
	life("public", NULL, NULL, NULL, T0, HTTP_CACHE_DEFAULT_S);
	life("no-store", NULL, NULL, NULL, T0, 0);
	life("max-age=60, No-Cache", NULL, NULL, NULL, T0, 0);
	life("private,no-store , max-age=60", NULL, NULL, NULL, T0, 0);
	life("max-age=60", NULL, NULL, NULL, T0, 60);
	life(" MAX-AGE=\"60\" ", NULL, NULL, NULL, T0, 60);
	life("max-age=60", NULL, d0, NULL, T0 + 10, 50);
	life("max-age=60", NULL, NULL, "15", T0, 45);
	life("max-age=60", NULL, d0, "5", T0 + 2, 55);
	life("max-age=60", NULL, d0, NULL, T0 + 100, 0);
	life("max-age=x", NULL, NULL, NULL, T0, HTTP_CACHE_DEFAULT_S);
	life("max-age=99999999999999999999", NULL, NULL, NULL, T0,
	     HTTP_CACHE_MAX_S);
	life("max-age=60", "0", NULL, NULL, T0, 60);
	life(NULL, "0", NULL, NULL, T0, 0);
	life(NULL, "Sun, 06 Nov 1994 08:50:37 GMT", NULL, NULL, T0, 60);
	life(NULL, d0, NULL, NULL, T0 + 1, 0);
	life("", NULL, NULL, NULL, T0, HTTP_CACHE_DEFAULT_S);
	life(",,=,max-age", NULL, NULL, NULL, T0, HTTP_CACHE_DEFAULT_S);
	return tap_done();
}

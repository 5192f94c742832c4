/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - TAP 13 for the C unit tests of lib/ (selftests/lib/NAME_test.c):
 *
 *	ok(cond, "what %s", ...);	ok N - what, or not ok N - what
 *	diag("note %d", ...);		# note
 *	return tap_done();		the plan 1..N; 1 if a test failed
 *
 * One test program per lib/ module; selftests/lib/run-host.sh runs them
 * all into one stream.
 */
#ifndef NMB_SELFTESTS_TAP_H
#define NMB_SELFTESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((unused))
static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* NMB_SELFTESTS_TAP_H */

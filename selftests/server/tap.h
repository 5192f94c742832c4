/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - minimal TAP output for the host-side C unit tests.
 */
#ifndef NMB_SELFTESTS_TAP_H
#define NMB_SELFTESTS_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...)						\
	do {								\
		tap_n++;						\
		if (!(cond))						\
			tap_failed++;					\
		printf("%sok %d - ", (cond) ? "" : "not ", tap_n);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		fflush(stdout);						\
	} while (0)

#define TAP_DONE()							\
	do {								\
		printf("1..%d\n", tap_n);				\
		return tap_failed ? 1 : 0;				\
	} while (0)

#endif /* NMB_SELFTESTS_TAP_H */

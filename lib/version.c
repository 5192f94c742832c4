// SPDX-License-Identifier: GPL-2.0
/*
 * version.c - the version string, passed in by lib/build.mk from the
 * top-level VERSION file (no git needed: tarballs build the same).
 */
#include "version.h"

/* Set by lib/build.mk from the file VERSION; "unknown" only for tools
 * that compile this file alone (clang-tidy). */
#ifndef NMB_VERSION
#define NMB_VERSION	"unknown"
#endif

const char *nmb_version(void)
{
	return NMB_VERSION;
}

void nmb_print_version(const char *program)
{
	printf("%s %s\n", program, NMB_VERSION);
}

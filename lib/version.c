// SPDX-License-Identifier: GPL-2.0
/*
 * version.c - the version string, passed in by lib/build.mk from the
 * top-level VERSION file (no git needed: tarballs build the same).
 */
#include "version.h"

#ifndef NMB_VERSION
#error "NMB_VERSION is set by lib/build.mk from the file VERSION"
#endif

const char *nmb_version(void)
{
	return NMB_VERSION;
}

void nmb_print_version(const char *program)
{
	printf("%s %s\n", program, NMB_VERSION);
}

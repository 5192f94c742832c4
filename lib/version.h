/* SPDX-License-Identifier: GPL-2.0 */
/*
 * version.h - the one version of nmb, read from the top-level VERSION file
 * at build time; every program's --version prints it.
 */
#ifndef NMB_VERSION_H
#define NMB_VERSION_H

#include <stdio.h>

/* "0.1.0": the content of VERSION. */
const char *nmb_version(void);
/* Prints "PROGRAM VERSION" on stdout, the answer to --version. */
void nmb_print_version(const char *program);

#endif /* NMB_VERSION_H */

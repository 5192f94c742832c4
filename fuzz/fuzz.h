/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - helpers shared by the libFuzzer targets of fuzz/: a quiet log,
 * the input as a C string, and the input as a file for parsers that take
 * a path.
 */
#ifndef NMB_FUZZ_H
#define NMB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

/*
 * Every log line is formatted: logging what a peer sent is code under
 * test too. `make fuzz` runs with -close_fd_mask=2 to keep it quiet.
 */
static inline void fuzz_log_init(const char *name)
{
	nmb_log_init(name, LOG_DEBUG);
}

/* The input as a NUL-terminated string (cut at its first NUL). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * The input as the content of a file; returns its path
 * (/proc/self/fd/N of a memfd kept open for the whole run).
 */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	return path;
}

#endif /* NMB_FUZZ_H */

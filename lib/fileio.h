/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fileio.h - small file helpers shared by the daemons and nmbctl: a whole
 * file read with a size limit, a file written atomically (a temporary in
 * the same folder, fsync, rename), the first line of a sysfs attribute
 * and a write to one, and write() until all is written. Each returns 0
 * or a negative errno.
 */
#ifndef NMB_FILEIO_H
#define NMB_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* write() until all of buf is written (EINTR retried). */
int file_write_all(int fd, const void *buf, size_t len);

/*
 * Reads the regular file path whole into a malloc'd, NUL-terminated
 * *text (*len bytes before the NUL, len may be NULL). -EFBIG if it holds
 * more than max bytes, -EISDIR for a folder, -EINVAL for a FIFO, socket
 * or device (never blocks on one).
 */
int file_read_all(const char *path, size_t max, char **text, size_t *len);

/*
 * Writes len bytes of buf to path through a temporary file of the same
 * folder: fsync, rename over path, fsync of the folder. Readers see the
 * old file or the new one, never a part. mode: of the new file (0600).
 */
int file_write_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode);

/*
 * One read() of a small (sysfs) file into buf, NUL-terminated: at most
 * size - 1 bytes, no size check, for files the kernel writes whole.
 */
int file_read_small(const char *path, char *buf, size_t size);

/* The first line of a (sysfs) file, newline removed, at most size - 1. */
int file_read_line(const char *path, char *buf, size_t size);

/* Writes s to an existing (sysfs) file in one write(); -EIO if short. */
int file_write_str(const char *path, const char *s);

#endif /* NMB_FILEIO_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * fileio_test.c - unit tests of lib/fileio: whole reads and their limit,
 * what is not a regular file, atomic writes (mode, no temporary left),
 * first lines and short writes.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "tap.h"

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	char dir[] = "/tmp/nmb-fileio-XXXXXX", path[512], fifo[512], line[8];
	char *text = NULL;
	struct stat st;
	size_t len = 0;
	int err;

	printf("TAP version 13\n");
	if (!mkdtemp(dir)) {
		ok(false, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(fifo, sizeof(fifo), "%s/p", dir);

	err = file_write_atomic(path, "hello\nworld\n", 12, 0640);
	ok(!err && !stat(path, &st) && (st.st_mode & 0777) == 0640 &&
	   st.st_size == 12, "atomic write: size and mode (%d)", err);
	ok(entries(dir) == 1, "atomic write: no temporary left");
	err = file_write_atomic(path, "new", 3, 0600);
	ok(!err && !file_read_all(path, 100, &text, &len) && len == 3 &&
	   !strcmp(text, "new"), "atomic write replaces the file whole");
	free(text);
	text = NULL;
	err = file_read_all(path, 2, &text, &len);
	ok(err == -EFBIG && !text, "read over the limit: EFBIG");
	ok(file_read_all(dir, 100, &text, NULL) == -EISDIR,
	   "read of a folder: EISDIR");
	ok(!mkfifo(fifo, 0600) && file_read_all(fifo, 100, &text, NULL) ==
	   -EINVAL, "read of a FIFO: EINVAL, without waiting for a writer");
	ok(file_read_all("/nonexistent/x", 100, &text, NULL) == -ENOENT,
	   "read of a missing file: ENOENT");
	file_write_atomic(path, "first\nsecond\n", 13, 0600);
	ok(!file_read_line(path, line, sizeof(line)) &&
	   !strcmp(line, "first"), "first line, newline removed");
	ok(!file_read_line(path, line, 4) && !strcmp(line, "fir"),
	   "first line cut at the buffer");
	{
		char whole[32];

		ok(!file_read_small(path, whole, sizeof(whole)) &&
		   !strcmp(whole, "first\nsecond\n"),
		   "small file read whole, newlines kept");
	}
	ok(!file_write_str(path, "x") && !file_read_line(path, line,
							 sizeof(line)) &&
	   !strcmp(line, "xirst"), "write to an existing file, no truncation");
	ok(file_write_str("/nonexistent/x", "1") == -ENOENT,
	   "write to a missing attribute: ENOENT");
	snprintf(path, sizeof(path), "%s/no/such/folder", dir);
	ok(file_write_atomic(path, "x", 1, 0600) == -ENOENT,
	   "atomic write into a missing folder: ENOENT");
	unlink(fifo);
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * descr.h - finding and reading import descriptions: NAME[@PLACE] or
 * PATH.yaml[@PLACE], looked up in ./.nmb/, the .nmb/ of each parent
 * folder, then ~/.config/nmb/ (Documentation/agent-api.rst).
 */
#ifndef NMBCTL_DESCR_H
#define NMBCTL_DESCR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Largest description sent: the agent's line limit is 64 KiB. */
#define DESCR_MAX	((size_t)60 * 1024)

struct descr_ref {
	char spec[PATH_MAX];	/* NAME, or a path ending in .yaml */
	char name[256];		/* the reservation's name */
	char place[256];	/* the pinned place, "" if none */
	bool is_path;
};

/*
 * Splits arg into a description reference. Returns 0, or -EINVAL (empty
 * name or place, a NAME with '/' that does not end in .yaml) or
 * -ENAMETOOLONG.
 */
int descr_parse(const char *arg, struct descr_ref *ref);

/*
 * Finds and reads the description of ref. On 0, *text is its text (free()
 * it) and path where it was found. -ENOENT: looked lists the files tried,
 * separated by ", ". -EFBIG: over DESCR_MAX. Other -errno: path names the
 * file that could not be read.
 */
int descr_load(const struct descr_ref *ref, char **text, char *path,
	       size_t pathlen, char *looked, size_t lookedlen);

/*
 * Reads the file at path (at most DESCR_MAX) into *text. 0 or -errno;
 * -EINVAL: not a regular file (a FIFO, a device), which is never read.
 */
int descr_read(const char *path, char **text);

#endif /* NMBCTL_DESCR_H */

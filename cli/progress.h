/* SPDX-License-Identifier: GPL-2.0 */
/*
 * progress.h - the waiting line of reserve and attach (progress.c).
 */
#ifndef NMBCTL_PROGRESS_H
#define NMBCTL_PROGRESS_H

#include <stdbool.h>

struct ipc;

struct progress {
	const char *verb, *name;
	bool tty, shown;
	long long position;		/* -1: not told */
	unsigned long long since;	/* monotonic seconds */
};

/* From now on, calls on ipc show their reserve_progress. */
void progress_start(struct progress *p, struct ipc *ipc, const char *verb,
		    const char *name);
/* Clears the terminal line, if one was shown. */
void progress_end(struct progress *p);

#endif /* NMBCTL_PROGRESS_H */

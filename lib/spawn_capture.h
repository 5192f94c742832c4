/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spawn_capture.h - a child process on lib/loop whose stdout is
 * collected (lib/spawn's children inherit it): for a command that
 * prints one value, such as --token-cmd. Limits on the output's size
 * and on the time the child may take; the child is killed (SIGKILL)
 * when one is passed.
 *
 *	c = spawn_capture_start(loop, (char *[]){ "/bin/sh", "-c", cmd,
 *				NULL }, 64 * 1024, 30000, done, ctx);
 *	...done(ctx, status, out, len, err): err NULL, status the exit code
 *	   (-1 if a signal ended it) and out the whole stdout, NUL
 *	   terminated; or err "no exit within 30 s" / "output over 65536
 *	   bytes" / a read error, and status -1.
 *	spawn_capture_cancel(c): the child is killed, done never runs.
 *
 * stdin is /dev/null, stderr is inherited (the daemon's journal).
 */
#ifndef NMB_SPAWN_CAPTURE_H
#define NMB_SPAWN_CAPTURE_H

#include <stddef.h>

struct loop;
struct spawn_capture;

typedef void (*spawn_capture_cb)(void *arg, int status, const char *out,
				 size_t len, const char *err);

/* NULL with errno set if the child cannot start. */
struct spawn_capture *spawn_capture_start(struct loop *loop,
					  char *const argv[], size_t max,
					  unsigned int timeout_ms,
					  spawn_capture_cb done, void *arg);
void spawn_capture_cancel(struct spawn_capture *c);

#endif /* NMB_SPAWN_CAPTURE_H */

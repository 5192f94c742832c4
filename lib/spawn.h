/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spawn.h - child processes on lib/loop (uv_spawn): started without
 * blocking, their exit reported in the loop.
 *
 *	s = spawn_start(loop, (char *[]){ "modprobe", "vhci-hcd", NULL },
 *			on_exit, ctx);
 *	...on_exit(status, signum, ctx): status is the exit code (or -1
 *	   and signum the signal that ended it).
 *	spawn_forget(s): on_exit is never called; the child is still
 *	   reaped if it ends while the loop runs, and left alone if the
 *	   loop is freed first.
 *
 * The child inherits stdout and stderr (its messages reach the
 * daemon's journal) and gets /dev/null as stdin. argv[0] is looked up
 * in PATH.
 */
#ifndef NMB_SPAWN_H
#define NMB_SPAWN_H

struct loop;
struct spawn;

typedef void (*spawn_cb)(int status, int signum, void *arg);

/* NULL with errno set if the child cannot start (ENOENT: no program). */
struct spawn *spawn_start(struct loop *loop, char *const argv[],
			  spawn_cb cb, void *arg);
void spawn_forget(struct spawn *s);

#endif /* NMB_SPAWN_H */

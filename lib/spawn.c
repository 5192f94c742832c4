// SPDX-License-Identifier: GPL-2.0
/*
 * spawn.c - uv_spawn() behind a handle the owner may forget at any time;
 * the uv_process_t lives until the child has been reaped and closed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <uv.h>

#include "loop.h"
#include "spawn.h"

struct spawn {
	uv_process_t proc;
	spawn_cb cb;
	void *arg;
	bool forgotten;
};

static void free_spawn(uv_handle_t *h)
{
	free(h->data);
}

static void child_exited(uv_process_t *proc, int64_t status, int signum)
{
	struct spawn *s = proc->data;

	if (!s->forgotten)
		s->cb(signum ? -1 : (int)status, signum, s->arg);
	uv_close((uv_handle_t *)proc, free_spawn);
}

struct spawn *spawn_start(struct loop *loop, char *const argv[],
			  spawn_cb cb, void *arg)
{
	struct spawn *s = calloc(1, sizeof(*s));
	uv_stdio_container_t stdio[3] = {
		{ .flags = UV_IGNORE },
		{ .flags = UV_INHERIT_FD, .data.fd = 1 },
		{ .flags = UV_INHERIT_FD, .data.fd = 2 },
	};
	uv_process_options_t opt = {
		.exit_cb = child_exited,
		.file = argv[0],
		.args = (char **)argv,
		.stdio_count = 3,
		.stdio = stdio,
	};
	int err;

	if (!s)
		return NULL;
	s->proc.data = s;
	s->cb = cb;
	s->arg = arg;
	err = uv_spawn(loop_uv(loop), &s->proc, &opt);
	if (err) {
		/* The handle is initialised even when uv_spawn() fails. */
		uv_close((uv_handle_t *)&s->proc, free_spawn);
		errno = -err;
		return NULL;
	}
	return s;
}

void spawn_forget(struct spawn *s)
{
	if (!s)
		return;
	s->forgotten = true;
	/* The loop does not wait for it; loop_free() lets it go. */
	uv_unref((uv_handle_t *)&s->proc);
}

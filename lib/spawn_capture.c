// SPDX-License-Identifier: GPL-2.0
/*
 * spawn_capture.c - uv_spawn() with a pipe on stdout and a deadline
 * timer. The answer is given once the child has exited and its stdout
 * reached EOF (or a limit was passed); the three handles are closed
 * after that and the struct freed when the last one has closed.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "loop.h"
#include "spawn_capture.h"

struct spawn_capture {
	uv_process_t proc;
	uv_pipe_t out;
	uv_timer_t timer;
	int open_handles;	/* freed when it reaches 0 */
	bool exited, eof, answered, cancelled;
	int status;
	char *buf;
	size_t len, max;
	unsigned int timeout_ms;
	char err[64];
	spawn_capture_cb done;
	void *arg;
};

static void handle_closed(uv_handle_t *h)
{
	struct spawn_capture *c = h->data;

	if (--c->open_handles == 0) {
		free(c->buf);
		free(c);
	}
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, handle_closed);
}

/* Kills a child still running; its exit callback closes the process. */
static void kill_child(struct spawn_capture *c)
{
	if (!c->exited)
		uv_process_kill(&c->proc, SIGKILL);
}

static void answer(struct spawn_capture *c)
{
	if (c->answered)
		return;
	c->answered = true;
	uv_timer_stop(&c->timer);
	if (!c->cancelled)
		c->done(c->arg, c->err[0] ? -1 : c->status,
			c->buf ? c->buf : "", c->len, c->err[0] ? c->err : NULL);
	close_handle((uv_handle_t *)&c->timer);
	close_handle((uv_handle_t *)&c->out);
	if (c->exited)
		close_handle((uv_handle_t *)&c->proc);
	else
		kill_child(c);
}

/* A limit passed: the child goes, the answer is the error. */
static void fail(struct spawn_capture *c, const char *err)
{
	if (c->answered)
		return;
	snprintf(c->err, sizeof(c->err), "%s", err);
	uv_read_stop((uv_stream_t *)&c->out);
	c->eof = true;
	kill_child(c);
	if (c->exited)
		answer(c);
}

static void child_exited(uv_process_t *proc, int64_t status, int signum)
{
	struct spawn_capture *c = proc->data;

	c->exited = true;
	c->status = signum ? -1 : (int)status;
	if (c->answered) {
		close_handle((uv_handle_t *)&c->proc);
		return;
	}
	if (c->eof)
		answer(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct spawn_capture *c = h->data;
	size_t want = c->len + 4096 + 1;
	char *p;

	(void)hint;
	b->base = NULL;
	b->len = 0;
	if (want > c->max + 2)
		want = c->max + 2;
	if (want <= c->len + 1)
		return;		/* full: on_read gets UV_ENOBUFS */
	p = realloc(c->buf, want);
	if (!p)
		return;
	c->buf = p;
	b->base = c->buf + c->len;
	b->len = want - c->len - 1;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct spawn_capture *c = s->data;
	char msg[64];

	(void)b;
	if (n == UV_ENOBUFS) {
		snprintf(msg, sizeof(msg), "output over %zu bytes", c->max);
		return fail(c, msg);
	}
	if (n < 0) {
		uv_read_stop(s);
		c->eof = true;
		if (n != UV_EOF) {
			snprintf(msg, sizeof(msg), "reading its output: %s",
				 uv_strerror((int)n));
			return fail(c, msg);
		}
		if (c->exited)
			answer(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (c->len > c->max) {
		snprintf(msg, sizeof(msg), "output over %zu bytes", c->max);
		fail(c, msg);
	}
}

static void on_timeout(uv_timer_t *t)
{
	struct spawn_capture *c = t->data;
	char msg[64];

	snprintf(msg, sizeof(msg), "no exit within %u s",
		 c->timeout_ms / 1000);
	fail(c, msg);
}

struct spawn_capture *spawn_capture_start(struct loop *loop,
					  char *const argv[], size_t max,
					  unsigned int timeout_ms,
					  spawn_capture_cb done, void *arg)
{
	struct spawn_capture *c = calloc(1, sizeof(*c));
	uv_stdio_container_t stdio[3] = {
		{ .flags = UV_IGNORE },
		{ .flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE },
		{ .flags = UV_INHERIT_FD, .data.fd = 2 },
	};
	uv_process_options_t opt = {
		.exit_cb = child_exited,
		.file = argv[0],
		.args = (char **)argv,
		.stdio_count = 3,
		.stdio = stdio,
	};
	uv_loop_t *uv = loop_uv(loop);
	int err;

	if (!c)
		return NULL;
	c->max = max;
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->arg = arg;
	c->proc.data = c->out.data = c->timer.data = c;
	uv_pipe_init(uv, &c->out, 0);
	uv_timer_init(uv, &c->timer);
	c->open_handles = 2;
	stdio[1].data.stream = (uv_stream_t *)&c->out;
	err = uv_spawn(uv, &c->proc, &opt);
	c->open_handles++;	/* the process handle is initialised anyway */
	if (err) {
		c->answered = true;
		close_handle((uv_handle_t *)&c->proc);
		close_handle((uv_handle_t *)&c->out);
		close_handle((uv_handle_t *)&c->timer);
		errno = -err;
		return NULL;
	}
	err = uv_read_start((uv_stream_t *)&c->out, on_alloc, on_read);
	if (err)
		c->eof = true;
	uv_timer_start(&c->timer, on_timeout, timeout_ms, 0);
	return c;
}

void spawn_capture_cancel(struct spawn_capture *c)
{
	if (!c || c->answered)
		return;
	c->cancelled = true;
	uv_read_stop((uv_stream_t *)&c->out);
	answer(c);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * loop.c - the daemons' event loop on libuv.
 *
 * Each loop_fd, loop_timer and loop_signal wraps one libuv handle; it is
 * freed from the handle's close callback, so deleting one from inside
 * any callback is safe. An always-referenced uv_async_t keeps loop_run()
 * going until loop_stop(), as epoll_wait() did, even with nothing to
 * watch.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include <uv.h>

#include "log.h"
#include "loop.h"

struct loop {
	uv_loop_t uv;
	uv_async_t keep;	/* holds uv_run() until loop_stop() */
	bool stop;
	int err;		/* loop_fail()'s, for loop_run() */
};

struct loop_fd {
	uv_poll_t h;
	int fd;
	uint32_t events;
	bool dead;
	bool stopped;		/* libuv stopped it after an error */
	loop_fd_cb cb;
	void *arg;
};

struct loop_timer {
	uv_timer_t h;
	loop_timer_cb cb;
	void *arg;
};

struct loop_signal {
	uv_signal_t h;
	loop_signal_cb cb;
	void *arg;
};

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t loop_now_ms(void)
{
	return loop_now_ns() / 1000000ull;
}

static void free_handle(uv_handle_t *h)
{
	free(h->data);
}

static void keep_cb(uv_async_t *h)
{
	(void)h;
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	int err;

	if (!loop)
		return NULL;
	err = uv_loop_init(&loop->uv);
	if (err) {
		free(loop);
		errno = -err;
		return NULL;
	}
	err = uv_async_init(&loop->uv, &loop->keep, keep_cb);
	if (err) {
		uv_loop_close(&loop->uv);
		free(loop);
		errno = -err;
		return NULL;
	}
	loop->uv.data = loop;
	return loop;
}

struct uv_loop_s *loop_uv(struct loop *loop)
{
	return &loop->uv;
}

static void count_closing(uv_handle_t *h, void *arg)
{
	unsigned int *n = arg;

	if (uv_is_closing(h))
		(*n)++;
}

void loop_settle(struct loop *loop)
{
	/* Each round runs the close callbacks; they may close more. */
	for (int round = 0; round < 100; round++) {
		unsigned int closing = 0;

		uv_walk(&loop->uv, count_closing, &closing);
		if (!closing)
			return;
		uv_run(&loop->uv, UV_RUN_NOWAIT);
	}
	log_warn("event loop: handles still closing after 100 rounds");
}

static void close_leftover(uv_handle_t *h, void *arg)
{
	unsigned int *n = arg;

	if (uv_is_closing(h))
		return;
	if (uv_has_ref(h))
		(*n)++;
	/* A child lib/spawn was told to forget, still running: let it be. */
	uv_close(h, h->type == UV_PROCESS ? free_handle : NULL);
}

void loop_free(struct loop *loop)
{
	unsigned int leftover = 0;

	if (!loop)
		return;
	uv_close((uv_handle_t *)&loop->keep, NULL);
	/* What is closing finishes (libwebsockets' handles too)... */
	uv_run(&loop->uv, UV_RUN_NOWAIT);
	/* ...what is still open would hold the loop for ever. */
	uv_walk(&loop->uv, close_leftover, &leftover);
	if (leftover)
		log_err("event loop: %u handle(s) still open at exit; this is a bug in nmb",
			leftover);
	/* Waits for requests in libuv's threads (name resolution). */
	uv_run(&loop->uv, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop->uv))
		log_err("event loop: requests still pending at exit; this is a bug in nmb");
	free(loop);
}

int loop_run(struct loop *loop)
{
	loop->stop = false;
	loop->err = 0;
	while (!loop->stop) {
		/* Only loop_stop() ends it: loop->keep is always active. */
		uv_run(&loop->uv, UV_RUN_DEFAULT);
	}
	return loop->err;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
	uv_stop(&loop->uv);
}

void loop_fail(struct loop *loop, int err)
{
	loop->err = err < 0 ? err : -EIO;
	loop_stop(loop);
}

static int to_uv(uint32_t events)
{
	return ((events & EPOLLIN) ? UV_READABLE : 0) |
	       ((events & EPOLLOUT) ? UV_WRITABLE : 0) |
	       ((events & EPOLLRDHUP) ? UV_DISCONNECT : 0);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct loop_fd *lfd = h->data;
	uint32_t ev = 0;

	if (lfd->dead)
		return;
	if (status < 0) {
		/* EPOLLERR: libuv stopped the handle; epoll would not have. */
		ev = EPOLLERR | (lfd->events & (EPOLLIN | EPOLLOUT));
		lfd->stopped = true;
	}
	if (events & UV_READABLE)
		ev |= EPOLLIN;
	if (events & UV_WRITABLE)
		ev |= EPOLLOUT;
	if (events & UV_DISCONNECT)
		ev |= EPOLLRDHUP;
	lfd->cb(lfd, ev, lfd->arg);
	if (!lfd->dead && lfd->stopped) {
		lfd->stopped = false;
		uv_poll_start(&lfd->h, to_uv(lfd->events), on_poll);
	}
}

struct loop_fd *loop_fd_add(struct loop *loop, int fd, uint32_t events,
			    loop_fd_cb cb, void *arg)
{
	struct loop_fd *lfd = calloc(1, sizeof(*lfd));
	int flags = fcntl(fd, F_GETFL);
	int err;

	if (!lfd)
		return NULL;
	if (flags < 0) {
		free(lfd);
		return NULL;
	}
	lfd->fd = fd;
	lfd->cb = cb;
	lfd->arg = arg;
	lfd->events = events;
	err = uv_poll_init(&loop->uv, &lfd->h, fd);
	/* uv_poll_init() makes fd non-blocking; the fd stays as it was. */
	if (!(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags);
	if (err) {
		free(lfd);
		errno = -err;
		return NULL;
	}
	lfd->h.data = lfd;
	err = uv_poll_start(&lfd->h, to_uv(events), on_poll);
	if (err) {
		lfd->dead = true;
		uv_close((uv_handle_t *)&lfd->h, free_handle);
		errno = -err;
		return NULL;
	}
	return lfd;
}

int loop_fd_mod(struct loop_fd *lfd, uint32_t events)
{
	if (lfd->dead)
		return -EBADF;
	lfd->events = events;
	lfd->stopped = false;
	return uv_poll_start(&lfd->h, to_uv(events), on_poll);
}

void loop_fd_del(struct loop_fd *lfd)
{
	if (!lfd || lfd->dead)
		return;
	lfd->dead = true;
	uv_close((uv_handle_t *)&lfd->h, free_handle);
}

int loop_fd_fd(const struct loop_fd *lfd)
{
	return lfd->fd;
}

static void on_timer(uv_timer_t *h)
{
	struct loop_timer *t = h->data;

	t->cb(t, t->arg);
}

struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_cb cb,
				  void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	uv_timer_init(&loop->uv, &t->h);
	t->h.data = t;
	t->cb = cb;
	t->arg = arg;
	return t;
}

void loop_timer_set(struct loop_timer *t, uint64_t delay_ms)
{
	/* From now, not from the start of this loop iteration. */
	uv_update_time(t->h.loop);
	uv_timer_start(&t->h, on_timer, delay_ms, 0);
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (t)
		uv_timer_stop(&t->h);
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return uv_is_active((const uv_handle_t *)&t->h);
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	uv_timer_stop(&t->h);
	uv_close((uv_handle_t *)&t->h, free_handle);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct loop_signal *s = h->data;

	s->cb(s, signum, s->arg);
}

struct loop_signal *loop_signal_new(struct loop *loop, int signum,
				    loop_signal_cb cb, void *arg)
{
	struct loop_signal *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	err = uv_signal_init(&loop->uv, &s->h);
	if (err) {
		free(s);
		errno = -err;
		return NULL;
	}
	s->h.data = s;
	s->cb = cb;
	s->arg = arg;
	err = uv_signal_start(&s->h, on_signal, signum);
	if (err) {
		uv_close((uv_handle_t *)&s->h, free_handle);
		errno = -err;
		return NULL;
	}
	return s;
}

void loop_signal_free(struct loop_signal *s)
{
	if (!s)
		return;
	uv_signal_stop(&s->h);
	uv_close((uv_handle_t *)&s->h, free_handle);
}

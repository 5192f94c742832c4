// SPDX-License-Identifier: GPL-2.0
/*
 * loop.c - epoll event loop with one-shot timers.
 *
 * Timers live in a list sorted by deadline; the head bounds epoll_wait.
 * A loop_fd deleted while events for it are pending is only marked dead
 * and freed after the current batch, so callbacks may delete freely.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define MAX_EVENTS 64

struct loop_fd {
	struct loop *loop;
	int fd;
	bool dead;
	loop_fd_cb cb;
	void *arg;
	struct loop_fd *next_dead;
};

struct loop_timer {
	struct loop *loop;
	uint64_t deadline_ms;
	bool armed;
	loop_timer_cb cb;
	void *arg;
	struct loop_timer *prev, *next;
};

struct loop {
	int epfd;
	bool stop;
	struct loop_timer *timers;	/* sorted by deadline */
	struct loop_fd *dead;		/* freed after each batch */
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

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

static void free_dead(struct loop *loop)
{
	while (loop->dead) {
		struct loop_fd *lfd = loop->dead;

		loop->dead = lfd->next_dead;
		free(lfd);
	}
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	free_dead(loop);
	close(loop->epfd);
	free(loop);
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}

struct loop_fd *loop_fd_add(struct loop *loop, int fd, uint32_t events,
			    loop_fd_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct loop_fd *lfd = calloc(1, sizeof(*lfd));

	if (!lfd)
		return NULL;
	lfd->loop = loop;
	lfd->fd = fd;
	lfd->cb = cb;
	lfd->arg = arg;
	ev.data.ptr = lfd;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;

		free(lfd);
		errno = err;
		return NULL;
	}
	return lfd;
}

int loop_fd_mod(struct loop_fd *lfd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = lfd };

	if (epoll_ctl(lfd->loop->epfd, EPOLL_CTL_MOD, lfd->fd, &ev) < 0)
		return -errno;
	return 0;
}

void loop_fd_del(struct loop_fd *lfd)
{
	if (!lfd || lfd->dead)
		return;
	/* The fd may already be closed by its owner; ignore ENOENT/EBADF. */
	epoll_ctl(lfd->loop->epfd, EPOLL_CTL_DEL, lfd->fd, NULL);
	lfd->dead = true;
	lfd->next_dead = lfd->loop->dead;
	lfd->loop->dead = lfd;
}

int loop_fd_fd(const struct loop_fd *lfd)
{
	return lfd->fd;
}

struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_cb cb,
				  void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	return t;
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (!t || !t->armed)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		t->loop->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->armed = false;
}

void loop_timer_set(struct loop_timer *t, uint64_t delay_ms)
{
	struct loop_timer **pos, *prev = NULL;

	loop_timer_cancel(t);
	t->deadline_ms = loop_now_ms() + delay_ms;
	/* Timers with equal deadlines fire in the order they were set. */
	for (pos = &t->loop->timers; *pos; pos = &(*pos)->next) {
		if ((*pos)->deadline_ms > t->deadline_ms)
			break;
		prev = *pos;
	}
	t->next = *pos;
	t->prev = prev;
	if (*pos)
		(*pos)->prev = t;
	*pos = t;
	t->armed = true;
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->armed;
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	loop_timer_cancel(t);
	free(t);
}

static int next_timeout(struct loop *loop)
{
	uint64_t now;

	if (!loop->timers)
		return -1;
	now = loop_now_ms();
	if (loop->timers->deadline_ms <= now)
		return 0;
	if (loop->timers->deadline_ms - now > 60000)
		return 60000;
	return (int)(loop->timers->deadline_ms - now);
}

static void run_timers(struct loop *loop)
{
	uint64_t now = loop_now_ms();

	while (loop->timers && loop->timers->deadline_ms <= now &&
	       !loop->stop) {
		struct loop_timer *t = loop->timers;

		loop_timer_cancel(t);
		t->cb(t, t->arg);
	}
}

int loop_run(struct loop *loop)
{
	struct epoll_event events[MAX_EVENTS];

	loop->stop = false;
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, events, MAX_EVENTS,
				   next_timeout(loop));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			struct loop_fd *lfd = events[i].data.ptr;

			if (!lfd->dead)
				lfd->cb(lfd, events[i].events, lfd->arg);
		}
		free_dead(loop);
		run_timers(loop);
		free_dead(loop);
	}
	return 0;
}

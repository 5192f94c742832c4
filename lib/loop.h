/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loop.h - the one event loop of every nmb daemon, on libuv: file
 * descriptors (uv_poll_t), one-shot monotonic timers (uv_timer_t) and
 * signals (uv_signal_t). Single-threaded.
 *
 * libwebsockets joins the same uv_loop_t as a foreign loop (loop_uv());
 * name resolution is lib/resolve.h, child processes lib/spawn.h.
 */
#ifndef NMB_LOOP_H
#define NMB_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_fd;
struct loop_timer;
struct loop_signal;
struct uv_loop_s;

/* events: EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits, as epoll reports them */
typedef void (*loop_fd_cb)(struct loop_fd *lfd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(struct loop_timer *t, void *arg);
typedef void (*loop_signal_cb)(struct loop_signal *s, int signum, void *arg);

struct loop *loop_new(void);
/*
 * Frees the loop once everything on it has closed (libwebsockets'
 * handles included); every loop_fd, loop_timer and loop_signal must be
 * freed already.
 */
void loop_free(struct loop *loop);
/* The libuv loop underneath, for libwebsockets and lib/resolve, spawn. */
struct uv_loop_s *loop_uv(struct loop *loop);
/*
 * Runs the loop without waiting until no handle is closing any more
 * (libwebsockets' after lws_context_destroy(), whose second call then
 * frees the context). Never from inside a callback of the loop.
 */
void loop_settle(struct loop *loop);

/* Runs until loop_stop() (returns 0) or loop_fail() (returns its err). */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
/* Stops the loop for a fatal error: loop_run() returns err (< 0). */
void loop_fail(struct loop *loop, int err);

/* Monotonic time in nanoseconds / milliseconds. */
uint64_t loop_now_ns(void);
uint64_t loop_now_ms(void);

/*
 * Watches fd for events (EPOLLIN, EPOLLOUT, ...); NULL with errno set
 * if it cannot (an fd already watched: EEXIST). The fd stays the
 * caller's, and so do its flags: loop_fd_del() stops watching but does
 * not close it, and must come before the fd is closed. Deleting a
 * loop_fd from inside any callback is safe.
 */
struct loop_fd *loop_fd_add(struct loop *loop, int fd, uint32_t events,
			    loop_fd_cb cb, void *arg);
int loop_fd_mod(struct loop_fd *lfd, uint32_t events);
void loop_fd_del(struct loop_fd *lfd);
int loop_fd_fd(const struct loop_fd *lfd);

/*
 * Timers are one-shot; loop_timer_set() (re)arms one to fire after
 * delay_ms from now, loop_timer_cancel() disarms it. Timers with equal
 * deadlines fire in the order they were set. Freeing from inside its
 * own callback is safe.
 */
struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_cb cb,
				  void *arg);
void loop_timer_set(struct loop_timer *t, uint64_t delay_ms);
void loop_timer_cancel(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);

/*
 * Calls cb in the loop each time signum arrives, until freed. The
 * signal must not be blocked (no signalfd for it). NULL with errno set
 * on failure.
 */
struct loop_signal *loop_signal_new(struct loop *loop, int signum,
				    loop_signal_cb cb, void *arg);
void loop_signal_free(struct loop_signal *s);

#endif /* NMB_LOOP_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loop.h - the one event loop of every nmb daemon: epoll over file
 * descriptors plus one-shot monotonic timers. Single-threaded.
 *
 * libwebsockets joins it through its external-poll callbacks
 * (LWS_CALLBACK_ADD_POLL_FD & co.): each lws fd is a loop_fd whose
 * callback calls lws_service_fd().
 */
#ifndef NMB_LOOP_H
#define NMB_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_fd;
struct loop_timer;

/* events: EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits, as epoll reports them */
typedef void (*loop_fd_cb)(struct loop_fd *lfd, uint32_t events, void *arg);
typedef void (*loop_timer_cb)(struct loop_timer *t, void *arg);

struct loop *loop_new(void);
/* Frees the loop; every loop_fd and loop_timer must be gone already. */
void loop_free(struct loop *loop);

/* Runs until loop_stop(); returns 0, or -errno if epoll fails. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* Monotonic time in nanoseconds / milliseconds. */
uint64_t loop_now_ns(void);
uint64_t loop_now_ms(void);

/*
 * Watches fd for events (EPOLLIN, EPOLLOUT, ...). The fd stays the
 * caller's: loop_fd_del() stops watching but does not close it.
 * Deleting a loop_fd from inside any callback is safe.
 */
struct loop_fd *loop_fd_add(struct loop *loop, int fd, uint32_t events,
			    loop_fd_cb cb, void *arg);
int loop_fd_mod(struct loop_fd *lfd, uint32_t events);
void loop_fd_del(struct loop_fd *lfd);
int loop_fd_fd(const struct loop_fd *lfd);

/*
 * Timers are one-shot; loop_timer_set() (re)arms one to fire after
 * delay_ms, loop_timer_cancel() disarms it. Freeing from inside its own
 * callback is safe.
 */
struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_cb cb,
				  void *arg);
void loop_timer_set(struct loop_timer *t, uint64_t delay_ms);
void loop_timer_cancel(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);

#endif /* NMB_LOOP_H */

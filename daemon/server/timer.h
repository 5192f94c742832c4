/* SPDX-License-Identifier: GPL-2.0 */
/*
 * timer.h - one-shot timers on the server's event loop (timer.c), for
 * the files that need one without knowing which loop that is.
 */
#ifndef NMB_SERVER_TIMER_H
#define NMB_SERVER_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct server;
struct srv_timer;

typedef void (*srv_timer_fn)(struct server *srv, void *data);

/* NULL if out of memory. The loop must exist before srv_timer_set(). */
struct srv_timer *srv_timer_new(struct server *srv, srv_timer_fn fn,
				void *data);
/* Runs fn(srv, data) once, US microseconds from now; re-arms if armed. */
void srv_timer_set(struct srv_timer *t, uint64_t us);
void srv_timer_stop(struct srv_timer *t);
bool srv_timer_armed(const struct srv_timer *t);
/* Stops and frees *t, and sets it to NULL. */
void srv_timer_free(struct srv_timer **t);

#endif /* NMB_SERVER_TIMER_H */

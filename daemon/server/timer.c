// SPDX-License-Identifier: GPL-2.0
/*
 * timer.c - srv_timer on lib/loop's one-shot timers, on the server's
 * event loop (srv->loop, which libwebsockets shares). Microseconds are
 * rounded up to lib/loop's milliseconds. A NULL timer (its set-up
 * failed, or teardown freed it) is ignored.
 */
#include <stdlib.h>

#include "loop.h"
#include "server.h"
#include "timer.h"

struct srv_timer {
	struct loop_timer *lt;
	struct server *srv;
	srv_timer_fn fn;
	void *data;
};

static void fire(struct loop_timer *lt, void *arg)
{
	struct srv_timer *t = arg;

	(void)lt;
	t->fn(t->srv, t->data);
}

struct srv_timer *srv_timer_new(struct server *srv, srv_timer_fn fn,
				void *data)
{
	struct srv_timer *t;

	if (!srv->loop)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->lt = loop_timer_new(srv->loop, fire, t);
	if (!t->lt) {
		free(t);
		return NULL;
	}
	t->srv = srv;
	t->fn = fn;
	t->data = data;
	return t;
}

void srv_timer_set(struct srv_timer *t, uint64_t us)
{
	if (t)
		loop_timer_set(t->lt, (us + 999) / 1000);
}

void srv_timer_stop(struct srv_timer *t)
{
	if (t)
		loop_timer_cancel(t->lt);
}

bool srv_timer_armed(const struct srv_timer *t)
{
	return t && loop_timer_armed(t->lt);
}

/* Safe from inside the timer's own callback (lib/loop defers the free). */
void srv_timer_free(struct srv_timer **t)
{
	if (!*t)
		return;
	loop_timer_free((*t)->lt);
	free(*t);
	*t = NULL;
}

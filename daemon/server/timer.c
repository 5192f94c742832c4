// SPDX-License-Identifier: GPL-2.0
/*
 * timer.c - srv_timer on libwebsockets' sorted-usec timers (lws_sul),
 * which run on the lws context's event loop. A NULL timer (its set-up
 * failed, or teardown freed it) is ignored.
 */
#include <libwebsockets.h>
#include <stdlib.h>

#include "server.h"
#include "timer.h"

struct srv_timer {
	lws_sorted_usec_list_t sul;	/* first: the callback's pointer */
	struct server *srv;
	srv_timer_fn fn;
	void *data;
};

struct srv_timer *srv_timer_new(struct server *srv, srv_timer_fn fn,
				void *data)
{
	struct srv_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->srv = srv;
	t->fn = fn;
	t->data = data;
	return t;
}

static void fire(lws_sorted_usec_list_t *sul)
{
	struct srv_timer *t = lws_container_of(sul, struct srv_timer, sul);

	t->fn(t->srv, t->data);
}

void srv_timer_set(struct srv_timer *t, uint64_t us)
{
	if (t)
		lws_sul_schedule(t->srv->ctx, 0, &t->sul, fire, (lws_usec_t)us);
}

void srv_timer_stop(struct srv_timer *t)
{
	if (t && t->sul.list.owner)
		lws_sul_cancel(&t->sul);
}

bool srv_timer_armed(const struct srv_timer *t)
{
	return t && t->sul.list.owner;
}

void srv_timer_free(struct srv_timer **t)
{
	srv_timer_stop(*t);
	free(*t);
	*t = NULL;
}

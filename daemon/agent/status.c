// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - the agent's one-line status for systemd (STATUS=, shown by
 * systemctl status) and its timer, which also keeps the watchdog.
 */
#include <stdio.h>

#include "agent.h"
#include "loop.h"
#include "notify.h"
#include "reservation.h"
#include "status.h"

void agent_status(const struct agent *a, char *buf, size_t len)
{
	unsigned int n = 0, attached = 0, waiting = 0;
	const struct reservation *r;

	list_for_each_entry(r, &a->res, node) {
		n++;
		if (r->attached)
			attached++;
		if (!r->place_id)
			waiting++;
	}
	snprintf(buf, len, "%s, %u reservation%s: %u attached, %u waiting",
		 a->chan ? "connected" : "connecting to the server", n,
		 n == 1 ? "" : "s", attached, waiting);
}

static void tick(struct loop_timer *t, void *arg)
{
	char status[128];

	agent_status(arg, status, sizeof(status));
	notify_tick(status);
	loop_timer_set(t, notify_tick_ms());
}

struct loop_timer *agent_notify_start(struct agent *a)
{
	struct loop_timer *t;
	char status[128];

	notify_init();
	agent_status(a, status, sizeof(status));
	notify_ready(status);
	if (!notify_tick_ms())
		return NULL;
	t = loop_timer_new(a->loop, tick, a);
	if (t)
		loop_timer_set(t, notify_tick_ms());
	return t;
}

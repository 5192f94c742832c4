// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - the agent's one-line status for systemd (STATUS=, shown by
 * systemctl status) and its timer, which also keeps the watchdog.
 */
#include <stdio.h>

#include "agent.h"
#include "loop.h"
#include "notify.h"

/* "connected, 2 reservations: 1 attached, 1 waiting" */
void agent_status(char *buf, size_t len)
{
	unsigned int n = 0, attached = 0, waiting = 0;
	const struct reservation *r;

	for (r = agent.res; r; r = r->next) {
		n++;
		if (r->attached)
			attached++;
		if (!r->place_id)
			waiting++;
	}
	snprintf(buf, len, "%s, %u reservation%s: %u attached, %u waiting",
		 hub_chan() ? "connected" : "connecting to the server", n,
		 n == 1 ? "" : "s", attached, waiting);
}

static void tick(struct loop_timer *t, void *arg)
{
	char status[128];

	(void)arg;
	agent_status(status, sizeof(status));
	notify_tick(status);
	loop_timer_set(t, notify_tick_ms());
}

struct loop_timer *agent_notify_start(void)
{
	struct loop_timer *t;
	char status[128];

	notify_init();
	agent_status(status, sizeof(status));
	notify_ready(status);
	if (!notify_tick_ms())
		return NULL;
	t = loop_timer_new(agent.loop, tick, NULL);
	if (t)
		loop_timer_set(t, notify_tick_ms());
	return t;
}

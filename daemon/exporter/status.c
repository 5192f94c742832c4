// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - the exporter's one-line status for systemd (STATUS=, shown
 * by systemctl status) and its timer, which also keeps the watchdog.
 */
#include <stdio.h>

#include "exporter.h"
#include "hub_client.h"
#include "loop.h"
#include "notify.h"
#include "status.h"

/* "2 places: 2 registered, 1 reserved" */
void exporter_status(const struct exporter *e, char *buf, size_t len)
{
	size_t i, registered = 0, reserved = 0;

	for (i = 0; i < e->cfg.n_places; i++) {
		const struct place *p = e->cfg.places[i];

		if (p->hub && hub_client_chan(p->hub) && p->place_id)
			registered++;
		if (p->n_allowed)
			reserved++;
	}
	snprintf(buf, len, "%zu place%s: %zu registered, %zu reserved",
		 e->cfg.n_places, e->cfg.n_places == 1 ? "" : "s", registered,
		 reserved);
}

static void tick(struct loop_timer *t, void *arg)
{
	char status[128];

	exporter_status(arg, status, sizeof(status));
	notify_tick(status);
	loop_timer_set(t, notify_tick_ms());
}

struct loop_timer *exporter_notify_start(struct exporter *e)
{
	struct loop_timer *t;
	char status[128];

	exporter_status(e, status, sizeof(status));
	notify_ready(status);
	if (!notify_tick_ms())
		return NULL;
	t = loop_timer_new(e->loop, tick, e);
	if (t)
		loop_timer_set(t, notify_tick_ms());
	return t;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vanish.c - a not-my-board hub drops a place whose exporter disconnects
 * and tells its holder nothing: the agent would stay attached to it with
 * dead tunnels. While connected to a hub without the "notify" feature
 * and holding places, the agent reads the hub's place list every few
 * seconds; a reserved place missing from it is lost ("gone"): detached,
 * returned, and reserved again once it is back (res_lost()).
 */
#include <errno.h>
#include <stdlib.h>

#include "agent.h"
#include "log.h"
#include "loop.h"
#include "places.h"
#include "reservation.h"
#include "server_link.h"

#define VANISH_POLL_MS	3000

struct vanish {
	struct agent *a;
	struct loop_timer *timer;
	struct places_req *pending;
};

static void got_places(void *arg, json_object *places, const char *err)
{
	struct vanish *v = arg;
	struct reservation *r;
	int gone;

	v->pending = NULL;
	loop_timer_set(v->timer, VANISH_POLL_MS);
	if (!places) {
		log_debug("place list for the vanish check: %s", err);
		return;
	}
	/* res_lost() may change the list: look again after each one. */
	do {
		gone = 0;
		list_for_each_entry(r, &v->a->res, node) {
			if (r->place_id &&
			    !places_find(places, NULL, r->place_id)) {
				gone = r->place_id;
				break;
			}
		}
		if (gone)
			res_lost(v->a, gone, "gone");
	} while (gone);
}

static bool holding(const struct agent *a)
{
	const struct reservation *r;

	list_for_each_entry(r, &a->res, node)
		if (r->place_id)
			return true;
	return false;
}

static void tick(struct loop_timer *t, void *arg)
{
	struct vanish *v = arg;
	struct agent *a = v->a;

	if (!a->chan || a->feat.notify || !holding(a) || v->pending) {
		loop_timer_set(t, VANISH_POLL_MS);
		return;
	}
	v->pending = places_fetch(a, got_places, v);
	if (!v->pending)
		loop_timer_set(t, VANISH_POLL_MS);
}

int vanish_start(struct agent *a)
{
	struct vanish *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->a = a;
	v->timer = loop_timer_new(a->loop, tick, v);
	if (!v->timer) {
		free(v);
		return -ENOMEM;
	}
	a->vanish = v;
	loop_timer_set(v->timer, VANISH_POLL_MS);
	return 0;
}

void vanish_stop(struct agent *a)
{
	struct vanish *v = a->vanish;

	if (!v)
		return;
	places_cancel(v->pending);
	loop_timer_free(v->timer);
	free(v);
	a->vanish = NULL;
}

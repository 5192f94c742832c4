// SPDX-License-Identifier: GPL-2.0
/*
 * vanish.c - a not-my-board hub drops a place whose exporter disconnects
 * and tells its holder nothing: the agent would stay attached to it with
 * dead tunnels. While connected to a hub without the "notify" feature
 * and holding places, the agent reads the hub's place list every few
 * seconds; a reserved place missing from it is lost ("gone"): detached,
 * returned, and reserved again once it is back (res_lost()).
 */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "loop.h"

#define VANISH_POLL_MS	3000

static struct loop_timer *timer;
static struct places_req *pending;

static bool listed(json_object *places, int id)
{
	for (size_t i = 0; i < json_object_array_length(places); i++) {
		json_object *p = json_object_array_get_idx(places, i), *v;

		if (json_object_object_get_ex(p, "id", &v) &&
		    json_object_get_int(v) == id)
			return true;
	}
	return false;
}

static void got_places(void *arg, json_object *places, const char *err)
{
	struct reservation *r;
	int gone;

	(void)arg;
	pending = NULL;
	loop_timer_set(timer, VANISH_POLL_MS);
	if (!places) {
		log_debug("place list for the vanish check: %s", err);
		return;
	}
	/* res_lost() may change the list: look again after each one. */
	do {
		gone = 0;
		for (r = agent.res; r && !gone; r = r->next)
			if (r->place_id && !listed(places, r->place_id))
				gone = r->place_id;
		if (gone)
			res_lost(gone, "gone");
	} while (gone);
}

static bool holding(void)
{
	for (struct reservation *r = agent.res; r; r = r->next)
		if (r->place_id)
			return true;
	return false;
}

static void tick(struct loop_timer *t, void *arg)
{
	(void)arg;
	if (!hub_chan() || agent.feat_notify || !holding() || pending) {
		loop_timer_set(t, VANISH_POLL_MS);
		return;
	}
	pending = places_fetch(got_places, NULL);
	if (!pending)
		loop_timer_set(t, VANISH_POLL_MS);
}

int vanish_start(void)
{
	timer = loop_timer_new(agent.loop, tick, NULL);
	if (!timer)
		return -1;
	loop_timer_set(timer, VANISH_POLL_MS);
	return 0;
}

void vanish_stop(void)
{
	places_cancel(pending);
	pending = NULL;
	loop_timer_free(timer);
	timer = NULL;
}

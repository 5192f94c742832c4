// SPDX-License-Identifier: GPL-2.0
/*
 * queue.c - a reserve waiting in the server's queue: its position (the
 * server's reserve_queued notification, an nmb extension) and waiting
 * time for list(), the reserve_progress notifications to the nmbctl that
 * waits (when it asked for them), and --no-wait: a reserve that would
 * wait is withdrawn and fails instead.
 */
#include <stdio.h>

#include "agent.h"
#include "jsonrpc.h"
#include "log.h"
#include "loop.h"
#include "protocol.h"
#include "queue.h"
#include "reservation.h"
#include "unixrpc.h"

#define PROGRESS_FIRST_MS	1000

static void notify(struct reservation *r)
{
	json_object *o;

	if (!r->req || !r->progress)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "position", r->position ?
			       json_object_new_int64(r->position) : NULL);
	json_object_object_add(o, "waiting_s", json_object_new_int64(
			(int64_t)(loop_now_ms() - r->queued_ms) / 1000));
	rpc_notify(rpc_req_chan(r->req), CTL_RESERVE_PROGRESS, o);
}

/* No position after a second (a hub without "queue"): say it waits. */
static void still_waiting(struct loop_timer *t, void *arg)
{
	struct reservation *r = arg;

	(void)t;
	if (!r->position)
		notify(r);
}

void queue_start(struct reservation *r)
{
	r->queued_ms = loop_now_ms();
	r->position = 0;
	if (!r->progress || r->no_wait)
		return;
	if (!r->progress_timer)
		r->progress_timer = loop_timer_new(r->agent->loop,
						   still_waiting, r);
	if (r->progress_timer)
		loop_timer_set(r->progress_timer, PROGRESS_FIRST_MS);
}

void queue_position(struct reservation *r, unsigned int position)
{
	struct rpc_req *req = r->req;

	if (r->place_id || !r->call)
		return;
	r->position = position;
	log_info("%s: waiting in the server's queue at position %u", r->name,
		 position);
	if (!r->no_wait || !req)
		return notify(r);
	/* --no-wait: withdraw (a grant that crosses it is returned). */
	rpc_req_on_cancel(req, NULL, NULL);
	r->req = NULL;
	unixrpc_error(req, "conflict",
		      "%s: every matching place is taken (the queue has %u waiting ahead); try later, or leave out --no-wait",
		      r->name, position - 1);
	res_free(r);
}

void queue_end(struct reservation *r)
{
	loop_timer_free(r->progress_timer);
	r->progress_timer = NULL;
	r->position = 0;
}

void queue_list_fields(struct reservation *r, json_object *o)
{
	bool queued = !r->place_id && r->queued_ms;

	json_object_object_add(o, "position", queued && r->position ?
			       json_object_new_int64(r->position) : NULL);
	json_object_object_add(o, "waiting_s", queued ? json_object_new_int64(
			(int64_t)(loop_now_ms() - r->queued_ms) / 1000) : NULL);
}

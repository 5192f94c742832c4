// SPDX-License-Identifier: GPL-2.0
/*
 * connwait.c - nmbctl requests that need the server wait for its
 * connection (the first one, or the next one after an outage) up to
 * connect_wait seconds, then run their method again, instead of failing
 * at once. A request whose nmbctl goes away stops waiting. While any
 * waits, the agent tries to connect every second, not after its backoff.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "connwait.h"
#include "hub_client.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "unixrpc.h"

struct connwait {
	struct agent *a;
	struct rpc_req *req;
	json_object *params;		/* held */
	rpc_handler_fn method;
	void *ctx;			/* the method's */
	struct loop_timer *timer;
	struct list_head node;		/* in agent->waiting */
};

static void unlink_free(struct connwait *w)
{
	struct agent *a = w->a;

	list_del(&w->node);
	loop_timer_free(w->timer);
	json_object_put(w->params);
	free(w);
	if (list_empty(&a->waiting) && a->hub)
		hub_client_hurry(a->hub, false);
}

static void expired(struct loop_timer *t, void *arg)
{
	struct connwait *w = arg;
	struct agent *a = w->a;
	struct rpc_req *req = w->req;

	(void)t;
	rpc_req_on_cancel(req, NULL, NULL);
	unlink_free(w);
	unixrpc_error(req, "unavailable",
		      "not connected to the server %s after waiting %u s (connect_wait): %s; is it running?",
		      a->cfg.server, a->cfg.connect_wait_s,
		      a->down_why[0] ? a->down_why : "no answer yet");
}

static void cancelled(struct rpc_req *req, void *data)
{
	(void)req;
	unlink_free(data);
}

bool connwait(struct agent *a, struct rpc_req *req, json_object *params,
	      rpc_handler_fn method, void *ctx)
{
	struct connwait *w;

	if (a->chan)
		return false;
	if (!a->cfg.connect_wait_s) {
		unixrpc_error(req, "unavailable",
			      "not connected to the server %s: %s; is it running?",
			      a->cfg.server, a->down_why[0] ?
			      a->down_why : "no answer yet");
		return true;
	}
	w = calloc(1, sizeof(*w));
	if (w)
		w->timer = loop_timer_new(a->loop, expired, w);
	if (!w || !w->timer) {
		free(w);
		unixrpc_error(req, "internal", "out of memory");
		return true;
	}
	w->a = a;
	w->req = req;
	w->params = json_object_get(params);
	w->method = method;
	w->ctx = ctx;
	list_add_tail(&w->node, &a->waiting);
	loop_timer_set(w->timer, a->cfg.connect_wait_s * 1000ULL);
	rpc_req_on_cancel(req, cancelled, w);
	/* no 30 s backoff while someone waits */
	if (a->hub)
		hub_client_hurry(a->hub, true);
	log_debug("%s: waiting up to %u s for the server connection",
		  rpc_req_method(req), a->cfg.connect_wait_s);
	return true;
}

void connwait_up(struct agent *a)
{
	struct connwait *w;

	/* Oldest first: requests run in the order nmbctl sent them. */
	while (a->chan && (w = list_first_entry_or_null(&a->waiting,
							struct connwait,
							node))) {
		struct rpc_req *req = w->req;
		json_object *params = json_object_get(w->params);
		rpc_handler_fn method = w->method;
		void *ctx = w->ctx;

		rpc_req_on_cancel(req, NULL, NULL);
		unlink_free(w);
		method(req, params, ctx);
		json_object_put(params);
	}
}

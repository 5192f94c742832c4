/* SPDX-License-Identifier: GPL-2.0 */
/*
 * connwait.h - requests waiting for the server connection (connwait.c).
 */
#ifndef NMB_AGENT_CONNWAIT_H
#define NMB_AGENT_CONNWAIT_H

#include <stdbool.h>

#include "jsonrpc.h"

struct agent;

/*
 * While the agent is not connected, keeps req (for connect_wait seconds)
 * and calls method(req, params, ctx) again once it is; true if req was
 * taken (kept, or answered with an error), false if connected already.
 */
bool connwait(struct agent *a, struct rpc_req *req, json_object *params,
	      rpc_handler_fn method, void *ctx);
/* The connection is up: runs the waiting requests. */
void connwait_up(struct agent *a);

#endif /* NMB_AGENT_CONNWAIT_H */

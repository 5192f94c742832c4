// SPDX-License-Identifier: GPL-2.0
/*
 * reserve_queued.c - fuzz target: the server's reserve_queued
 * notification as nmb-agent takes it (daemon/agent/server_link.c): the
 * input is its params, sent as a JSON-RPC notification through
 * lib/jsonrpc to a handler that checks them with lib/queue_note as the
 * agent's does; what it accepts must be in range.
 */
#include "fuzz_rpc.h"
#include "protocol.h"
#include "queue_note.h"

static void m_reserve_queued(struct rpc_req *req, json_object *params,
			     void *ctx)
{
	struct queue_queued q;
	char err[160];

	(void)ctx;
	if (queue_note_queued(params, &q, err, sizeof(err))) {
		log_warn("malformed reserve_queued: %s", log_esc(err));
		return rpc_error(req, RPC_INTERNAL_ERROR, "malformed");
	}
	if (!q.ticket || q.position < 1 || q.position > QUEUE_POSITION_MAX)
		abort();
	log_debug("reserve_queued %s at %u", log_esc(q.ticket), q.position);
	rpc_reply(req, NULL);
}

static const struct rpc_method methods[] = {
	{ WIRE_RESERVE_QUEUED, m_reserve_queued },
	{ NULL, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;

	if (!init) {
		fuzz_log_init("fuzz-reserve-queued");
		init = true;
	}
	fuzz_rpc_notify(methods, WIRE_RESERVE_QUEUED, data, size);
	return 0;
}

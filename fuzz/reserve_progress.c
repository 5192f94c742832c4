// SPDX-License-Identifier: GPL-2.0
/*
 * reserve_progress.c - fuzz target: the agent's reserve_progress
 * notification as nmbctl takes it (cli/ipc.c, cli/progress.c): the input
 * is its params, sent as a JSON-RPC notification through lib/jsonrpc to
 * a handler that checks them with lib/queue_note as nmbctl's does; what
 * it accepts must be in range.
 */
#include "fuzz_rpc.h"
#include "protocol.h"
#include "queue_note.h"

static void m_progress(struct rpc_req *req, json_object *params, void *ctx)
{
	struct queue_progress q;

	(void)ctx;
	if (!queue_note_progress(params, &q)) {
		if (q.position != -1 &&
		    (q.position < 1 || q.position > QUEUE_POSITION_MAX))
			abort();
		if (q.waiting_s < -1 || q.waiting_s > QUEUE_WAITING_MAX_S)
			abort();
	}
	rpc_reply(req, NULL);
}

static const struct rpc_method methods[] = {
	{ CTL_RESERVE_PROGRESS, m_progress },
	{ NULL, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;

	if (!init) {
		fuzz_log_init("fuzz-reserve-progress");
		init = true;
	}
	fuzz_rpc_notify(methods, CTL_RESERVE_PROGRESS, data, size);
	return 0;
}

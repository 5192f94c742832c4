// SPDX-License-Identifier: GPL-2.0
/*
 * jsonrpc.c - fuzz target: hub JSON-RPC messages (lib/jsonrpc), one per
 * input line, on a channel with a call of ours pending (ids 1 and 2) and
 * methods that answer at once, later, or never.
 */
#include "fuzz.h"
#include "jsonrpc.h"

static struct rpc_req *held;

static int sink(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	/* what we send must be one JSON text */
	if (len && !memchr(msg, '\n', len) && msg[0] != '{')
		abort();
	return 0;
}

static void m_echo(struct rpc_req *req, json_object *params, void *ctx)
{
	(void)ctx;
	rpc_reply(req, json_object_get(params));
}

static void m_args(struct rpc_req *req, json_object *params, void *ctx)
{
	static const char *const names[] = { "a", "b", "c", NULL };
	json_object *a[3];
	char err[128];

	(void)ctx;
	if (rpc_args(params, names, 1, a, err, sizeof(err)))
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	rpc_error_data(req, RPC_INTERNAL_ERROR, "no",
		       a[1] ? json_object_get(a[1]) : NULL);
}

static void on_cancel(struct rpc_req *req, void *data)
{
	(void)req;
	(void)data;
	held = NULL;
}

static void m_later(struct rpc_req *req, json_object *params, void *ctx)
{
	(void)params;
	(void)ctx;
	if (held) {
		rpc_errorf(req, RPC_INTERNAL_ERROR, "busy %s",
			   rpc_req_method(req));
		return;
	}
	held = req;
	rpc_req_on_cancel(req, on_cancel, NULL);
}

static void m_answer_held(struct rpc_req *req, json_object *params,
			  void *ctx)
{
	(void)ctx;
	if (held) {
		rpc_reply(held, json_object_get(params));
		held = NULL;
	}
	rpc_reply(req, NULL);
}

static const struct rpc_method methods[] = {
	{ "echo", m_echo },
	{ "args", m_args },
	{ "later", m_later },
	{ "answer_held", m_answer_held },
	{ NULL, NULL },
};

static void done(void *data, json_object *result, const struct rpc_err *err)
{
	(void)data;
	if (err)
		json_object_to_json_string(err->data);
	else
		json_object_to_json_string(result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const char *p = (const char *)data, *end = p + size, *nl;
	struct rpc_chan *ch;

	if (!init) {
		fuzz_log_init("fuzz-jsonrpc");
		init = true;
	}
	ch = rpc_chan_new(methods, sink, NULL);
	if (!ch)
		abort();
	rpc_chan_set_name(ch, "peer=fuzz");
	rpc_call(ch, "hello", NULL, done, NULL);
	rpc_call_cancel(rpc_call(ch, "gone", json_object_new_array(), done,
				 NULL));
	rpc_call(ch, "other", json_object_new_object(), done, NULL);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		rpc_input(ch, p, (size_t)(nl - p));
	}
	rpc_chan_running(ch);
	rpc_chan_pending(ch);
	rpc_chan_close(ch);
	rpc_chan_free(ch);
	held = NULL;
	return 0;
}

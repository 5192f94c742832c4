// SPDX-License-Identifier: GPL-2.0
/*
 * jsonrpc_test.c - unit tests of lib/jsonrpc: the error rows of wire
 * protocol §3, cancellation both ways, and close.
 */
#include <string.h>

#include "jsonrpc.h"
#include "log.h"
#include "tap.h"

static char sent[16][512];
static int nsent;
static int cancelled;
static struct rpc_req *held;
static char done_msg[128];
static int done_code, done_calls;
static json_object *done_result;

static int capture(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	if (nsent < 16)
		snprintf(sent[nsent++], sizeof(sent[0]), "%.*s", (int)len,
			 msg);
	return 0;
}

static void feed(struct rpc_chan *ch, const char *s)
{
	nsent = 0;
	rpc_input(ch, s, strlen(s));
}

static void do_echo(struct rpc_req *req, json_object *params, void *ctx)
{
	(void)ctx;
	rpc_reply(req, json_object_get(params));
}

static void on_cancel(struct rpc_req *req, void *data)
{
	(void)req;
	(void)data;
	cancelled++;
	held = NULL;
}

static void do_block(struct rpc_req *req, json_object *params, void *ctx)
{
	(void)params;
	(void)ctx;
	held = req;
	rpc_req_on_cancel(req, on_cancel, NULL);
}

static void do_fail(struct rpc_req *req, json_object *params, void *ctx)
{
	json_object *a[2];
	char err[128];

	(void)ctx;
	if (rpc_args(params, (const char *[]){ "a", "b", NULL }, 1, a, err,
		     sizeof(err)))
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	rpc_errorf(req, RPC_INTERNAL_ERROR, "%d", json_object_get_int(a[0]));
}

static char done_data[128];

static void done(void *data, json_object *result, const struct rpc_err *err)
{
	(void)data;
	snprintf(done_data, sizeof(done_data), "%s",
		 err && err->data ? json_object_to_json_string_ext(err->data,
					JSON_C_TO_STRING_PLAIN) : "");
	done_calls++;
	done_code = err ? err->code : 0;
	snprintf(done_msg, sizeof(done_msg), "%s", err ? err->message : "");
	json_object_put(done_result);
	done_result = json_object_get(result);
}

static void do_kind(struct rpc_req *req, json_object *params, void *ctx)
{
	json_object *data = json_object_new_object();

	(void)params;
	(void)ctx;
	json_object_object_add(data, "kind", json_object_new_string("invalid"));
	rpc_error_data(req, RPC_INTERNAL_ERROR, "bad", data);
}

static const struct rpc_method methods[] = {
	{ "echo", do_echo },
	{ "kind", do_kind },
	{ "block", do_block },
	{ "fail", do_fail },
	{ "_hidden", do_echo },
	{ NULL, NULL },
};

#define SENT(i, s) (nsent > (i) && strcmp(sent[i], s) == 0)

/* json-c's tokener stops at JSON_TOKENER_DEFAULT_DEPTH (32) levels. */
static void test_depth(struct rpc_chan *ch)
{
	static const char head[] = "{\"id\": 40, \"method\": \"echo\", \"params\": ";
	static char msg[sizeof(head) + (size_t)2 * 100000 + 2];
	static const int depths[] = { 31, 32, 100000 };
	size_t h = strlen(head);

	for (int i = 0; i < 3; i++) {
		int depth = depths[i];

		strcpy(msg, head);
		memset(msg + h, '[', (size_t)depth);
		memset(msg + h + depth, ']', (size_t)depth);
		strcpy(msg + h + (size_t)2 * depth, "}");
		feed(ch, msg);
		ok(depth == 31 ? nsent == 1 && strstr(sent[0], "\"id\":40") :
				     nsent == 0,
		       "params nested %d deep (message %d deep): %s", depth,
		       depth + 1, depth == 31 ? "answered" : "dropped");
	}
}

int main(void)
{
	struct rpc_chan *ch;
	struct rpc_call *call;

	nmb_log_init("jsonrpc_test", LOG_ERR);
	printf("TAP version 13\n");
	ch = rpc_chan_new(methods, capture, NULL);

	feed(ch, "{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"echo\", \"params\": [1, \"x\"]}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":[1,\"x\"]}"),
	       "sync handler replies with the id: %s", sent[0]);
	feed(ch, "{\"id\": \"abc\", \"method\": \"echo\"}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":[]}"),
	       "string id echoed, missing params is []");
	feed(ch, "{\"id\": 1, \"method\": \"nope\", \"params\": {}}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}"),
	       "unknown method -32601");
	feed(ch, "{\"id\": 2, \"method\": \"_hidden\", \"params\": {}}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}"),
	       "method starting with _ is -32601");
	feed(ch, "{\"id\": 3, \"method\": 5}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32600,\"message\":\"Invalid Request\"}}"),
	       "method not a string -32600");
	feed(ch, "{\"id\": 4, \"method\": \"echo\", \"params\": \"x\"}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32600,\"message\":\"Invalid Request\"}}"),
	       "params a string -32600");
	feed(ch, "{\"id\": 5, \"method\": \"fail\", \"params\": [42]}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32603,\"message\":\"42\"}}"),
	       "handler error -32603 with message");
	feed(ch, "{\"id\": 6, \"method\": \"fail\", \"params\": [1, 2, 3]}");
	ok(nsent == 1 && strstr(sent[0], "-32603") &&
	       strstr(sent[0], "takes 2 positional arguments but 3"),
	       "too many arguments -32603");
	feed(ch, "{\"id\": 31, \"method\": \"kind\", \"params\": {}}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":31,\"error\":{\"code\":-32603,\"message\":\"bad\",\"data\":{\"kind\":\"invalid\"}}}"),
	       "rpc_error_data sends error.data: %s", sent[0]);
	feed(ch, "{\"id\": 6, \"method\": \"fail\", \"params\": {\"c\": 1}}");
	ok(nsent == 1 && strstr(sent[0], "unexpected keyword argument 'c'"),
	       "unknown keyword argument -32603");

	feed(ch, "{\"id\": 8, \"method\": \"echo\"");
	ok(nsent == 0, "invalid JSON: no reply");
	feed(ch, "[{\"id\": 8, \"method\": \"echo\"}]");
	ok(nsent == 0, "batch: no reply");
	feed(ch, "{\"id\": 8.0, \"method\": \"echo\"}");
	ok(nsent == 0, "float id: no reply");
	test_depth(ch);
	feed(ch, "{\"id\": 123456789012345678901234567890, \"method\": \"echo\"}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"result\":[]}"),
	       "id beyond 64 bits comes back unchanged: %s", sent[0]);
	feed(ch, "{\"params\": {\"id\": 1, \"a\": [{\"id\": 2}]}, \"method\": \"echo\", \"id\": -99999999999999999999999}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":-99999999999999999999999,\"result\":{\"id\":1,\"a\":[{\"id\":2}]}}"),
	       "negative id beyond 64 bits, after nested ids: %s", sent[0]);
	feed(ch, "{\"id\": 18446744073709551615, \"method\": \"nope\"}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":18446744073709551615,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}"),
	       "id 2^64-1 unchanged in an error: %s", sent[0]);
	feed(ch, "{\"id\": -0, \"method\": \"echo\"}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":-0,\"result\":[]}"),
	       "id -0 unchanged: %s", sent[0]);
	feed(ch, "{\"id\": 0, \"method\": \"echo\"}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":[]}"),
	       "id 0 unchanged: %s", sent[0]);
	feed(ch, "{\"result\": 1}");
	ok(nsent == 0, "response without id: no reply");
	feed(ch, "{\"id\": 999, \"result\": 1}");
	ok(nsent == 0, "response with unknown id ignored");
	feed(ch, "{\"method\": \"echo\", \"params\": [1]}");
	ok(nsent == 0, "notification: no reply");
	feed(ch, "{\"id\": null, \"method\": \"nope\"}");
	ok(nsent == 0, "null id is a notification, even when unknown");
	feed(ch, "{\"id\": 9} x");
	ok(nsent == 0, "trailing garbage is invalid JSON");
	feed(ch, "{\"id\": 9}");
	ok(nsent == 1 && strstr(sent[0], "-32600"),
	       "id without method -32600");

	feed(ch, "{\"id\": 10, \"method\": \"block\", \"params\": {}}");
	ok(nsent == 0 && held && rpc_chan_running(ch) == 1,
	       "async handler runs without reply");
	feed(ch, "{\"id\": 11, \"method\": \"rpc.cancel\", \"params\": [10]}");
	ok(cancelled == 1 && SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":null}") &&
	       nsent == 1 && rpc_chan_running(ch) == 0,
	       "rpc.cancel cancels, answers null, no reply for the request");
	feed(ch, "{\"id\": 12, \"method\": \"rpc.cancel\", \"params\": [77]}");
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":12,\"result\":null}"),
	       "rpc.cancel for an unknown id answers null");
	feed(ch, "{\"id\": \"s\", \"method\": \"block\", \"params\": {}}");
	feed(ch, "{\"id\": 13, \"method\": \"echo\", \"params\": [1]}");
	ok(nsent == 1 && strstr(sent[0], "\"id\":13"),
	       "a blocked handler does not block others");
	nsent = 0;
	rpc_reply(held, json_object_new_int(4));
	held = NULL;
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"result\":4}"),
	       "late reply carries the string id");

	nsent = 0;
	call = rpc_call(ch, "set_allowed_ips", NULL, done, NULL);
	ok(call && SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"set_allowed_ips\",\"params\":{}}"),
	       "outgoing call: id 1, params {}: %s", sent[0]);
	feed(ch, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": null}");
	ok(done_calls == 1 && done_code == 0 && !done_result &&
	       rpc_chan_pending(ch) == 0, "result null completes the call");
	rpc_call(ch, "x", json_object_new_array(), done, NULL);
	feed(ch, "{\"id\": 2, \"error\": {\"code\": -32603, \"message\": \"bad ip\", \"data\": {\"traceback\": \"t\"}}}");
	ok(done_calls == 2 && done_code == -32603 &&
	       strcmp(done_msg, "bad ip") == 0 &&
	       strcmp(done_data, "{\"traceback\":\"t\"}") == 0,
	       "error response with its data");
	call = rpc_call(ch, "x", json_object_new_array(), done, NULL);
	nsent = 0;
	rpc_call_cancel(call);
	ok(SENT(0, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"rpc.cancel\",\"params\":[3]}"),
	       "cancelling a call sends rpc.cancel with its id: %s", sent[0]);
	feed(ch, "{\"id\": 3, \"result\": 1}");
	ok(done_calls == 2, "cancelled call's done never runs");

	rpc_call(ch, "x", NULL, done, NULL);
	feed(ch, "{\"id\": 20, \"method\": \"block\"}");
	cancelled = 0;
	rpc_chan_close(ch);
	ok(done_calls == 3 && done_code == RPC_CONNECTION_CLOSED &&
	       strcmp(done_msg, "Connection closed") == 0 && cancelled == 1,
	       "close fails calls with Connection closed, cancels handlers");
	ok(!rpc_call(ch, "x", NULL, done, NULL), "no calls after close");
	rpc_chan_free(ch);
	json_object_put(done_result);
	return tap_done();
}

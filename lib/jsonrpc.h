/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jsonrpc.h - the symmetric JSON-RPC 2.0 channel of not-my-board (wire
 * protocol §3), independent of the transport.
 *
 * Usage:
 *
 *	static void do_add(struct rpc_req *req, json_object *params, void *ctx)
 *	{
 *		json_object *a[2];
 *		char err[128];
 *
 *		if (rpc_args(params, (const char *[]){ "a", "b", NULL }, 2,
 *			     a, err, sizeof(err)))
 *			return rpc_error(req, RPC_INTERNAL_ERROR, err);
 *		rpc_reply(req, json_object_new_int(...));
 *	}
 *	static const struct rpc_method methods[] = {
 *		{ "add", do_add }, { NULL, NULL } };
 *
 *	ch = rpc_chan_new(methods, send_cb, conn);  // send_cb copies bytes
 *	rpc_input(ch, buf, len);       // each received WebSocket message
 *	call = rpc_call(ch, "set_allowed_ips", params, done_cb, data);
 *	rpc_call_cancel(call);         // sends rpc.cancel, done_cb not run
 *	rpc_chan_close(ch);            // transport closed: pending calls get
 *	rpc_chan_free(ch);             // "Connection closed", handlers cancel
 *
 * Handlers run on the caller's thread from rpc_input(). A handler answers
 * exactly once, now or later, with rpc_reply() or rpc_error(); until then
 * the request is "running". A handler that answers later must register
 * rpc_req_on_cancel(): when the peer sends rpc.cancel for it, or the
 * channel closes, that callback runs, the request is freed and it never
 * gets a reply. Notifications (no id) are struct rpc_req too: answering
 * them only frees them.
 *
 * Errors: rpc_error()/rpc_errorf() send {code, message};
 * rpc_error_data() adds "data" (e.g. {"kind": "not-found"}). A done
 * callback gets err->code, err->message and err->data (NULL if absent);
 * code RPC_CONNECTION_CLOSED means the channel closed first.
 *
 * params is never NULL for a handler: a missing "params" is an empty
 * array. Ownership: rpc_reply() and rpc_call() take the json_object they
 * are given; done callbacks borrow result (it may be NULL for JSON null).
 * Never free a channel from inside one of its own callbacks.
 */
#ifndef NMB_JSONRPC_H
#define NMB_JSONRPC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define RPC_INVALID_REQUEST	-32600
#define RPC_METHOD_NOT_FOUND	-32601
#define RPC_INTERNAL_ERROR	-32603
/* Local only, never on the wire: the channel closed before the answer. */
#define RPC_CONNECTION_CLOSED	-32099
/* Local only: rpc_call_withdraw() and the peer confirmed the cancel. */
#define RPC_WITHDRAWN		-32098

struct rpc_chan;
struct rpc_req;
struct rpc_call;

typedef void (*rpc_handler_fn)(struct rpc_req *req, json_object *params,
			       void *ctx);
typedef void (*rpc_cancel_fn)(struct rpc_req *req, void *data);

struct rpc_method {
	const char *name;
	rpc_handler_fn fn;
};

struct rpc_err {
	int code;
	const char *message;
	json_object *data;	/* error.data as received, borrowed; or NULL */
};

/* err is NULL on success; result is borrowed and may be NULL (JSON null). */
typedef void (*rpc_done_fn)(void *data, json_object *result,
			    const struct rpc_err *err);
/* Sends one message; the callee copies it. Returns 0 or -errno. */
typedef int (*rpc_send_fn)(void *ctx, const char *msg, size_t len);

/* methods: array ending with a NULL name; it must outlive the channel. */
struct rpc_chan *rpc_chan_new(const struct rpc_method *methods,
			      rpc_send_fn send, void *ctx);
void rpc_chan_close(struct rpc_chan *ch);
void rpc_chan_free(struct rpc_chan *ch);
void *rpc_chan_ctx(const struct rpc_chan *ch);
bool rpc_chan_closed(const struct rpc_chan *ch);
/* Requests from the peer not answered yet / our calls not answered yet. */
unsigned int rpc_chan_running(const struct rpc_chan *ch);
unsigned int rpc_chan_pending(const struct rpc_chan *ch);
/* Names the channel in log lines (e.g. "peer=10.0.0.3 conn=4"). Copied. */
void rpc_chan_set_name(struct rpc_chan *ch, const char *name);

/* Feeds one received message (not NUL-terminated). */
void rpc_input(struct rpc_chan *ch, const char *msg, size_t len);

/* Incoming requests. */
void rpc_reply(struct rpc_req *req, json_object *result);
void rpc_error(struct rpc_req *req, int code, const char *message);
void rpc_errorf(struct rpc_req *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error with "data" (taken; e.g. {"kind": "not-found"}). */
void rpc_error_data(struct rpc_req *req, int code, const char *message,
		    json_object *data);
void rpc_req_on_cancel(struct rpc_req *req, rpc_cancel_fn fn, void *data);
struct rpc_chan *rpc_req_chan(const struct rpc_req *req);
const char *rpc_req_method(const struct rpc_req *req);
bool rpc_req_is_notification(const struct rpc_req *req);

/*
 * Outgoing calls. params (array or object, taken; NULL sends {}) Returns
 * NULL if the channel is closed or memory ran out; done is then not run.
 */
struct rpc_call *rpc_call(struct rpc_chan *ch, const char *method,
			  json_object *params, rpc_done_fn done, void *data);
/* Sends rpc.cancel for a pending call; its done callback never runs. */
void rpc_call_cancel(struct rpc_call *call);
/*
 * Sends rpc.cancel, but an answer the peer sent before it saw the cancel
 * still reaches done(data) (now in place of the call's own); once the
 * peer has answered the cancel, done gets RPC_WITHDRAWN instead (or
 * RPC_CONNECTION_CLOSED). For a reserve whose grant may cross the cancel.
 */
void rpc_call_withdraw(struct rpc_call *call, rpc_done_fn done, void *data);
/* A notification: no id, no answer. Returns 0 or -errno. */
int rpc_notify(struct rpc_chan *ch, const char *method, json_object *params);

/*
 * Sends an already encoded message as it is: one notification text
 * shared by many channels. Returns 0 or -errno.
 */
int rpc_send_text(struct rpc_chan *ch, const char *msg, size_t len);

/*
 * Python-style argument binding for handlers: names is a NULL-terminated
 * list of parameter names, the first nreq required. Fills out[] (borrowed,
 * NULL when absent or JSON null). Returns 0, or -EINVAL with a message
 * like Python's TypeError in err.
 */
int rpc_args(json_object *params, const char *const *names, int nreq,
	     json_object **out, char *err, size_t errlen);

#endif /* NMB_JSONRPC_H */

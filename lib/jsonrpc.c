// SPDX-License-Identifier: GPL-2.0
/*
 * jsonrpc.c - JSON-RPC 2.0 channel: dispatch, replies, outgoing calls,
 * rpc.cancel, and the error rules of the not-my-board wire protocol.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "jsonrpc.h"
#include "list.h"
#include "log.h"
#include "protocol.h"

struct rpc_req {
	struct rpc_chan *ch;
	struct list_head node;		/* rpc_chan.reqs, newest first */
	json_object *id;		/* NULL for a notification */
	const char *method;		/* a rpc_method name */
	rpc_cancel_fn cancel;
	void *cancel_data;
};

struct rpc_call {
	struct rpc_chan *ch;
	struct list_head node;		/* rpc_chan.calls, newest first */
	int64_t id;
	rpc_done_fn done;
	void *data;
};

struct rpc_chan {
	const struct rpc_method *methods;
	rpc_send_fn send;
	void *ctx;
	char *name;
	bool closed;
	int64_t next_id;
	unsigned int nrunning, npending;
	struct list_head reqs;
	struct list_head calls;
};

struct rpc_chan *rpc_chan_new(const struct rpc_method *methods,
			      rpc_send_fn send, void *ctx)
{
	struct rpc_chan *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->methods = methods;
	ch->send = send;
	ch->ctx = ctx;
	ch->next_id = 1;
	INIT_LIST_HEAD(&ch->reqs);
	INIT_LIST_HEAD(&ch->calls);
	return ch;
}

void *rpc_chan_ctx(const struct rpc_chan *ch)
{
	return ch->ctx;
}

bool rpc_chan_closed(const struct rpc_chan *ch)
{
	return ch->closed;
}

unsigned int rpc_chan_running(const struct rpc_chan *ch)
{
	return ch->nrunning;
}

unsigned int rpc_chan_pending(const struct rpc_chan *ch)
{
	return ch->npending;
}

void rpc_chan_set_name(struct rpc_chan *ch, const char *name)
{
	free(ch->name);
	ch->name = name ? strdup(name) : NULL;
}

static const char *chan_name(const struct rpc_chan *ch)
{
	return ch->name ? ch->name : "rpc";
}

static void send_obj(struct rpc_chan *ch, json_object *msg)
{
	size_t len;
	const char *s;

	if (!ch->closed) {
		s = json_object_to_json_string_length(msg,
				JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (s)
			ch->send(ch->ctx, s, len);
	}
	json_object_put(msg);
}

static json_object *envelope(json_object *id)
{
	json_object *msg = json_object_new_object();

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "id", json_object_get(id));
	return msg;
}

static void send_error_data(struct rpc_chan *ch, json_object *id, int code,
			    const char *message, json_object *data)
{
	json_object *msg = envelope(id);
	json_object *err = json_object_new_object();

	json_object_object_add(err, "code", json_object_new_int(code));
	json_object_object_add(err, "message",
			       json_object_new_string(message));
	if (data)
		json_object_object_add(err, "data", data);
	json_object_object_add(msg, "error", err);
	send_obj(ch, msg);
}

static void send_error(struct rpc_chan *ch, json_object *id, int code,
		       const char *message)
{
	send_error_data(ch, id, code, message, NULL);
}

/* --- incoming requests --------------------------------------------- */

static void req_unlink_free(struct rpc_req *req)
{
	struct rpc_chan *ch = req->ch;

	list_del(&req->node);
	ch->nrunning--;
	json_object_put(req->id);
	free(req);
}

void rpc_reply(struct rpc_req *req, json_object *result)
{
	json_object *msg;

	if (!req->id) {
		json_object_put(result);
		req_unlink_free(req);
		return;
	}
	msg = envelope(req->id);
	json_object_object_add(msg, "result", result);
	send_obj(req->ch, msg);
	req_unlink_free(req);
}

void rpc_error(struct rpc_req *req, int code, const char *message)
{
	if (req->id)
		send_error(req->ch, req->id, code, message);
	else
		log_info("%s: notification %s failed: %s", chan_name(req->ch),
			 req->method, log_esc(message));
	req_unlink_free(req);
}

void rpc_error_data(struct rpc_req *req, int code, const char *message,
		    json_object *data)
{
	if (req->id) {
		send_error_data(req->ch, req->id, code, message, data);
	} else {
		log_info("%s: notification %s failed: %s", chan_name(req->ch),
			 req->method, log_esc(message));
		json_object_put(data);
	}
	req_unlink_free(req);
}

void rpc_errorf(struct rpc_req *req, int code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rpc_error(req, code, buf);
}

void rpc_req_on_cancel(struct rpc_req *req, rpc_cancel_fn fn, void *data)
{
	req->cancel = fn;
	req->cancel_data = data;
}

struct rpc_chan *rpc_req_chan(const struct rpc_req *req)
{
	return req->ch;
}

const char *rpc_req_method(const struct rpc_req *req)
{
	return req->method;
}

bool rpc_req_is_notification(const struct rpc_req *req)
{
	return !req->id;
}

static void req_cancel(struct rpc_req *req)
{
	rpc_cancel_fn fn = req->cancel;
	void *data = req->cancel_data;

	/* Unlink first so the callback cannot answer it. */
	req->cancel = NULL;
	if (fn)
		fn(req, data);
	req_unlink_free(req);
}

/* Numbers compare by their text: an id beyond 64 bits keeps its own. */
static bool same_id(json_object *a, json_object *b)
{
	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	return strcmp(json_object_get_string(a),
		      json_object_get_string(b)) == 0;
}

static void handle_cancel(struct rpc_chan *ch, json_object *id,
			  json_object *params)
{
	json_object *target = NULL;
	json_object *reply;
	struct rpc_req *r;

	if (json_object_is_type(params, json_type_array) &&
	    json_object_array_length(params) == 1)
		target = json_object_array_get_idx(params, 0);
	else if (json_object_is_type(params, json_type_object))
		json_object_object_get_ex(params, "id", &target);
	if (!target && id) {
		send_error(ch, id, RPC_INTERNAL_ERROR,
			   "rpc.cancel takes exactly one argument, the id");
		return;
	}
	list_for_each_entry(r, &ch->reqs, node) {
		if (target && r->id && same_id(r->id, target)) {
			req_cancel(r);
			break;
		}
	}
	if (id && !ch->closed) {
		reply = envelope(id);
		json_object_object_add(reply, "result", NULL);
		send_obj(ch, reply);
	}
}

static const struct rpc_method *find_method(struct rpc_chan *ch,
					    const char *name)
{
	if (name[0] == '_')
		return NULL;
	for (const struct rpc_method *m = ch->methods; m && m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static void handle_request(struct rpc_chan *ch, json_object *id,
			   const char *name, json_object *params)
{
	const struct rpc_method *m;
	struct rpc_req *req;
	json_object *empty = NULL;

	if (strcmp(name, RPC_CANCEL) == 0) {
		handle_cancel(ch, id, params);
		return;
	}
	m = find_method(ch, name);
	if (!m) {
		if (id)
			send_error(ch, id, RPC_METHOD_NOT_FOUND,
				   "Method not found");
		else
			log_info("%s: notification for unknown method %s",
				 chan_name(ch), log_esc(name));
		return;
	}
	req = calloc(1, sizeof(*req));
	if (!req) {
		if (id)
			send_error(ch, id, RPC_INTERNAL_ERROR, "Out of memory");
		return;
	}
	req->ch = ch;
	req->id = json_object_get(id);
	req->method = m->name;
	list_add(&req->node, &ch->reqs);
	ch->nrunning++;
	if (!params)
		params = empty = json_object_new_array();
	m->fn(req, params, ch->ctx);
	json_object_put(empty);
}

/* --- outgoing calls ------------------------------------------------- */

static void call_unlink_free(struct rpc_call *call)
{
	struct rpc_chan *ch = call->ch;

	list_del(&call->node);
	ch->npending--;
	free(call);
}

static struct rpc_call *find_call(struct rpc_chan *ch, int64_t id)
{
	struct rpc_call *call;

	list_for_each_entry(call, &ch->calls, node)
		if (call->id == id)
			return call;
	return NULL;
}

static json_object *request_obj(struct rpc_chan *ch, const char *method,
				json_object *params, int64_t *id)
{
	json_object *msg = json_object_new_object();

	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	if (id) {
		*id = ch->next_id++;
		json_object_object_add(msg, "id", json_object_new_int64(*id));
	}
	json_object_object_add(msg, "method", json_object_new_string(method));
	json_object_object_add(msg, "params",
			       params ? params : json_object_new_object());
	return msg;
}

struct rpc_call *rpc_call(struct rpc_chan *ch, const char *method,
			  json_object *params, rpc_done_fn done, void *data)
{
	struct rpc_call *call;

	call = ch->closed ? NULL : calloc(1, sizeof(*call));
	if (!call) {
		json_object_put(params);
		return NULL;
	}
	call->ch = ch;
	call->done = done;
	call->data = data;
	send_obj(ch, request_obj(ch, method, params, &call->id));
	list_add(&call->node, &ch->calls);
	ch->npending++;
	return call;
}

void rpc_call_cancel(struct rpc_call *call)
{
	struct rpc_chan *ch = call->ch;
	json_object *params;
	int64_t id;

	if (!ch->closed) {
		params = json_object_new_array();
		json_object_array_add(params, json_object_new_int64(call->id));
		send_obj(ch, request_obj(ch, RPC_CANCEL, params, &id));
	}
	call_unlink_free(call);
}

/* The peer answered rpc.cancel: a call that got no answer never will. */
struct withdrawal {
	struct rpc_chan *ch;
	int64_t id;
};

static void withdraw_done(void *data, json_object *result,
			  const struct rpc_err *err)
{
	struct withdrawal *w = data;
	struct rpc_call *call = find_call(w->ch, w->id);
	rpc_done_fn done;
	void *cdata;

	(void)result;
	(void)err;
	free(w);
	if (!call)
		return;
	done = call->done;
	cdata = call->data;
	call_unlink_free(call);
	if (done)
		done(cdata, NULL, &(struct rpc_err){
			.code = RPC_WITHDRAWN,
			.message = "withdrawn" });
}

void rpc_call_withdraw(struct rpc_call *call, rpc_done_fn done, void *data)
{
	struct rpc_chan *ch = call->ch;
	struct withdrawal *w = calloc(1, sizeof(*w));
	json_object *params;

	call->done = done;
	call->data = data;
	if (ch->closed || !w) {
		free(w);
		return rpc_call_cancel(call);
	}
	w->ch = ch;
	w->id = call->id;
	params = json_object_new_array();
	json_object_array_add(params, json_object_new_int64(call->id));
	if (!rpc_call(ch, RPC_CANCEL, params, withdraw_done, w))
		free(w);
}

int rpc_notify(struct rpc_chan *ch, const char *method, json_object *params)
{
	if (ch->closed) {
		json_object_put(params);
		return -EPIPE;
	}
	send_obj(ch, request_obj(ch, method, params, NULL));
	return 0;
}

int rpc_send_text(struct rpc_chan *ch, const char *msg, size_t len)
{
	if (ch->closed)
		return -EPIPE;
	return ch->send(ch->ctx, msg, len);
}

static void handle_response(struct rpc_chan *ch, json_object *id,
			    json_object *msg)
{
	json_object *result = NULL, *error = NULL, *v;
	struct rpc_err err = { RPC_INTERNAL_ERROR, "", NULL };
	struct rpc_call *call;
	rpc_done_fn done;
	void *data;

	if (!id || !json_object_is_type(id, json_type_int))
		return;		/* we only send integer ids */
	call = find_call(ch, json_object_get_int64(id));
	if (!call)
		return;
	json_object_object_get_ex(msg, "result", &result);
	json_object_object_get_ex(msg, "error", &error);
	done = call->done;
	data = call->data;
	call_unlink_free(call);
	if (json_object_is_type(error, json_type_object)) {
		if (json_object_object_get_ex(error, "code", &v) &&
		    json_object_is_type(v, json_type_int))
			err.code = json_object_get_int(v);
		if (json_object_object_get_ex(error, "message", &v) &&
		    json_object_is_type(v, json_type_string))
			err.message = json_object_get_string(v);
		json_object_object_get_ex(error, "data", &err.data);
		if (done)
			done(data, NULL, &err);
	} else if (done) {
		done(data, result, NULL);
	}
}

/* --- ids beyond 64 bits --------------------------------------------- */

/*
 * json-c keeps the text of a fractional number, but an integer beyond 64
 * bits is clamped to INT64_MIN or UINT64_MAX (and "-0" becomes 0). A peer
 * (not-my-board's Python has no limit) must get its id back byte for
 * byte, so for those values the id's text is read again from the message
 * with libyaml, whose flow maps read JSON and keep every scalar's text.
 */
static bool maybe_clamped(json_object *id)
{
	int64_t v;

	if (!json_object_is_type(id, json_type_int))
		return false;
	v = json_object_get_int64(id);
	return v == 0 || v == INT64_MIN ||
	       (v == INT64_MAX && json_object_get_uint64(id) == UINT64_MAX);
}

static bool is_integer_text(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The text of the top-level "id" member of msg, or NULL. */
static char *id_text(const char *msg, size_t len)
{
	bool expect_key = true, want = false, done = false;
	yaml_parser_t p;
	yaml_event_t ev;
	char *text = NULL;
	int depth = 0;

	if (!yaml_parser_initialize(&p))
		return NULL;
	yaml_parser_set_input_string(&p, (const unsigned char *)msg, len);
	while (!done && yaml_parser_parse(&p, &ev)) {
		const char *v = (const char *)ev.data.scalar.value;

		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == 1) {	/* a member's value */
				expect_key = true;
				want = false;
			}
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth != 1)
				break;
			if (expect_key) {
				want = !strcmp(v, "id");
			} else if (want) {
				text = strdup(v);
				done = true;
			}
			expect_key = !expect_key;
			break;
		case YAML_STREAM_END_EVENT:
		case YAML_ALIAS_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (text && !is_integer_text(text)) {
		free(text);
		text = NULL;
	}
	return text;
}

/* Makes id (an integer json-c may have clamped) print as in msg. */
static void keep_id_text(struct rpc_chan *ch, json_object *id,
			 const char *msg, size_t len)
{
	char *text;

	if (!maybe_clamped(id))
		return;
	text = id_text(msg, len);
	if (!text) {
		log_info("%s: cannot read the text of id %s; answering with it",
			 chan_name(ch), json_object_to_json_string(id));
		return;
	}
	json_object_set_serializer(id, json_object_userdata_to_json_string,
				   text, json_object_free_userdata);
}

/* --- input ---------------------------------------------------------- */

static bool valid_id(json_object *id)
{
	return json_object_is_type(id, json_type_int) ||
	       json_object_is_type(id, json_type_string);
}

static void dispatch(struct rpc_chan *ch, json_object *msg, const char *buf,
		     size_t len)
{
	json_object *id = NULL, *method = NULL, *params = NULL;
	bool has_id, is_response;

	has_id = json_object_object_get_ex(msg, "id", &id) && id;
	if (has_id && !valid_id(id)) {
		log_info("%s: message with an id that is neither string nor integer dropped",
			 chan_name(ch));
		return;
	}
	if (has_id)
		keep_id_text(ch, id, buf, len);
	json_object_object_get_ex(msg, "params", &params);
	if (json_object_object_get_ex(msg, "method", &method)) {
		if (!json_object_is_type(method, json_type_string) ||
		    (params && !json_object_is_type(params, json_type_array) &&
		     !json_object_is_type(params, json_type_object))) {
			if (has_id)
				send_error(ch, id, RPC_INVALID_REQUEST,
					   "Invalid Request");
			else
				log_info("%s: invalid notification dropped",
					 chan_name(ch));
			return;
		}
		handle_request(ch, has_id ? id : NULL,
			       json_object_get_string(method), params);
		return;
	}
	is_response = json_object_object_get_ex(msg, "result", NULL) ||
		      json_object_object_get_ex(msg, "error", NULL);
	if (is_response && has_id)
		handle_response(ch, id, msg);
	else if (has_id)
		send_error(ch, id, RPC_INVALID_REQUEST, "Invalid Request");
	else
		log_info("%s: message without id or method dropped",
			 chan_name(ch));
}

/*
 * One tokener per thread, reset for each message: parsing ends before
 * dispatch, so handlers that feed other channels do not disturb it.
 */
static _Thread_local struct json_tokener *tok;

static void free_tokener(void)
{
	json_tokener_free(tok);
	tok = NULL;
}

void rpc_input(struct rpc_chan *ch, const char *buf, size_t len)
{
	json_object *msg;
	size_t used;

	if (ch->closed)
		return;
	if (len > INT32_MAX) {
		log_info("%s: message of %zu bytes dropped", chan_name(ch),
			 len);
		return;
	}
	if (!tok) {
		tok = json_tokener_new();
		if (!tok)
			return;
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		atexit(free_tokener);
	}
	json_tokener_reset(tok);
	msg = json_tokener_parse_ex(tok, buf, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (!msg || json_tokener_get_error(tok) != json_tokener_success) {
		log_info("%s: invalid JSON dropped: %s", chan_name(ch),
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	while (used < len && strchr(" \t\r\n", buf[used]))
		used++;
	if (used != len) {
		log_info("%s: invalid JSON dropped: trailing data",
			 chan_name(ch));
		goto out;
	}
	if (json_object_is_type(msg, json_type_array))
		log_info("%s: batch dropped, batches are not supported",
			 chan_name(ch));
	else if (!json_object_is_type(msg, json_type_object))
		log_info("%s: message that is not an object dropped",
			 chan_name(ch));
	else
		dispatch(ch, msg, buf, len);
out:
	json_object_put(msg);
}

/* --- close ---------------------------------------------------------- */

void rpc_chan_close(struct rpc_chan *ch)
{
	struct rpc_err err = { RPC_CONNECTION_CLOSED, "Connection closed",
			       NULL };

	if (ch->closed)
		return;
	ch->closed = true;
	while (!list_empty(&ch->reqs))
		req_cancel(list_first_entry(&ch->reqs, struct rpc_req, node));
	while (!list_empty(&ch->calls)) {
		struct rpc_call *call = list_first_entry(&ch->calls,
							 struct rpc_call, node);
		rpc_done_fn done = call->done;
		void *data = call->data;

		call_unlink_free(call);
		if (done)
			done(data, NULL, &err);
	}
}

void rpc_chan_free(struct rpc_chan *ch)
{
	if (!ch)
		return;
	rpc_chan_close(ch);
	free(ch->name);
	free(ch);
}

/* --- argument binding ----------------------------------------------- */

int rpc_args(json_object *params, const char *const *names, int nreq,
	     json_object **out, char *err, size_t errlen)
{
	int n = 0, given;

	while (names[n])
		n++;
	for (int i = 0; i < n; i++)
		out[i] = NULL;
	if (json_object_is_type(params, json_type_array)) {
		given = (int)json_object_array_length(params);
		if (given > n) {
			snprintf(err, errlen,
				 "takes %d positional arguments but %d were given",
				 n, given);
			return -EINVAL;
		}
		for (int i = 0; i < given; i++)
			out[i] = json_object_array_get_idx(params, i);
		if (given < nreq) {
			snprintf(err, errlen,
				 "missing required positional argument: '%s'",
				 names[given]);
			return -EINVAL;
		}
		return 0;
	}
	/* json-c's foreach reads NULL for anything but an object */
	if (!json_object_is_type(params, json_type_object)) {
		snprintf(err, errlen,
			 "expected the arguments as an object or an array");
		return -EINVAL;
	}
	given = 0;
	json_object_object_foreach(params, key, val) {
		int i;

		for (i = 0; i < n; i++)
			if (strcmp(names[i], key) == 0)
				break;
		if (i == n) {
			snprintf(err, errlen,
				 "got an unexpected keyword argument '%.64s'",
				 key);
			return -EINVAL;
		}
		out[i] = val;
		given |= 1 << i;
	}
	for (int i = 0; i < nreq; i++) {
		if (!(given & (1 << i))) {
			snprintf(err, errlen,
				 "missing required argument: '%s'", names[i]);
			return -EINVAL;
		}
	}
	return 0;
}

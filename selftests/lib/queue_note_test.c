// SPDX-License-Identifier: GPL-2.0
/*
 * queue_note_test.c - lib/queue_note: the params of reserve_queued and
 * reserve_progress, accepted in range and refused otherwise; rpc_args()
 * with params that are neither an object nor an array.
 */
#include <errno.h>
#include <string.h>

#include "jsonrpc.h"
#include "queue_note.h"
#include "tap.h"

/* 0 when taken as ticket and position (the ticket points into params) */
static int queued(const char *text, const char *ticket,
		  unsigned int position)
{
	json_object *params = json_tokener_parse(text);
	struct queue_queued q;
	char err[160];
	int ret;

	ret = queue_note_queued(params, &q, err, sizeof(err));
	if (ret)
		diag("%s: %s", text, err);
	else if (strcmp(q.ticket, ticket) != 0 || q.position != position)
		ret = 1;
	json_object_put(params);
	return ret;
}

static int progress(const char *text, struct queue_progress *q)
{
	json_object *params = json_tokener_parse(text);
	int ret = queue_note_progress(params, q);

	json_object_put(params);
	return ret;
}

int main(void)
{
	static const char *const bad_queued[] = {
		"{\"ticket\":\"demo\",\"position\":0}",
		"{\"ticket\":\"demo\",\"position\":-3}",
		"{\"ticket\":\"demo\",\"position\":4294967297}",
		"{\"ticket\":\"demo\",\"position\":1.5}",
		"{\"ticket\":\"demo\",\"position\":\"2\"}",
		"{\"ticket\":7,\"position\":2}",
		"{\"ticket\":null,\"position\":2}",
		"{\"ticket\":\"demo\"}",
		"[\"demo\"]",
		"17",
		"\"demo\"",
		"null",
	};
	static const char *const bad_progress[] = {
		"{\"position\":0}",
		"{\"position\":-1}",
		"{\"position\":2.5}",
		"{\"position\":\"1\"}",
		"{\"position\":1,\"waiting_s\":-1}",
		"{\"position\":1,\"waiting_s\":1e300}",
		"{\"position\":1,\"waiting_s\":99999999999999}",
		"[1, 2]",
		"3",
	};
	struct queue_progress p = { 0 };
	json_object *x[2], *params;
	char err[160];

	ok(!queued("{\"ticket\":\"demo\",\"position\":1}", "demo", 1),
	   "reserve_queued: ticket and position 1 taken");
	ok(!queued("[\"b\", 1000000000]", "b", 1000000000),
	   "reserve_queued: positional, at its maximum");
	for (size_t i = 0; i < sizeof(bad_queued) / sizeof(bad_queued[0]); i++)
		ok(queued(bad_queued[i], NULL, 0) == -EINVAL,
		   "reserve_queued: %s refused", bad_queued[i]);

	ok(!progress("{\"name\":\"a\",\"position\":3,\"waiting_s\":12}", &p) &&
	   p.position == 3 && p.waiting_s == 12,
	   "reserve_progress: position and waiting time taken");
	ok(!progress("{\"name\":\"a\",\"position\":null,\"waiting_s\":0}", &p) &&
	   p.position == -1 && p.waiting_s == 0,
	   "reserve_progress: position null is not known");
	ok(!progress("{\"name\":\"a\"}", &p) && p.position == -1 &&
	   p.waiting_s == -1, "reserve_progress: neither given");
	for (size_t i = 0; i < sizeof(bad_progress) / sizeof(bad_progress[0]);
	     i++)
		ok(progress(bad_progress[i], &p) == -EINVAL,
		   "reserve_progress: %s refused", bad_progress[i]);

	/* json-c reads NULL for a non-object: no crash, an error */
	params = json_object_new_int(4);
	ok(rpc_args(params, (const char *[]){ "a", "b", NULL }, 1, x, err,
		    sizeof(err)) == -EINVAL && strstr(err, "object"),
	   "rpc_args: an integer as params is refused");
	json_object_put(params);
	ok(rpc_args(NULL, (const char *[]){ "a", NULL }, 0, x, err,
		    sizeof(err)) == -EINVAL,
	   "rpc_args: no params object at all is refused");
	return tap_done();
}

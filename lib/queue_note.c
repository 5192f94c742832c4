// SPDX-License-Identifier: GPL-2.0
/*
 * queue_note.c - the params of reserve_queued (server to agent) and of
 * reserve_progress (agent to nmbctl) checked: types and ranges, so that
 * their handlers only act on what makes sense (queue_note.h).
 */
#include <errno.h>
#include <stdio.h>

#include "jsonrpc.h"
#include "queue_note.h"

/* An integer in lo..hi (a JSON number without a fraction). */
static bool int_in(json_object *v, long long lo, long long hi,
		   long long *out)
{
	long long n;

	if (!json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	if (n < lo || n > hi)
		return false;
	*out = n;
	return true;
}

int queue_note_queued(json_object *params, struct queue_queued *out,
		      char *err, size_t errlen)
{
	static const char *const names[] = { "ticket", "position", NULL };
	json_object *x[2];
	long long pos;

	if (rpc_args(params, names, 2, x, err, errlen))
		return -EINVAL;
	if (!json_object_is_type(x[0], json_type_string)) {
		snprintf(err, errlen, "ticket: expected a string");
		return -EINVAL;
	}
	if (!int_in(x[1], 1, QUEUE_POSITION_MAX, &pos)) {
		snprintf(err, errlen, "position: expected an integer 1..%lld",
			 QUEUE_POSITION_MAX);
		return -EINVAL;
	}
	out->ticket = json_object_get_string(x[0]);
	out->position = (unsigned int)pos;
	return 0;
}

int queue_note_progress(json_object *params, struct queue_progress *out)
{
	json_object *v;

	if (!json_object_is_type(params, json_type_object))
		return -EINVAL;
	out->position = -1;
	out->waiting_s = -1;
	if (json_object_object_get_ex(params, "position", &v) && v &&
	    !int_in(v, 1, QUEUE_POSITION_MAX, &out->position))
		return -EINVAL;
	if (json_object_object_get_ex(params, "waiting_s", &v) && v &&
	    !int_in(v, 0, QUEUE_WAITING_MAX_S, &out->waiting_s))
		return -EINVAL;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * part_state.c - the part_state notification's params (protocol.rst,
 * "Part states"): checked with every limit before anyone keeps or logs
 * them, written back as JSON, and kept in a short list per place.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jsonrpc.h"
#include "part_state.h"
#include "utf8.h"

static const char *const power_names[PART_POWER_N] = {
	[PART_POWER_OFF] = "off",
	[PART_POWER_STARTING] = "starting",
	[PART_POWER_ON] = "on",
	[PART_POWER_STOPPING] = "stopping",
};

const char *part_power_name(enum part_power p)
{
	return (unsigned int)p < PART_POWER_N ? power_names[p] : "?";
}

/* An int from lo to hi (JSON integers only, no bool). */
static bool int_in(json_object *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return *out >= lo && *out <= hi;
}

/* Text a terminal and a log show as it is: UTF-8, no control characters. */
static bool plain_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return utf8_valid(s, len);
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); \
		       return -EINVAL; } while (0)

int part_state_parse(json_object *params, unsigned int *place_id,
		     struct part_state *out, char *err, size_t errlen)
{
	static const char *const with_id[] = {
		"place_id", "part", "power", "reason", "since", NULL,
	};
	json_object *a[5], **x = place_id ? a : a + 1;
	const char *power;
	size_t len;
	int64_t v;
	int i;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(params, json_type_object) &&
	    !json_object_is_type(params, json_type_array))
		FAIL("params: Expected dict");
	if (rpc_args(params, place_id ? with_id : with_id + 1,
		     place_id ? 3 : 2, x, err, errlen))
		return -EINVAL;
	if (place_id) {
		if (!int_in(a[0], 1, UINT32_MAX, &v))
			FAIL("place_id: Expected int >= 1");
		*place_id = (unsigned int)v;
	}
	if (!int_in(a[1], 0, PART_STATE_PART_MAX, &v))
		FAIL("part: Expected int from 0 to %d", PART_STATE_PART_MAX);
	out->part = (unsigned int)v;
	power = json_object_is_type(a[2], json_type_string) ?
		json_object_get_string(a[2]) : "";
	for (i = 0; i < PART_POWER_N; i++)
		if (!strcmp(power, power_names[i]))
			break;
	if (i == PART_POWER_N)
		FAIL("power: Expected one of off, starting, on, stopping");
	out->power = (enum part_power)i;
	if (a[3]) {
		if (!json_object_is_type(a[3], json_type_string))
			FAIL("reason: Expected str or null");
		len = (size_t)json_object_get_string_len(a[3]);
		if (len > PART_STATE_REASON_MAX)
			FAIL("reason: longer than %d bytes",
			     PART_STATE_REASON_MAX);
		if (!plain_text(json_object_get_string(a[3]), len))
			FAIL("reason: Expected UTF-8 text without control characters");
		memcpy(out->reason, json_object_get_string(a[3]), len);
		out->reason[len] = '\0';
	}
	if (a[4]) {
		/* milliseconds since 1970, up to the year 10000 */
		if (!int_in(a[4], 0, 253402300800000LL, &v))
			FAIL("since: Expected int milliseconds since 1970");
		out->since_ms = v;
	}
	return 0;
}

json_object *part_state_json(const struct part_state *s, long long place_id)
{
	json_object *o = json_object_new_object();

	if (place_id >= 0)
		json_object_object_add(o, "place_id",
				       json_object_new_int64(place_id));
	json_object_object_add(o, "part", json_object_new_int64(s->part));
	json_object_object_add(o, "power",
			       json_object_new_string(part_power_name(s->power)));
	json_object_object_add(o, "reason", s->reason[0] ?
			       json_object_new_string(s->reason) : NULL);
	json_object_object_add(o, "since", s->since_ms ?
			       json_object_new_int64(s->since_ms) : NULL);
	return o;
}

bool part_state_same(const struct part_state *a, const struct part_state *b)
{
	return a->part == b->part && a->power == b->power &&
	       !strcmp(a->reason, b->reason);
}

const struct part_state *part_state_find(const struct part_state *list,
					 size_t n, unsigned int part)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].part == part)
			return &list[i];
	return NULL;
}

int part_state_keep(struct part_state *list, size_t *n,
		    const struct part_state *s)
{
	struct part_state *e = (struct part_state *)part_state_find(list, *n,
								    s->part);

	if (e && part_state_same(e, s))
		return 0;
	if (!e) {
		if (*n >= PART_STATE_KEPT_MAX)
			return -ENOSPC;
		e = &list[(*n)++];
	}
	*e = *s;
	return 1;
}

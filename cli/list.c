// SPDX-License-Identifier: GPL-2.0
/*
 * list.c - nmbctl list: this agent's reservations, their places and
 * whether they are attached.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "protocol.h"
#include "subcommands.h"

/*
 * attached, reserved, or waiting (queued at the server: "reserved":
 * false), with the queue position and the time waited when known:
 * "waiting: position 2, 1:05".
 */
static const char *state(json_object *e, char *out, size_t len)
{
	json_object *pos = NULL, *secs = NULL;
	char buf[8], where[40] = "";
	long long s;

	if (!strcmp(ctl_field(e, "attached", buf, sizeof(buf)), "yes"))
		return "attached";
	if (strcmp(ctl_field(e, "reserved", buf, sizeof(buf)), "no") != 0)
		return "reserved";
	json_object_object_get_ex(e, "position", &pos);
	json_object_object_get_ex(e, "waiting_s", &secs);
	if (!json_object_is_type(secs, json_type_int))
		return "waiting";
	if (json_object_is_type(pos, json_type_int))
		snprintf(where, sizeof(where), "position %lld, ",
			 (long long)json_object_get_int64(pos));
	s = json_object_get_int64(secs);
	snprintf(out, len, "waiting: %s%lld:%02lld", where, s / 60, s % 60);
	return out;
}

int list_main(int argc, char **argv)
{
	char name[256], place[256], st[80];
	json_object *result;
	struct ctl_table t;
	int ret;

	ret = ctl_list_fetch(argc, argv, CTL_LIST, "", &result);
	if (ret || !result)
		return ret;
	ctl_table_init(&t, 3);
	if (json_object_array_length(result) && !ctl.no_header)
		ret = ctl_table_add(&t, (const char *[]){ "NAME", "PLACE",
							  "STATE" });
	for (size_t r = 0; r < json_object_array_length(result) && !ret; r++) {
		json_object *e = json_object_array_get_idx(result, r);

		ret = ctl_table_add(&t, (const char *[]){
			ctl_field(e, "place", name, sizeof(name)),
			ctl_field(e, "place_name", place, sizeof(place)),
			state(e, st, sizeof(st)) });
	}
	if (ret)
		ret = ctl_fail(CTL_FAILED, "list", NULL, "out of memory");
	ctl_table_print(&t);
	ctl_table_free(&t);
	json_object_put(result);
	return ret;
}

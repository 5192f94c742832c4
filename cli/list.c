// SPDX-License-Identifier: GPL-2.0
/*
 * list.c - nmbctl list: this agent's reservations, their places and
 * whether they are attached.
 */
#include <string.h>

#include "ctl.h"
#include "subcommands.h"

/* attached, reserved, or waiting (queued at the server: "reserved": false) */
static const char *state(json_object *e)
{
	char buf[8];

	if (!strcmp(ctl_field(e, "attached", buf, sizeof(buf)), "yes"))
		return "attached";
	if (!strcmp(ctl_field(e, "reserved", buf, sizeof(buf)), "no"))
		return "waiting";
	return "reserved";
}

int list_main(int argc, char **argv)
{
	char name[256], place[256];
	json_object *result;
	struct ctl_table t;
	int ret;

	ret = ctl_list_fetch(argc, argv, "list", "", &result);
	if (ret || !result)
		return ret;
	ctl_table_init(&t, 3);
	if (json_object_array_length(result))
		ret = ctl_table_add(&t, (const char *[]){ "NAME", "PLACE",
							  "STATE" });
	for (size_t r = 0; r < json_object_array_length(result) && !ret; r++) {
		json_object *e = json_object_array_get_idx(result, r);

		ret = ctl_table_add(&t, (const char *[]){
			ctl_field(e, "place", name, sizeof(name)),
			ctl_field(e, "place_name", place, sizeof(place)),
			state(e) });
	}
	if (ret)
		ret = ctl_fail(CTL_FAILED, "list", NULL, "out of memory");
	ctl_table_print(&t);
	ctl_table_free(&t);
	json_object_put(result);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * who.c - nmbctl who: which user holds which place (get_reservations).
 */
#include "ctl.h"
#include "subcommands.h"

int who_main(int argc, char **argv)
{
	char place[256], user[256];
	json_object *result;
	struct ctl_table t;
	int i, ret;

	i = ctl_parse(argc, argv, NULL);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (i != argc)
		return ctl_usage_error(argv[0], "takes no arguments");
	ret = ctl_call1("get_reservations", NULL, &result, "who", NULL);
	if (ret)
		return ret;
	if (ctl.json) {
		ctl_print_json(result);
		goto out;
	}
	if (!json_object_is_type(result, json_type_array)) {
		ret = ctl_fail(CTL_FAILED, "who", NULL,
			       "the agent's answer is not a list");
		goto out;
	}
	ctl_table_init(&t, 2);
	if (json_object_array_length(result))
		ret = ctl_table_add(&t, (const char *[]){ "PLACE", "USER" });
	for (size_t r = 0; r < json_object_array_length(result) && !ret; r++) {
		json_object *e = json_object_array_get_idx(result, r);

		ret = ctl_table_add(&t, (const char *[]){
			ctl_field(e, "place_name", place, sizeof(place)),
			ctl_field(e, "user", user, sizeof(user)) });
	}
	if (ret)
		ret = ctl_fail(CTL_FAILED, "who", NULL, "out of memory");
	ctl_table_print(&t);
	ctl_table_free(&t);
out:
	json_object_put(result);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * who.c - nmbctl who: which user holds which place (get_reservations),
 * and from which machine: its host name and IP, which an nmb server
 * reports (without tokens every user is just "<connection>").
 */
#include "ctl.h"
#include "protocol.h"
#include "subcommands.h"

int who_main(int argc, char **argv)
{
	char place[256], user[256], host[256], ip[64];
	json_object *result;
	struct ctl_table t;
	int ret;

	ret = ctl_list_fetch(argc, argv, CTL_GET_RESERVATIONS, "", &result);
	if (ret || !result)
		return ret;
	ctl_table_init(&t, 4);
	if (json_object_array_length(result) && !ctl.no_header)
		ret = ctl_table_add(&t, (const char *[]){ "PLACE", "USER",
							  "HOST", "IP" });
	for (size_t r = 0; r < json_object_array_length(result) && !ret; r++) {
		json_object *e = json_object_array_get_idx(result, r);

		ret = ctl_table_add(&t, (const char *[]){
			ctl_field(e, "place_name", place, sizeof(place)),
			ctl_field(e, "user", user, sizeof(user)),
			ctl_field(e, "host", host, sizeof(host)),
			ctl_field(e, "ip", ip, sizeof(ip)) });
	}
	if (ret)
		ret = ctl_fail(CTL_FAILED, "who", NULL, "out of memory");
	ctl_table_print(&t);
	ctl_table_free(&t);
	json_object_put(result);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - nmbctl status: every reserved interface with its place, part,
 * type, local port, whether it is attached and up, its local busid and
 * device nodes, and last the power of its part when the exporter tells
 * one (an emulated board: "off since 10:02:11: QEMU killed by signal 9").
 * Also the lines attach prints.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "protocol.h"
#include "subcommands.h"

#define FIELD_MAX	1024

static const char *const status_keys[] = {
	"place", "part", "interface", "type", "attached", "port", "up",
	"busid", "nodes", "power",
};

#define NCOLS	(sizeof(status_keys) / sizeof(status_keys[0]))

static int not_a_list(const char *verb)
{
	return ctl_fail(CTL_FAILED, verb, NULL,
			"the agent's answer is not a list of interfaces");
}

int print_attached(json_object *ifaces)
{
	char name[2 * FIELD_MAX], port[FIELD_MAX + 8], f[3][FIELD_MAX];
	char where[FIELD_MAX + 16];
	struct ctl_table t;
	int ret = CTL_OK;

	if (!json_object_is_type(ifaces, json_type_array))
		return ifaces ? not_a_list("attach") : CTL_OK;
	ctl_table_init(&t, 5);
	for (size_t i = 0; i < json_object_array_length(ifaces); i++) {
		json_object *e = json_object_array_get_idx(ifaces, i);
		bool tcp;

		snprintf(name, sizeof(name), "%s.%s",
			 ctl_field(e, "part", f[0], FIELD_MAX),
			 ctl_field(e, "interface", f[1], FIELD_MAX));
		tcp = !strcmp(ctl_field(e, "type", f[2], FIELD_MAX), "TCP");
		snprintf(port, sizeof(port), "port %s",
			 ctl_field(e, "port", f[0], FIELD_MAX));
		if (tcp)
			snprintf(where, sizeof(where), "localhost:%s", f[0]);
		else
			ctl_field(e, "nodes", where, sizeof(where));
		ctl_field(e, "busid", f[1], FIELD_MAX);
		if (ctl_table_add(&t, (const char *[]){ name, f[2], port, f[1],
							where })) {
			ret = ctl_fail(CTL_FAILED, "attach", NULL, "out of memory");
			break;
		}
	}
	ctl_table_print(&t);
	ctl_table_free(&t);
	return ret;
}

/* "off since 10:02:11: REASON" (local time), or "-". */
static const char *power_cell(json_object *e, char *buf, size_t size)
{
	char power[16], reason[512], since[24] = "";
	bool has_reason;
	json_object *v;
	struct tm tm;
	time_t t;

	ctl_field(e, "power", power, sizeof(power));
	if (!strcmp(power, "-"))
		return ctl_field(e, "power", buf, size);
	if (json_object_object_get_ex(e, "power_since", &v) &&
	    json_object_is_type(v, json_type_int)) {
		t = (time_t)json_object_get_int64(v);
		if (localtime_r(&t, &tm))
			strftime(since, sizeof(since), " since %H:%M:%S", &tm);
	}
	ctl_field(e, "power_reason", reason, sizeof(reason));
	has_reason = strcmp(reason, "-") != 0;
	snprintf(buf, size, "%s%s%s%s", power, since, has_reason ? ": " : "",
		 has_reason ? reason : "");
	return buf;
}

int status_main(int argc, char **argv)
{
	static const char *const header[NCOLS] = {
		"PLACE", "PART", "INTERFACE", "TYPE", "ATTACHED", "PORT",
		"UP", "BUSID", "NODES", "POWER",
	};
	char cells[NCOLS][FIELD_MAX];
	const char *row[NCOLS];
	json_object *result;
	struct ctl_table t;
	int ret;

	ret = ctl_list_fetch(argc, argv, CTL_STATUS, " of interfaces", &result);
	if (ret || !result)
		return ret;
	ctl_table_init(&t, NCOLS);
	if (json_object_array_length(result) && !ctl.no_header)
		ret = ctl_table_add(&t, header);
	for (size_t r = 0; r < json_object_array_length(result) && !ret; r++) {
		json_object *e = json_object_array_get_idx(result, r);

		for (size_t c = 0; c < NCOLS - 1; c++)
			row[c] = ctl_field(e, status_keys[c], cells[c],
					   FIELD_MAX);
		row[NCOLS - 1] = power_cell(e, cells[NCOLS - 1], FIELD_MAX);
		ret = ctl_table_add(&t, row);
	}
	if (ret)
		ret = ctl_fail(CTL_FAILED, "status", NULL, "out of memory");
	ctl_table_print(&t);
	ctl_table_free(&t);
	json_object_put(result);
	return ret;
}

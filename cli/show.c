// SPDX-License-Identifier: GPL-2.0
/*
 * show.c - nmbctl show NAME|@PLACE: the place reserved as NAME, or the
 * place named PLACE, with its parts, interfaces and stats.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "descr.h"
#include "protocol.h"
#include "subcommands.h"

#define FIELD_MAX	512

static int add(struct ctl_table *t, const char *key, const char *value)
{
	return ctl_table_add(t, (const char *[]){ key, value });
}

static int add_ifaces(struct ctl_table *t, json_object *part,
		      const char *type)
{
	char key[FIELD_MAX], val[2 * FIELD_MAX], f[2][FIELD_MAX];
	json_object *ifs;
	int ret = 0;

	if (!json_object_object_get_ex(part, type, &ifs) ||
	    !json_object_is_type(ifs, json_type_object))
		return 0;
	json_object_object_foreach(ifs, name, iface) {
		snprintf(key, sizeof(key), "  %s %s", type, name);
		if (!strcmp(type, "usb"))
			snprintf(val, sizeof(val), "usbid %s",
				 ctl_field(iface, "usbid", f[0], FIELD_MAX));
		else
			snprintf(val, sizeof(val), "%s:%s",
				 ctl_field(iface, "host", f[0], FIELD_MAX),
				 ctl_field(iface, "port", f[1], FIELD_MAX));
		ret = add(t, key, val);
		if (ret)
			break;
	}
	return ret;
}

static int print_place(json_object *place)
{
	static const char *const keys[] = { "name", "id", "host", "port" };
	char f[FIELD_MAX], key[32];
	json_object *stats = NULL, *parts;
	struct ctl_table t;
	int ret = 0;

	ctl_table_init(&t, 2);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !ret; i++)
		ret = add(&t, keys[i], ctl_field(place, keys[i], f, sizeof(f)));
	json_object_object_get_ex(place, "stats", &stats);
	if (!ret)
		ret = add(&t, "uniqueness",
			  ctl_field(stats, "uniqueness", f, sizeof(f)));
	if (json_object_object_get_ex(place, "parts", &parts) &&
	    json_object_is_type(parts, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(parts) && !ret;
		     i++) {
			json_object *part = json_object_array_get_idx(parts, i);

			snprintf(key, sizeof(key), "part %zu", i);
			ret = add(&t, key, ctl_field(part, "compatible", f,
						    sizeof(f)));
			if (!ret)
				ret = add_ifaces(&t, part, "usb");
			if (!ret)
				ret = add_ifaces(&t, part, "tcp");
		}
	}
	ctl_table_print(&t);
	ctl_table_free(&t);
	return ret ? ctl_fail(CTL_FAILED, "show", NULL, "out of memory") :
		     CTL_OK;
}

int show_main(int argc, char **argv)
{
	json_object *params, *result;
	struct descr_ref ref;
	const char *noun;
	int i, ret;

	i = ctl_parse(argc, argv, NULL);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (argc - i != 1)
		return ctl_usage_error(argv[0], "expected one NAME or @PLACE");
	noun = argv[i];
	params = json_object_new_object();
	if (noun[0] == '@') {
		if (!noun[1] || strchr(noun, '/')) {
			json_object_put(params);
			return ctl_usage_error(argv[0], "'%s' is not @PLACE",
					       noun);
		}
		json_object_object_add(params, "place_name",
				       json_object_new_string(noun + 1));
		ret = ctl_call1(CTL_GET_PLACE_BY_NAME, params, &result, "show",
				noun);
	} else {
		ret = parse_ref(argv[0], noun, &ref);
		if (ret) {
			json_object_put(params);
			return ret;
		}
		json_object_object_add(params, "name",
				       json_object_new_string(ref.name));
		ret = ctl_call1(CTL_GET_RESERVED_PLACE, params, &result, "show",
				ref.name);
	}
	if (ret)
		return ret;
	if (ctl.json)
		ctl_print_json(result);
	else if (!json_object_is_type(result, json_type_object))
		ret = ctl_fail(CTL_FAILED, "show", noun,
			       "the agent's answer is not a place");
	else
		ret = print_place(result);
	json_object_put(result);
	return ret;
}

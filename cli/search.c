// SPDX-License-Identifier: GPL-2.0
/*
 * search.c - nmbctl search [NAME]: every place of the farm, or the names
 * of those that match the import description NAME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "descr.h"
#include "protocol.h"
#include "subcommands.h"

#define FIELD_MAX	256

/* "raspberry-pi,rpi4(usb:serial,tcp:ssh) bench-psu(tcp:scpi)" */
static void parts_summary(json_object *place, char *buf, size_t len)
{
	json_object *parts, *part, *tags, *ifs;
	static const char *const types[] = { "usb", "tcp" };
	size_t used = 0;

	snprintf(buf, len, "-");
	if (!json_object_object_get_ex(place, "parts", &parts) ||
	    !json_object_is_type(parts, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(parts); i++) {
		const char *sep = "(";

		part = json_object_array_get_idx(parts, i);
		tags = NULL;
		json_object_object_get_ex(part, "compatible", &tags);
		used += (size_t)snprintf(buf + used, len - used, "%s",
					 i ? " " : "");
		if (!json_object_is_type(tags, json_type_array) ||
		    !json_object_array_length(tags))
			used += (size_t)snprintf(buf + used, len - used, "?");
		/* every tag: a match needs all of the imported part's */
		for (size_t k = 0; json_object_is_type(tags, json_type_array) &&
		     k < json_object_array_length(tags) && used < len; k++)
			used += (size_t)snprintf(buf + used, len - used,
				"%s%s", k ? "," : "", json_object_get_string(
				json_object_array_get_idx(tags, k)));
		if (used >= len)
			break;
		for (size_t t = 0; t < 2 && used < len; t++) {
			if (!json_object_object_get_ex(part, types[t], &ifs) ||
			    !json_object_is_type(ifs, json_type_object))
				continue;
			json_object_object_foreach(ifs, key, val) {
				(void)val;
				if (used >= len)
					break;
				used += (size_t)snprintf(buf + used,
							 len - used, "%s%s:%s",
							 sep, types[t], key);
				sep = ",";
			}
		}
		if (used < len && *sep == ',')
			used += (size_t)snprintf(buf + used, len - used, ")");
		if (used >= len)
			break;
	}
}

static int print_places(json_object *places)
{
	char f[4][FIELD_MAX], parts[1024];
	json_object *stats;
	struct ctl_table t;
	int ret;

	ctl_table_init(&t, 5);
	ret = json_object_array_length(places) && !ctl.no_header ?
	      ctl_table_add(&t, (const char *[]){ "PLACE", "ID", "HOST",
						  "UNIQUENESS", "PARTS" }) : 0;
	for (size_t i = 0; i < json_object_array_length(places) && !ret; i++) {
		json_object *p = json_object_array_get_idx(places, i);

		stats = NULL;
		json_object_object_get_ex(p, "stats", &stats);
		parts_summary(p, parts, sizeof(parts));
		ret = ctl_table_add(&t, (const char *[]){
			ctl_field(p, "name", f[0], FIELD_MAX),
			ctl_field(p, "id", f[1], FIELD_MAX),
			ctl_field(p, "host", f[2], FIELD_MAX),
			ctl_field(stats, "uniqueness", f[3], FIELD_MAX),
			parts });
	}
	ctl_table_print(&t);
	ctl_table_free(&t);
	return ret ? ctl_fail(CTL_FAILED, "search", NULL, "out of memory") :
		     CTL_OK;
}

static int print_names(json_object *matches)
{
	char name[FIELD_MAX];

	for (size_t i = 0; i < json_object_array_length(matches); i++)
		puts(ctl_field(json_object_array_get_idx(matches, i), "name",
			       name, sizeof(name)));
	return CTL_OK;
}

int search_main(int argc, char **argv)
{
	json_object *params, *result;
	struct descr_ref ref;
	char *text = NULL;
	int i, ret;

	i = ctl_parse(argc, argv, NULL);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (argc - i > 1)
		return ctl_usage_error(argv[0], "expected at most one NAME");
	if (i < argc) {
		ret = parse_ref(argv[0], argv[i], &ref);
		if (!ret)
			ret = load_ref(&ref, "search", &text);
		if (ret)
			return ret;
	}
	params = json_object_new_object();
	json_object_object_add(params, "import_description",
			       text ? json_object_new_string(text) : NULL);
	free(text);
	ret = ctl_call1(CTL_SEARCH, params, &result, "search",
			i < argc ? ref.name : NULL);
	if (ret)
		return ret;
	if (ctl.json)
		ctl_print_json(result);
	else if (!json_object_is_type(result, json_type_array))
		ret = ctl_fail(CTL_FAILED, "search", NULL,
			       "the agent's answer is not a list");
	else if (i < argc)
		ret = print_names(result);
	else
		ret = print_places(result);
	json_object_put(result);
	return ret;
}

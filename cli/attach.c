// SPDX-License-Identifier: GPL-2.0
/*
 * attach.c - nmbctl attach [-k] NAME[@PLACE]: return the other
 * reservations (unless -k), reserve NAME if it is not yet, attach it and
 * print the local device nodes and ports the agent reports.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "descr.h"
#include "ipc.h"
#include "protocol.h"
#include "subcommands.h"

struct attach_opts {
	bool keep_others;
	struct reserve_opts res;	/* res.timeout: also the USB wait */
};

/* Returns every reservation but ref's, forcefully (they may be attached). */
static int return_others(struct ipc *ipc, json_object *list,
			 const char *name)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *p, *r;
		const char *other;
		int err;

		if (!json_object_object_get_ex(e, "place", &p) ||
		    !json_object_is_type(p, json_type_string))
			continue;
		other = json_object_get_string(p);
		if (!strcmp(other, name))
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "name",
				       json_object_new_string(other));
		json_object_object_add(p, "force",
				       json_object_new_boolean(true));
		err = ipc_call(ipc, CTL_RETURN_RESERVATION, p, &r);
		json_object_put(r);
		if (err)
			return ctl_ipc_fail(ipc, err, "return", other);
	}
	return CTL_OK;
}

/* The list() entry of reservation name, or NULL. */
static json_object *find_entry(json_object *list, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *p;

		if (json_object_object_get_ex(e, "place", &p) &&
		    json_object_is_type(p, json_type_string) &&
		    !strcmp(json_object_get_string(p), name))
			return e;
	}
	return NULL;
}

static int attach(struct ipc *ipc, const struct descr_ref *ref,
		  const struct attach_opts *o)
{
	json_object *list = NULL, *entry, *params, *result = NULL;
	char *text = NULL, place[256];
	int ret, err;

	err = ipc_call(ipc, CTL_LIST, NULL, &list);
	if (err)
		return ctl_ipc_fail(ipc, err, "attach", ref->name);
	if (!json_object_is_type(list, json_type_array)) {
		ret = ctl_fail(CTL_FAILED, "attach", ref->name,
			       "the agent's list is not an array");
		goto out;
	}
	entry = find_entry(list, ref->name);
	if (entry && ref->place[0] &&
	    strcmp(ctl_field(entry, "place_name", place, sizeof(place)),
		   ref->place) != 0) {
		ret = ctl_fail(CTL_CONFLICT, "attach", ref->name,
			       "reserved at place %s, not %s; nmbctl return %s first",
			       place, ref->place, ref->name);
		goto out;
	}
	if (!entry) {
		/* a missing description is reported before returning others */
		ret = load_ref(ref, "attach", &text);
		if (ret)
			goto out;
	}
	if (!o->keep_others) {
		ret = return_others(ipc, list, ref->name);
		if (ret)
			goto out;
	}
	if (!entry) {
		ret = reserve_text(ipc, ref, text, "attach", &o->res);
		if (ret)
			goto out;
	}

	params = json_object_new_object();
	json_object_object_add(params, "name",
			       json_object_new_string(ref->name));
	if (o->res.timeout)
		json_object_object_add(params, "timeout",
				       json_object_new_int64(o->res.timeout));
	err = ipc_call(ipc, CTL_ATTACH, params, &result);
	if (err)
		ret = ctl_ipc_fail(ipc, err, "attach", ref->name);
	else
		ret = print_attached(result);
out:
	free(text);
	json_object_put(result);
	json_object_put(list);
	return ret;
}

int attach_main(int argc, char **argv)
{
	struct attach_opts o = { .res.priority = RESERVE_NO_PRIORITY };
	const struct ctl_opt opts[] = {
		{ "keep-others", 'k', CTL_OPT_FLAG, &o.keep_others, NULL,
		  "keep the other reservations (default: return them first)" },
		{ "timeout", 't', CTL_OPT_UINT, &o.res.timeout, "SECONDS",
		  "wait this long in the queue, and for USB devices (default: no limit, 20)" },
		{ "no-wait", 0, CTL_OPT_FLAG, &o.res.no_wait, NULL,
		  "fail (exit 4) instead of waiting when every place is taken" },
		{ "priority", 'p', CTL_OPT_INT, &o.res.priority, "N",
		  "queue priority, -1000 to 1000 (nmb servers; higher first)" },
		{ NULL, 0, 0, NULL, NULL, NULL }
	};
	struct descr_ref ref;
	struct ipc *ipc;
	int i, ret;

	i = ctl_parse(argc, argv, opts);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (argc - i != 1)
		return ctl_usage_error(argv[0], "expected one NAME[@PLACE]");
	ret = parse_ref(argv[0], argv[i], &ref);
	if (ret)
		return ret;
	ret = ctl_connect(&ipc, "attach", ref.name);
	if (ret)
		return ret;
	ret = attach(ipc, &ref, &o);
	ipc_close(ipc);
	return ret;
}

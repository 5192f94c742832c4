// SPDX-License-Identifier: GPL-2.0
/*
 * detach.c - nmbctl detach [-k] [NAME...]: detach reservations and return
 * them (-k keeps them reserved); without NAME, every reservation.
 */
#include <string.h>

#include "ctl.h"
#include "descr.h"
#include "ipc.h"
#include "protocol.h"
#include "subcommands.h"

/* Calls method(name=...[, force=false]); returns an exit code. */
static int call_name(struct ipc *ipc, const char *method, const char *verb,
		     const char *name)
{
	json_object *params = json_object_new_object(), *result;
	int err;

	json_object_object_add(params, "name", json_object_new_string(name));
	if (!strcmp(method, CTL_RETURN_RESERVATION))
		json_object_object_add(params, "force",
				       json_object_new_boolean(false));
	err = ipc_call(ipc, method, params, &result);
	json_object_put(result);
	return err ? ctl_ipc_fail(ipc, err, verb, name) : CTL_OK;
}

static int detach_one(struct ipc *ipc, const char *name, bool attached,
		      bool keep)
{
	int ret = CTL_OK;

	if (attached)
		ret = call_name(ipc, CTL_DETACH, "detach", name);
	if (!ret && !keep)
		ret = call_name(ipc, CTL_RETURN_RESERVATION, "return", name);
	return ret;
}

/* Every reservation of list(): detach the attached ones, return all. */
static int detach_all(struct ipc *ipc, bool keep)
{
	json_object *list, *p, *a;
	int err, ret = CTL_OK, r;

	err = ipc_call(ipc, CTL_LIST, NULL, &list);
	if (err)
		return ctl_ipc_fail(ipc, err, "detach", NULL);
	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		return ctl_fail(CTL_FAILED, "detach", NULL,
				"the agent's list is not an array");
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i);

		if (!json_object_object_get_ex(e, "place", &p) ||
		    !json_object_is_type(p, json_type_string))
			continue;
		a = NULL;
		json_object_object_get_ex(e, "attached", &a);
		r = detach_one(ipc, json_object_get_string(p),
			       json_object_get_boolean(a), keep);
		if (r == CTL_NO_AGENT || r == CTL_INTERRUPTED) {
			ret = r;
			break;
		}
		if (!ret)
			ret = r;
	}
	json_object_put(list);
	return ret;
}

int detach_main(int argc, char **argv)
{
	bool keep = false;
	const struct ctl_opt opts[] = {
		{ "keep", 'k', CTL_OPT_FLAG, &keep, NULL,
		  "keep the reservations (default: return them)" },
		{ NULL, 0, 0, NULL, NULL, NULL }
	};
	struct descr_ref ref;
	struct ipc *ipc;
	int i, ret, r;

	i = ctl_parse(argc, argv, opts);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	for (int j = i; j < argc; j++) {
		ret = parse_ref(argv[0], argv[j], &ref);
		if (ret)
			return ret;
	}
	ret = ctl_connect(&ipc, "detach", i < argc ? argv[i] : NULL);
	if (ret)
		return ret;
	if (i == argc)
		ret = detach_all(ipc, keep);
	/* with names: carry on with the others after a failure */
	for (int j = i; j < argc; j++) {
		descr_parse(argv[j], &ref);
		r = detach_one(ipc, ref.name, true, keep);
		if (r == CTL_NO_AGENT || r == CTL_INTERRUPTED) {
			ret = r;
			break;
		}
		if (!ret)
			ret = r;
	}
	ipc_close(ipc);
	return ret;
}

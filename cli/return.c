// SPDX-License-Identifier: GPL-2.0
/*
 * return.c - nmbctl return [-f] NAME: give a reservation back; -f also
 * when it is still attached.
 */
#include "ctl.h"
#include "descr.h"
#include "ipc.h"
#include "protocol.h"
#include "subcommands.h"

int return_main(int argc, char **argv)
{
	bool force = false;
	const struct ctl_opt opts[] = {
		{ "force", 'f', CTL_OPT_FLAG, &force, NULL,
		  "return it even while attached (detaches it)" },
		{ NULL, 0, 0, NULL, NULL, NULL }
	};
	json_object *params, *result;
	struct descr_ref ref;
	int i, ret;

	i = ctl_parse(argc, argv, opts);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (argc - i != 1)
		return ctl_usage_error(argv[0], "expected one NAME");
	ret = parse_ref(argv[0], argv[i], &ref);
	if (ret)
		return ret;
	params = json_object_new_object();
	json_object_object_add(params, "name",
			       json_object_new_string(ref.name));
	json_object_object_add(params, "force",
			       json_object_new_boolean(force));
	ret = ctl_call1(CTL_RETURN_RESERVATION, params, &result, "return",
			ref.name);
	json_object_put(result);
	return ret;
}

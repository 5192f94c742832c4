// SPDX-License-Identifier: GPL-2.0
/*
 * reserve.c - nmbctl reserve NAME[@PLACE]: find the import description,
 * send its text to the agent and wait while the server queues us.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "descr.h"
#include "ipc.h"
#include "subcommands.h"

int parse_ref(const char *cmd, const char *arg, struct descr_ref *ref)
{
	int err = descr_parse(arg, ref);

	if (err == -ENAMETOOLONG)
		return ctl_usage_error(cmd, "'%s' is too long", arg);
	if (err)
		return ctl_usage_error(cmd,
				       "'%s' is neither NAME[@PLACE] nor PATH.yaml[@PLACE]",
				       arg);
	return CTL_OK;
}

int load_ref(const struct descr_ref *ref, const char *verb, char **text)
{
	char path[PATH_MAX], looked[4096];
	int err;

	err = descr_load(ref, text, path, sizeof(path), looked,
			 sizeof(looked));
	if (err == -ENOENT && !ref->is_path)
		return ctl_fail(CTL_NOT_FOUND, verb, ref->name,
				"no import description %s.yaml; looked at %s",
				ref->name, looked);
	if (err == -EFBIG)
		return ctl_fail(CTL_USAGE, verb, ref->name,
				"import description %s is over %zu KiB", path,
				DESCR_MAX / 1024);
	if (err)
		return ctl_fail(err == -ENOENT ? CTL_NOT_FOUND : CTL_FAILED,
				verb, ref->name,
				"cannot read import description %s: %s", path,
				strerror(-err));
	return CTL_OK;
}

int reserve_text(struct ipc *ipc, const struct descr_ref *ref,
		 const char *text, const char *verb)
{
	json_object *params, *result;
	int err;

	params = json_object_new_object();
	json_object_object_add(params, "name",
			       json_object_new_string(ref->name));
	json_object_object_add(params, "import_description",
			       json_object_new_string(text));
	if (ref->place[0])
		json_object_object_add(params, "place_name",
				       json_object_new_string(ref->place));
	err = ipc_call(ipc, "reserve", params, &result);
	json_object_put(result);
	return err ? ctl_ipc_fail(ipc, err, verb, ref->name) : CTL_OK;
}

int reserve_main(int argc, char **argv)
{
	struct descr_ref ref;
	struct ipc *ipc;
	char *text;
	int i, ret;

	i = ctl_parse(argc, argv, NULL);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (argc - i != 1)
		return ctl_usage_error(argv[0], "expected one NAME[@PLACE]");
	ret = parse_ref(argv[0], argv[i], &ref);
	if (ret)
		return ret;
	ret = load_ref(&ref, "reserve", &text);
	if (ret)
		return ret;
	ret = ctl_connect(&ipc, "reserve", ref.name);
	if (!ret) {
		ret = reserve_text(ipc, &ref, text, "reserve");
		ipc_close(ipc);
	}
	free(text);
	return ret;
}

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
#include "progress.h"
#include "protocol.h"
#include "subcommands.h"
#include "toml_hint.h"

int parse_ref(const char *cmd, const char *arg, struct descr_ref *ref)
{
	int err = descr_parse(arg, ref);

	if (err == -ENAMETOOLONG)
		return ctl_usage_error(cmd, "'%s' is too long", arg);
	if (err)
		return ctl_usage_error(cmd,
				       "'%s' is neither NAME[@PLACE] nor PATH.yaml[@PLACE]",
				       arg);
	if (toml_is_toml(ref->spec))
		return ctl_fail(CTL_USAGE, cmd, ref->name, "%s: %s",
				ref->spec, toml_advice(ref->spec));
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
	if (err == -EINVAL)
		return ctl_fail(CTL_USAGE, verb, ref->name,
				"import description %s is not a regular file (a FIFO, socket or device); give a .yaml file",
				path);
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
		 const char *text, const char *verb,
		 const struct reserve_opts *o)
{
	json_object *params, *result;
	struct progress pg;
	int err;

	params = json_object_new_object();
	json_object_object_add(params, "name",
			       json_object_new_string(ref->name));
	json_object_object_add(params, "import_description",
			       json_object_new_string(text));
	if (ref->place[0])
		json_object_object_add(params, "place_name",
				       json_object_new_string(ref->place));
	if (o->priority != RESERVE_NO_PRIORITY)
		json_object_object_add(params, "priority",
				       json_object_new_int(o->priority));
	if (o->no_wait)
		json_object_object_add(params, "wait",
				       json_object_new_boolean(false));
	json_object_object_add(params, "progress",
			       json_object_new_boolean(true));
	progress_start(&pg, ipc, verb, ref->name);
	ipc_set_timeout(ipc, o->timeout);
	err = ipc_call(ipc, CTL_RESERVE, params, &result);
	ipc_set_timeout(ipc, 0);
	ipc_on_progress(ipc, NULL, NULL);
	progress_end(&pg);
	json_object_put(result);
	if (err == -ETIMEDOUT)
		return ctl_fail(CTL_TIMEOUT, verb, ref->name,
				"no place after %u s (--timeout); the request left the queue",
				o->timeout);
	return err ? ctl_ipc_fail(ipc, err, verb, ref->name) : CTL_OK;
}

/* -n/--with-name: the reservation's own name, not the description's. */
int set_reservation_name(const char *cmd, struct descr_ref *ref,
			 const char *name)
{
	if (!name)
		return CTL_OK;
	if (!*name || strchr(name, '/') || strchr(name, '@') || *name == '.')
		return ctl_usage_error(cmd,
				       "--with-name: '%s' is not a name (no '/', '@' or leading '.')",
				       name);
	if (strlen(name) >= sizeof(ref->name))
		return ctl_usage_error(cmd, "--with-name: '%s' is too long",
				       name);
	strcpy(ref->name, name);
	return CTL_OK;
}

int reserve_main(int argc, char **argv)
{
	struct reserve_opts o = { .priority = RESERVE_NO_PRIORITY };
	const char *with_name = NULL;
	const struct ctl_opt opts[] = {
		{ "with-name", 'n', CTL_OPT_STRING, &with_name, "NAME",
		  "name the reservation NAME instead of after its description" },
		{ "timeout", 't', CTL_OPT_UINT, &o.timeout, "SECONDS",
		  "give up waiting in the queue after SECONDS" },
		{ "no-wait", 0, CTL_OPT_FLAG, &o.no_wait, NULL,
		  "fail (exit 4) instead of waiting when every place is taken" },
		{ "priority", 'p', CTL_OPT_INT, &o.priority, "N",
		  "queue priority, -1000 to 1000 (nmb servers; higher first)" },
		{ NULL, 0, 0, NULL, NULL, NULL }
	};
	struct descr_ref ref;
	struct ipc *ipc;
	char *text;
	int i, ret;

	i = ctl_parse(argc, argv, opts);
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
	ret = set_reservation_name(argv[0], &ref, with_name);
	if (!ret)
		ret = ctl_connect(&ipc, "reserve", ref.name);
	if (!ret) {
		ret = reserve_text(ipc, &ref, text, "reserve", &o);
		ipc_close(ipc);
	}
	free(text);
	return ret;
}

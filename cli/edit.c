// SPDX-License-Identifier: GPL-2.0
/*
 * edit.c - nmbctl edit NAME: the agent's copy of a reservation's import
 * description in $VISUAL/$EDITOR/vi on a temporary file, sent back when it
 * changed. The file it was read from is left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "descr.h"
#include "fileio.h"
#include "ipc.h"
#include "protocol.h"
#include "subcommands.h"

/* Runs the editor on path, through sh so that "$EDITOR" may hold options. */
static int run_editor(const char *path)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	const char *editor = getenv("VISUAL");
	char script[4096];
	int status = 0, err;
	pid_t pid;

	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	snprintf(script, sizeof(script), "%s \"$@\"", editor);
	/* Ctrl-C belongs to the editor while it runs, as with git */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (!pid) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		execl("/bin/sh", "sh", "-c", script, editor, path, (char *)NULL);
		_exit(127);
	}
	err = pid < 0 ? -errno : 0;
	while (!err && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			err = -errno;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (!err && (!WIFEXITED(status) || WEXITSTATUS(status)))
		err = -ECHILD;
	return err;
}

static int get_text(const char *name, char **text)
{
	json_object *params = json_object_new_object(), *result;
	int ret;

	*text = NULL;
	json_object_object_add(params, "name", json_object_new_string(name));
	ret = ctl_call1(CTL_GET_IMPORT_DESCRIPTION, params, &result, "edit",
			name);
	if (ret)
		return ret;
	if (!json_object_is_type(result, json_type_string)) {
		json_object_put(result);
		return ctl_fail(CTL_FAILED, "edit", name,
				"the agent's answer is not a text");
	}
	*text = strdup(json_object_get_string(result));
	json_object_put(result);
	return *text ? CTL_OK : ctl_fail(CTL_FAILED, "edit", name,
					 "out of memory");
}

static int edit_text(const struct descr_ref *ref, const char *old, char *path)
{
	json_object *params, *result;
	char *text = NULL;
	int fd, err, ret;

	fd = mkstemps(path, strlen(".yaml"));
	if (fd < 0)
		return ctl_fail(CTL_FAILED, "edit", ref->name,
				"cannot create %s: %s", path, strerror(errno));
	err = file_write_all(fd, old, strlen(old));
	close(fd);
	if (err) {
		ret = ctl_fail(CTL_FAILED, "edit", ref->name,
			       "cannot write %s: %s", path, strerror(-err));
		goto out_unlink;
	}
	err = run_editor(path);
	if (err) {
		ret = ctl_fail(CTL_FAILED, "edit", ref->name,
			       "the editor failed; nothing changed");
		goto out_unlink;
	}
	err = descr_read(path, &text);
	if (err) {
		ret = ctl_fail(CTL_FAILED, "edit", ref->name,
			       "cannot read back %s: %s", path, strerror(-err));
		goto out_unlink;
	}
	if (!strcmp(text, old)) {
		fprintf(stderr, "nmbctl: edit %s: unchanged\n", ref->name);
		ret = CTL_OK;
		goto out_unlink;
	}
	/*
	 * By position, as update_import_description(name, text) in
	 * agent-api.rst: the second parameter's name differs between the
	 * contract ("text") and nmb-agent ("import_description").
	 */
	params = json_object_new_array();
	json_object_array_add(params, json_object_new_string(ref->name));
	json_object_array_add(params, json_object_new_string(text));
	ret = ctl_call1(CTL_UPDATE_IMPORT_DESCRIPTION, params, &result, "edit",
			ref->name);
	json_object_put(result);
	if (ret) {
		/* keep the user's work */
		fprintf(stderr, "nmbctl: edit %s: your text is kept in %s\n",
			ref->name, path);
		goto out;
	}
out_unlink:
	unlink(path);
out:
	free(text);
	return ret;
}

int edit_main(int argc, char **argv)
{
	char path[PATH_MAX];
	struct descr_ref ref;
	const char *tmp;
	char *old;
	int i, ret;

	i = ctl_parse(argc, argv, NULL);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (argc - i != 1)
		return ctl_usage_error(argv[0], "expected one NAME");
	ret = parse_ref(argv[0], argv[i], &ref);
	if (ret)
		return ret;
	ret = get_text(ref.name, &old);
	if (ret)
		return ret;
	tmp = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/nmb-%s-XXXXXX.yaml",
		 tmp && *tmp ? tmp : "/tmp", ref.name);
	ret = edit_text(&ref, old, path);
	free(old);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * descr.c - import description lookup: ./.nmb/NAME.yaml, then .nmb/ in
 * each parent folder, then ~/.config/nmb/NAME.yaml; or a path as given.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "descr.h"
#include "fileio.h"
#include "toml_hint.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int descr_parse(const char *arg, struct descr_ref *ref)
{
	const char *at = strrchr(arg, '@'), *base;
	size_t len = strlen(arg);

	memset(ref, 0, sizeof(*ref));
	/* "dir@x/demo.yaml" has no place: a place name has no '/' */
	if (at && !strchr(at + 1, '/')) {
		if (!at[1])
			return -EINVAL;
		if (strlen(at + 1) >= sizeof(ref->place))
			return -ENAMETOOLONG;
		strcpy(ref->place, at + 1);
		len = (size_t)(at - arg);
	}
	if (!len)
		return -EINVAL;
	if (len >= sizeof(ref->spec))
		return -ENAMETOOLONG;
	memcpy(ref->spec, arg, len);
	ref->spec[len] = '\0';

	/* PATH.toml is taken as a path too, for parse_ref()'s advice */
	ref->is_path = ends_with(ref->spec, ".yaml") ||
		       toml_is_toml(ref->spec);
	if (!ref->is_path) {
		if (strchr(ref->spec, '/') || ref->spec[0] == '.')
			return -EINVAL;
		if (len >= sizeof(ref->name))
			return -ENAMETOOLONG;
		strcpy(ref->name, ref->spec);
		return 0;
	}
	base = strrchr(ref->spec, '/');
	base = base ? base + 1 : ref->spec;
	len = strlen(base) - strlen(".yaml");
	if (!len)
		return -EINVAL;
	if (len >= sizeof(ref->name))
		return -ENAMETOOLONG;
	memcpy(ref->name, base, len);
	ref->name[len] = '\0';
	return 0;
}

int descr_read(const char *path, char **text)
{
	return file_read_all(path, DESCR_MAX, text, NULL);
}

static void note(char *looked, size_t len, const char *path)
{
	size_t used = strlen(looked);

	if (used < len)
		snprintf(looked + used, len - used, "%s%s", used ? ", " : "",
			 path);
}

/* Tries one candidate: 0 found, -ENOENT not there, other -errno. */
static int try(const char *path, char **text, char *looked, size_t lookedlen)
{
	int err;

	note(looked, lookedlen, path);
	err = descr_read(path, text);
	return err == -ENOTDIR ? -ENOENT : err;
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && *home)
		return home;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : NULL;
}

int descr_load(const struct descr_ref *ref, char **text, char *path,
	       size_t pathlen, char *looked, size_t lookedlen)
{
	char dir[PATH_MAX], *slash;
	const char *home;
	int err;

	*text = NULL;
	looked[0] = '\0';
	if (ref->is_path) {
		snprintf(path, pathlen, "%s", ref->spec);
		return try(path, text, looked, lookedlen);
	}
	if (!getcwd(dir, sizeof(dir)))
		return -errno;
	for (;;) {
		snprintf(path, pathlen, "%s/.nmb/%s.yaml",
			 strcmp(dir, "/") ? dir : "", ref->name);
		err = try(path, text, looked, lookedlen);
		if (err != -ENOENT)
			return err;
		if (!strcmp(dir, "/"))
			break;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	home = home_dir();
	if (!home)
		return -ENOENT;
	snprintf(path, pathlen, "%s/.config/nmb/%s.yaml", home, ref->name);
	return try(path, text, looked, lookedlen);
}

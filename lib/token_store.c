// SPDX-License-Identifier: GPL-2.0
/*
 * token_store.c - the token store file (see token_store.h): open with
 * the mode check, flock, read and rewrite in place; its JSON with
 * json-c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


#include "fileio.h"
#include "jwks.h"
#include "jwt_verify.h"
#include "token_store.h"

static void make_folder(const char *path)
{
	char *copy = strdup(path);

	if (copy) {
		mkdir(dirname(copy), 0700);
		free(copy);
	}
}

int token_store_lock(const char *path, bool create, int *fd, char *why,
		     size_t whylen)
{
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	struct stat st;
	int f, err;

	f = open(path, flags);
	if (f < 0 && errno == ENOENT && create) {
		make_folder(path);
		f = open(path, flags | O_CREAT | O_EXCL, 0600);
		if (f < 0 && errno == EEXIST)
			f = open(path, flags);
	}
	if (f < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot open the token store %s: %s",
			 path, strerror(-err));
		return err;
	}
	if (fstat(f, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "the token store %s is not a regular file",
			 path);
		close(f);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen,
			 "the token store %s may be read or written by group or others (mode %04o); run: chmod 600 %s",
			 path, (unsigned int)(st.st_mode & 07777), path);
		close(f);
		return -EPERM;
	}
	if (flock(f, LOCK_EX | LOCK_NB)) {
		err = -errno;
		snprintf(why, whylen, "cannot lock the token store %s: %s",
			 path, strerror(-err));
		close(f);
		return err == -EAGAIN ? -EWOULDBLOCK : err;
	}
	*fd = f;
	return 0;
}

int token_store_read(int fd, char **text, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *p;

			if (cap >= TOKEN_STORE_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			p = realloc(buf, cap + 1);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	if (!n)
		n = (size_t)sprintf(buf, "{}");
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int token_store_write(int fd, const char *text, size_t len)
{
	int err;

	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
		return -errno;
	err = file_write_all(fd, text, len);
	if (!err && fsync(fd))
		err = -errno;
	return err;
}

void token_store_unlock(int fd)
{
	if (fd < 0)
		return;
	flock(fd, LOCK_UN);
	close(fd);
}

static json_object *parse(const char *text, size_t len)
{
	if (len > TOKEN_STORE_MAX)
		return NULL;
	return jwks_json_object(text, len);
}

static bool token_ok(const char *s)
{
	return s && *s && strlen(s) <= JWT_MAX_LEN;
}

int token_store_lookup(const char *text, size_t len, const char *hub,
		       char **id, char **refresh, const char **why)
{
	json_object *o = parse(text, len), *e;
	const char *i, *r;
	int err = 0;

	*id = NULL;
	*refresh = NULL;
	if (!o) {
		*why = "the token store is not a JSON object";
		return -EINVAL;
	}
	if (!json_object_object_get_ex(o, hub, &e)) {
		json_object_put(o);
		*why = "no entry for this hub";
		return -ENOENT;
	}
	i = jwks_json_str(e, "id");
	r = jwks_json_str(e, "refresh");
	if (!json_object_is_type(e, json_type_object) || !token_ok(i)) {
		*why = "the hub's entry in the token store has no id token";
		err = -EINVAL;
	} else if (json_object_object_get_ex(e, "refresh", NULL) &&
		   !json_object_is_type(json_object_object_get(e, "refresh"),
					json_type_null) && !token_ok(r)) {
		*why = "the hub's entry in the token store has a malformed refresh token";
		err = -EINVAL;
	} else {
		*id = strdup(i);
		*refresh = r ? strdup(r) : NULL;
		if (!*id || (r && !*refresh)) {
			free(*id);
			free(*refresh);
			*id = *refresh = NULL;
			*why = "out of memory";
			err = -ENOMEM;
		}
	}
	json_object_put(o);
	return err;
}

int token_store_update(const char *text, size_t len, const char *hub,
		       const char *id, const char *refresh, char **out)
{
	json_object *o = parse(text, len), *e;
	const char *s;
	int err = 0;

	if (!o)
		return -EINVAL;
	if (!json_object_object_get_ex(o, hub, NULL) &&
	    json_object_object_length(o) >= TOKEN_STORE_MAX_HUBS) {
		json_object_put(o);
		return -ENOSPC;
	}
	e = json_object_new_object();
	if (!e ||
	    json_object_object_add(e, "id", json_object_new_string(id)) ||
	    json_object_object_add(e, "refresh",
				   refresh ? json_object_new_string(refresh) :
				   NULL) ||
	    json_object_object_add(o, hub, e)) {
		json_object_put(o);
		return -ENOMEM;
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = s ? strdup(s) : NULL;
	if (!*out)
		err = -ENOMEM;
	else if (strlen(*out) > TOKEN_STORE_MAX)
		err = -ENOSPC;
	if (err == -ENOSPC) {
		free(*out);
		*out = NULL;
	}
	json_object_put(o);
	return err;
}

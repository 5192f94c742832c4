/* SPDX-License-Identifier: GPL-2.0 */
/*
 * token_store.h - the token store of not-my-board (auth note §9): one
 * JSON file, {"<hub URL as given>": {"id": "<id token>", "refresh":
 * "<refresh token>"}, ...}, mode 0600, flock()ed around every
 * read-modify-write. Written by nmbctl login (through nmb-agent), read
 * and refreshed by nmb-agent and nmb-exporter.
 *
 *	err = token_store_lock(path, true, &fd, why, sizeof(why));
 *	err = token_store_read(fd, &text, &len);
 *	err = token_store_lookup(text, len, hub_url, &id, &refresh, &w);
 *	err = token_store_update(text, len, hub_url, id, refresh, &new);
 *	err = token_store_write(fd, new, strlen(new));
 *	token_store_unlock(fd);
 *
 * The lock is only held while the file is read and rewritten in place
 * (never across a network exchange); it is taken without waiting
 * (-EWOULDBLOCK: the caller tries again a little later).
 */
#ifndef NMB_TOKEN_STORE_H
#define NMB_TOKEN_STORE_H

#include <stdbool.h>
#include <stddef.h>

/* The file's name in a daemon's state folder (its default). */
#define TOKEN_STORE_NAME	"auth_tokens.json"
/* Largest store accepted, in bytes. */
#define TOKEN_STORE_MAX		((size_t)1 << 20)
/* Most hub entries in one store. */
#define TOKEN_STORE_MAX_HUBS	256

/*
 * Opens path (created 0600 with its folder 0700 when create is true and
 * it is missing) and takes an exclusive flock without waiting. Refuses
 * (-EPERM) a file that group or others may read or write, and (-EINVAL)
 * one that is not a regular file; -EWOULDBLOCK while another process
 * holds the lock. why gets an operator's message naming the path (and
 * the chmod to run). Returns 0 and *fd, or -errno.
 */
int token_store_lock(const char *path, bool create, int *fd, char *why,
		     size_t whylen);
/* Reads the whole file from its start; an empty file reads as "{}". */
int token_store_read(int fd, char **text, size_t *len);
/* Rewrites the file in place with len bytes of text (fsync'ed). */
int token_store_write(int fd, const char *text, size_t len);
/* Drops the lock and closes fd. */
void token_store_unlock(int fd);

/*
 * The entry of hub in the store's text. Returns 0 with malloc'ed *id
 * and *refresh (refresh may be NULL when the entry has none), -ENOENT
 * when hub has no entry, -EINVAL for a malformed store (*why), -ENOMEM.
 */
int token_store_lookup(const char *text, size_t len, const char *hub,
		       char **id, char **refresh, const char **why);
/*
 * A new store text (malloc'ed, NUL-terminated *out) with hub's entry set
 * to id and refresh and every other entry kept. A malformed text is
 * refused (-EINVAL, never overwritten); -ENOSPC past the limits.
 */
int token_store_update(const char *text, size_t len, const char *hub,
		       const char *id, const char *refresh, char **out);

#endif /* NMB_TOKEN_STORE_H */

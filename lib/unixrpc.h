/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unixrpc.h - lib/jsonrpc over a Unix stream socket, one JSON text per
 * line, at most 64 KiB (wire note §8, Documentation/agent-api.rst): the
 * transport of the agent's control socket, shared by nmb-agent and nmbctl.
 *
 * Server (nmb-agent):
 *
 *	fd = unixrpc_listen("/run/nmb/agent.sock", 0660, "nmb");
 *	...on EPOLLIN of fd: c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
 *	unixrpc_new(loop, c, methods, agent, closed_cb, &u);
 *	...handlers get u as ctx: unixrpc_arg(ctx) gives back agent;
 *	unixrpc_error(req, "conflict", "port %u ...", ...) answers -32603
 *	with data.kind. closed_cb(u, arg) runs on EOF/error, after the
 *	channel was closed (running handlers cancelled); it may free u.
 *
 * Client (nmbctl), on its own lib/loop:
 *
 *	fd = unixrpc_connect(path);		// -errno: ENOENT, EACCES...
 *	unixrpc_new(loop, fd, NULL, NULL, closed_cb, &u);
 *	rpc_call(unixrpc_chan(u), "status", NULL, done, data);
 *	loop_run(loop);				// done() calls loop_stop()
 *	...done gets err->message; unixrpc_last_error_kind(u) the kind
 *	of the last error answer received ("" if it had none).
 *
 * The struct owns fd and closes it in unixrpc_free().
 */
#ifndef NMB_UNIXRPC_H
#define NMB_UNIXRPC_H

#include <sys/types.h>

#include "jsonrpc.h"

/* Longest line a server (methods given) accepts, as not-my-board's. */
#define UNIXRPC_LINE_MAX	65536
/* Longest line a pure client accepts: answers such as search results. */
#define UNIXRPC_ANSWER_MAX	(16 * 1024 * 1024)

struct loop;
struct unixrpc;

typedef void (*unixrpc_closed_fn)(struct unixrpc *u, void *arg);

/* methods may be NULL (a pure client). Returns 0 or -errno. */
int unixrpc_new(struct loop *loop, int fd, const struct rpc_method *methods,
		void *arg, unixrpc_closed_fn closed, struct unixrpc **out);
void unixrpc_free(struct unixrpc *u);
/*
 * The longest message accepted from the peer: UNIXRPC_LINE_MAX with
 * methods, UNIXRPC_ANSWER_MAX without. A client that takes notifications
 * (methods) sets UNIXRPC_ANSWER_MAX for the answers.
 */
void unixrpc_set_rx_max(struct unixrpc *u, size_t max);
struct rpc_chan *unixrpc_chan(const struct unixrpc *u);
/* The arg given to unixrpc_new(); ctx is a handler's ctx (the unixrpc). */
void *unixrpc_arg(const void *ctx);
/* SO_PEERCRED uid of the peer, or -1. */
int unixrpc_peer_uid(const struct unixrpc *u);

/*
 * Answers req (a request received on a unixrpc channel) with a -32603
 * error whose data is {"kind": kind}: not-found, conflict, invalid,
 * timeout, unavailable, internal.
 */
void unixrpc_error(struct rpc_req *req, const char *kind, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
/* data.kind of the last error response received on u ("" if none). */
const char *unixrpc_last_error_kind(const struct unixrpc *u);

/*
 * Creates the listening socket at path (an old socket file is replaced),
 * chmod mode, chown to group when that group exists. Returns the fd
 * (non-blocking, close-on-exec) or -errno.
 */
int unixrpc_listen(const char *path, mode_t mode, const char *group);
/* Connects to path. Returns the fd (close-on-exec) or -errno. */
int unixrpc_connect(const char *path);

#endif /* NMB_UNIXRPC_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipc.h - nmbctl's one connection to nmb-agent: synchronous JSON-RPC calls
 * over the agent's control socket (Documentation/agent-api.rst). Hides the
 * socket, the line framing (lib/unixrpc) and the JSON-RPC channel from the
 * subcommands.
 *
 *	err = ipc_open(path, &ipc);		// -ENOENT, -ECONNREFUSED...
 *	err = ipc_call(ipc, "status", NULL, &result);
 *	if (err == -EREMOTEIO)			// the agent answered an error
 *		puts(ipc_error(ipc)->message);
 *	json_object_put(result);
 *	ipc_close(ipc);				// cancels what still runs
 *
 * While a connection is open, SIGINT and SIGTERM interrupt a waiting call:
 * ipc_call() returns -EINTR, and closing the connection then cancels the
 * call on the agent (a queued reserve is withdrawn).
 */
#ifndef NMBCTL_IPC_H
#define NMBCTL_IPC_H

#include <json-c/json.h>

#define IPC_DEFAULT_SOCKET	"/run/nmb/agent.sock"
#define IPC_SOCKET_ENV		"NMB_AGENT_SOCKET"

struct ipc;

/* The last error answer of the agent. */
struct ipc_error {
	int code;		/* JSON-RPC error code */
	char kind[32];		/* data.kind: "not-found", ...; "" if none */
	char message[1024];
};

/* Connects to the agent's socket at path. Returns 0 or -errno. */
int ipc_open(const char *path, struct ipc **out);

/*
 * Calls method with params (an object or array, taken; NULL sends {}) and
 * waits for the answer. On 0, *result is the result (the caller's
 * reference; NULL for JSON null). Errors: -EREMOTEIO the agent answered
 * an error (see ipc_error()), -EPIPE the connection was lost, -EINTR a
 * signal came, -EMSGSIZE the request is over the 64 KiB line limit,
 * -ETIMEDOUT ipc_set_timeout() ran out, -ENOMEM.
 */
int ipc_call(struct ipc *ipc, const char *method, json_object *params,
	     json_object **result);

const struct ipc_error *ipc_error(const struct ipc *ipc);

/*
 * While calls wait: fn(arg, params) for each reserve_progress or
 * login_url the agent sends, and fn(arg, NULL) every second (to redraw
 * a waiting time).
 */
typedef void (*ipc_progress_fn)(void *arg, json_object *params);
void ipc_on_progress(struct ipc *ipc, ipc_progress_fn fn, void *arg);
/*
 * The calls that follow fail with -ETIMEDOUT after seconds (0: never);
 * the call is cancelled on the agent (a queued reserve is withdrawn).
 */
void ipc_set_timeout(struct ipc *ipc, unsigned int seconds);

/* Closes the connection (the agent cancels what still runs); NULL is ok. */
void ipc_close(struct ipc *ipc);

#endif /* NMBCTL_IPC_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * ipc.c - synchronous JSON-RPC calls to nmb-agent on lib/unixrpc, with
 * SIGINT/SIGTERM turned into a clean cancellation through a signalfd.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ipc.h"
#include "jsonrpc.h"
#include "loop.h"
#include "protocol.h"
#include "unixrpc.h"

/* Room for the JSON-RPC envelope around method and params. */
#define ENVELOPE_MAX	128

struct ipc {
	struct loop *loop;
	struct unixrpc *u;
	int sigfd;
	struct loop_fd *sig;
	sigset_t oldmask;
	bool closed;
	bool interrupted;
	bool timed_out;
	struct ipc_error err;
	ipc_progress_fn progress;
	void *progress_arg;
	struct loop_timer *tick;	/* progress, every second */
	struct loop_timer *deadline;	/* ipc_set_timeout() */
	unsigned int timeout_s;
};

struct wait {
	struct ipc *ipc;
	bool done;
	int ret;
	json_object *result;
};

static void on_done(void *data, json_object *result, const struct rpc_err *err)
{
	struct wait *w = data;
	struct ipc *ipc = w->ipc;

	w->done = true;
	if (!err) {
		w->result = json_object_get(result);
	} else if (err->code == RPC_CONNECTION_CLOSED) {
		w->ret = -EPIPE;
	} else {
		ipc->err.code = err->code;
		snprintf(ipc->err.message, sizeof(ipc->err.message), "%s",
			 err->message && *err->message ? err->message :
			 "unknown error");
		/* Only -32603 answers carry data.kind (agent-api.rst). */
		snprintf(ipc->err.kind, sizeof(ipc->err.kind), "%s",
			 err->code == RPC_INTERNAL_ERROR ?
			 unixrpc_last_error_kind(ipc->u) : "");
		w->ret = -EREMOTEIO;
	}
	loop_stop(ipc->loop);
}

static void on_closed(struct unixrpc *u, void *arg)
{
	struct ipc *ipc = arg;

	(void)u;
	ipc->closed = true;
	loop_stop(ipc->loop);
}

static void on_signal(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct ipc *ipc = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(loop_fd_fd(lfd), &si, sizeof(si)) == sizeof(si))
		ipc->interrupted = true;
	if (ipc->interrupted)
		loop_stop(ipc->loop);
}

/* reserve_progress or login_url from the agent (agent-api.rst). */
static void on_progress(struct rpc_req *req, json_object *params, void *ctx)
{
	struct ipc *ipc = unixrpc_arg(ctx);

	if (ipc->progress && json_object_is_type(params, json_type_object))
		ipc->progress(ipc->progress_arg, params);
	rpc_reply(req, NULL);
}

static const struct rpc_method client_methods[] = {
	{ CTL_RESERVE_PROGRESS, on_progress },
	{ CTL_LOGIN_URL, on_progress },
	{ NULL, NULL },
};

static void on_tick(struct loop_timer *t, void *arg)
{
	struct ipc *ipc = arg;

	if (ipc->progress)
		ipc->progress(ipc->progress_arg, NULL);
	loop_timer_set(t, 1000);
}

static void on_deadline(struct loop_timer *t, void *arg)
{
	struct ipc *ipc = arg;

	(void)t;
	ipc->timed_out = true;
	loop_stop(ipc->loop);
}

void ipc_on_progress(struct ipc *ipc, ipc_progress_fn fn, void *arg)
{
	ipc->progress = fn;
	ipc->progress_arg = arg;
	if (!ipc->tick)
		ipc->tick = loop_timer_new(ipc->loop, on_tick, ipc);
	if (ipc->tick)
		loop_timer_set(ipc->tick, 1000);
}

void ipc_set_timeout(struct ipc *ipc, unsigned int seconds)
{
	ipc->timeout_s = seconds;
}

static int catch_signals(struct ipc *ipc)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, &ipc->oldmask))
		return -errno;
	ipc->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ipc->sigfd < 0)
		return -errno;
	ipc->sig = loop_fd_add(ipc->loop, ipc->sigfd, EPOLLIN, on_signal, ipc);
	return ipc->sig ? 0 : -errno;
}

int ipc_open(const char *path, struct ipc **out)
{
	struct ipc *ipc;
	int fd, err;

	ipc = calloc(1, sizeof(*ipc));
	if (!ipc)
		return -ENOMEM;
	ipc->sigfd = -1;
	sigprocmask(SIG_SETMASK, NULL, &ipc->oldmask);
	ipc->loop = loop_new();
	if (!ipc->loop) {
		err = -ENOMEM;
		goto err_free;
	}
	err = catch_signals(ipc);
	if (err)
		goto err_close;
	fd = unixrpc_connect(path);
	if (fd < 0) {
		err = fd;
		goto err_close;
	}
	err = unixrpc_new(ipc->loop, fd, client_methods, ipc, on_closed,
			  &ipc->u);
	if (err) {
		close(fd);
		goto err_close;
	}
	unixrpc_set_rx_max(ipc->u, (size_t)UNIXRPC_ANSWER_MAX);
	*out = ipc;
	return 0;

err_close:
	ipc_close(ipc);
	return err;
err_free:
	free(ipc);
	return err;
}

int ipc_call(struct ipc *ipc, const char *method, json_object *params,
	     json_object **result)
{
	struct wait w = { .ipc = ipc };
	struct rpc_call *call;
	size_t len;
	int err;

	*result = NULL;
	if (!params)
		params = json_object_new_object();
	if (!params)
		return -ENOMEM;
	json_object_to_json_string_length(params, JSON_C_TO_STRING_PLAIN, &len);
	if (len + strlen(method) + ENVELOPE_MAX > UNIXRPC_LINE_MAX) {
		json_object_put(params);
		return -EMSGSIZE;
	}
	if (ipc->closed) {
		json_object_put(params);
		return -EPIPE;
	}
	call = rpc_call(unixrpc_chan(ipc->u), method, params, on_done, &w);
	if (!call)
		return ipc->closed ? -EPIPE : -ENOMEM;
	ipc->timed_out = false;
	if (ipc->timeout_s && !ipc->deadline)
		ipc->deadline = loop_timer_new(ipc->loop, on_deadline, ipc);
	if (ipc->timeout_s && ipc->deadline)
		loop_timer_set(ipc->deadline, ipc->timeout_s * 1000ULL);
	while (!w.done && !ipc->closed && !ipc->interrupted &&
	       !ipc->timed_out) {
		err = loop_run(ipc->loop);
		if (err && !w.done) {
			rpc_call_cancel(call);
			return err;
		}
	}
	if (ipc->deadline)
		loop_timer_cancel(ipc->deadline);
	if (w.done) {
		*result = w.result;
		return w.ret;
	}
	if (ipc->timed_out) {
		rpc_call_cancel(call);
		return -ETIMEDOUT;
	}
	if (ipc->interrupted) {
		/* done must never run once w is gone */
		rpc_call_cancel(call);
		return -EINTR;
	}
	return -EPIPE;
}

const struct ipc_error *ipc_error(const struct ipc *ipc)
{
	return &ipc->err;
}

void ipc_close(struct ipc *ipc)
{
	if (!ipc)
		return;
	loop_timer_free(ipc->tick);
	loop_timer_free(ipc->deadline);
	unixrpc_free(ipc->u);
	if (ipc->sig)
		loop_fd_del(ipc->sig);
	if (ipc->sigfd >= 0)
		close(ipc->sigfd);
	loop_free(ipc->loop);
	sigprocmask(SIG_SETMASK, &ipc->oldmask, NULL);
	free(ipc);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * unixrpc.c - fuzz target: the framing of nmb-agent's control socket
 * (lib/unixrpc): the input arrives on a Unix stream socket, one JSON-RPC
 * message per line, then the peer hangs up.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "loop.h"
#include "unixrpc.h"

static bool closed;

static void on_closed(struct unixrpc *u, void *arg)
{
	struct loop *loop = arg;

	(void)u;
	closed = true;
	loop_stop(loop);
}

static void m_echo(struct rpc_req *req, json_object *params, void *ctx)
{
	(void)ctx;
	rpc_reply(req, json_object_get(params));
}

static void m_fail(struct rpc_req *req, json_object *params, void *ctx)
{
	(void)params;
	(void)ctx;
	unixrpc_error(req, "invalid", "no %s", rpc_req_method(req));
}

static const struct rpc_method methods[] = {
	{ "status", m_echo },
	{ "reserve", m_fail },
	{ NULL, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct loop *loop;
	struct unixrpc *u;
	int sv[2];

	if (!loop) {
		fuzz_log_init("fuzz-unixrpc");
		loop = loop_new();
		if (!loop)
			abort();
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, sv))
		abort();
	/* a socketpair holds about 200 KiB: inputs are smaller (-max_len) */
	if (size && send(sv[1], data, size, 0) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	if (unixrpc_new(loop, sv[0], methods, loop, on_closed, &u))
		abort();
	closed = false;
	while (!closed)
		loop_run(loop);
	unixrpc_free(u);
	close(sv[1]);
	return 0;
}

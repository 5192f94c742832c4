/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_rpc.h - for the fuzz targets of one notification's handler: the
 * input, as that notification's params, through lib/jsonrpc.
 */
#ifndef NMB_FUZZ_RPC_H
#define NMB_FUZZ_RPC_H

#include "fuzz.h"
#include "jsonrpc.h"

static inline int fuzz_rpc_sink(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	(void)msg;
	(void)len;
	return 0;
}

/*
 * {"jsonrpc":"2.0","method":METHOD,"params":INPUT} into a new channel
 * with methods, which answers into nothing.
 */
static inline void fuzz_rpc_notify(const struct rpc_method *methods,
				   const char *method, const uint8_t *data,
				   size_t size)
{
	static const char fmt[] = "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":";
	size_t head = sizeof(fmt) + strlen(method);
	struct rpc_chan *ch;
	char *msg;
	int n;

	msg = malloc(head + size + 1);
	if (!msg)
		abort();
	n = snprintf(msg, head, fmt, method);
	if (n < 0 || (size_t)n >= head)
		abort();
	memcpy(msg + n, data, size);
	msg[n + size] = '}';
	ch = rpc_chan_new(methods, fuzz_rpc_sink, NULL);
	if (!ch)
		abort();
	rpc_input(ch, msg, (size_t)n + size + 1);
	rpc_chan_close(ch);
	rpc_chan_free(ch);
	free(msg);
}

#endif /* NMB_FUZZ_RPC_H */

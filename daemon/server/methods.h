/* SPDX-License-Identifier: GPL-2.0 */
/*
 * methods.h - the JSON-RPC methods of the server (methods.c); each
 * handler's ctx is the struct srv_conn.
 */
#ifndef NMB_SERVER_METHODS_H
#define NMB_SERVER_METHODS_H

#include "jsonrpc.h"

extern const struct rpc_method srv_methods[];

#endif /* NMB_SERVER_METHODS_H */

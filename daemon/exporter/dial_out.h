/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dial_out.h - the data connections of a dial-out place (dial_out.c):
 * on the server's relay_open, a connection out to the server's relay
 * port, its hello, then the place's proxy as for an accepted one.
 */
#ifndef NMB_EXPORTER_DIAL_OUT_H
#define NMB_EXPORTER_DIAL_OUT_H

#include <json-c/json.h>

struct place;
struct rpc_req;

/* How long a data connection may take to connect. */
#define DIAL_OUT_CONNECT_MS	5000
/* Data connections of one place still connecting, at most. */
#define DIAL_OUT_MAX_PENDING	64

/* The relay_open method (server_link.c's table); ctx: the hub client. */
void dial_out_open(struct rpc_req *req, json_object *params, void *ctx);
void dial_out_start(struct place *p);
/* Drops the data connections still connecting. */
void dial_out_stop(struct place *p);

#endif /* NMB_EXPORTER_DIAL_OUT_H */

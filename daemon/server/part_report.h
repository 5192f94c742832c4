/* SPDX-License-Identifier: GPL-2.0 */
/*
 * part_report.h - the parts' states that exporters report (part_report.c,
 * protocol.rst "Part states"): kept on the place, passed on to the
 * holder of its reservation.
 */
#ifndef NMB_SERVER_PART_REPORT_H
#define NMB_SERVER_PART_REPORT_H

#include <json-c/json.h>

struct rpc_req;
struct server;
struct srv_place;
struct srv_res;

/* The part_state notification of an exporter; ctx is its srv_conn. */
void srv_part_report(struct rpc_req *req, json_object *params, void *ctx);
/* Every state kept of r's place, to r's holder (granted, resumed). */
void srv_part_replay(struct server *srv, const struct srv_res *r);
/* The states kept of p, for the farm page: a new list. */
json_object *srv_part_json(const struct srv_place *p);

#endif /* NMB_SERVER_PART_REPORT_H */

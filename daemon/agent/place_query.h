/* SPDX-License-Identifier: GPL-2.0 */
/*
 * place_query.h - nmbctl's questions about the server's places and
 * reservations (place_query.c): each reads the place list, some ask the
 * server for more, and the answer goes to req.
 */
#ifndef NMB_AGENT_PLACE_QUERY_H
#define NMB_AGENT_PLACE_QUERY_H

struct agent;
struct match_import;
struct rpc_req;

/* Every place with its stats, or (imp) the names of those that match. */
void query_search(struct agent *a, struct rpc_req *req,
		  struct match_import *imp);
/* One place with its stats: by name, or (name NULL) res_name's place. */
void query_place(struct agent *a, struct rpc_req *req, const char *name,
		 const char *res_name);
/* The server's reservations with place names. */
void query_reservations(struct agent *a, struct rpc_req *req);

#endif /* NMB_AGENT_PLACE_QUERY_H */

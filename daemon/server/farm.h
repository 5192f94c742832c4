/* SPDX-License-Identifier: GPL-2.0 */
/*
 * farm.h - the read-only view of the farm for the web page (farm.c): the
 * subscribe_farm method, its snapshots, pushed (coalesced) after every
 * change, and the recent reservations.
 */
#ifndef NMB_SERVER_FARM_H
#define NMB_SERVER_FARM_H

#include <arpa/inet.h>
#include <stdint.h>

#include "jsonrpc.h"

struct server;
struct srv_conn;
struct srv_res;
struct srv_timer;

#define SRV_FARM_RECENT	50	/* finished reservations kept */

struct srv_farm_recent {
	char *place, *user;
	char ip[INET6_ADDRSTRLEN];
	int64_t since_ms, until_ms;
	const char *end;
};

struct srv_farm {
	struct srv_farm_recent recent[SRV_FARM_RECENT];
	unsigned int recent_next, recent_count;
	unsigned int nsubs;		/* subscribe_farm connections */
	struct srv_timer *push_timer;
	uint64_t last_push_us;
};

int srv_farm_init(struct server *srv);
void srv_farm_free(struct server *srv);
/* The subscribe_farm method; ctx is the struct srv_conn. */
void srv_farm_subscribe(struct rpc_req *req, json_object *params,
			void *ctx);
void srv_farm_changed(struct server *srv);	/* snapshot within 50 ms */
void srv_farm_ended(struct server *srv, struct srv_res *r);
void srv_farm_unsubscribe(struct server *srv, struct srv_conn *c);
void srv_farm_drained(struct server *srv, struct srv_conn *c);

#endif /* NMB_SERVER_FARM_H */

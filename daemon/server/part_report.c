// SPDX-License-Identifier: GPL-2.0
/*
 * part_report.c - part_state from exporters (protocol.rst, "Part
 * states"): a connection that registered a place tells the state of
 * one of its parts (an emulated board's power and why QEMU stopped).
 * The server keeps the latest of each part, at most PART_STATE_KEPT_MAX
 * per place, and passes every change on to the holder of the place's
 * reservation, if it said hello; the holder also gets every kept state
 * when its reservation is granted and when its session is resumed. The
 * farm page lists them. Nothing of it is in the state file: exporters
 * tell again after every hello.
 */
#include <errno.h>
#include <stdlib.h>

#include "clock.h"
#include "farm.h"
#include "log.h"
#include "part_report.h"
#include "part_state.h"
#include "protocol.h"
#include "scheduler.h"
#include "server.h"

static size_t n_parts(const struct srv_place *p)
{
	json_object *parts;

	if (!json_object_object_get_ex(p->desc, "parts", &parts))
		return 0;
	return json_object_array_length(parts);
}

/* To the holder of a granted reservation that said hello. */
static void tell_holder(const struct srv_res *r, const struct part_state *s)
{
	struct srv_session *h = r->holder;

	if (r->req || !h->notify || !h->conn)
		return;
	rpc_notify(h->conn->rpc, WIRE_PART_STATE,
		   part_state_json(s, r->place_id));
}

void srv_part_report(struct rpc_req *req, json_object *params, void *ctx)
{
	struct srv_conn *c = ctx;
	struct srv_place *p = c->sess->place;
	struct part_state s;
	char err[160];
	int ret;

	if (!(c->roles & SRV_ROLE_EXPORTER))
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "Permission denied: part_state needs a token with the exporter role");
	if (!p)
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "part_state: this connection has not registered a place");
	if (part_state_parse(params, NULL, &s, err, sizeof(err))) {
		log_warn("place=%s id=%u: the exporter sent a bad part_state: %s",
			 p->name, p->id, log_esc(err));
		return rpc_error(req, RPC_INTERNAL_ERROR, err);
	}
	if (s.part >= n_parts(p))
		return rpc_errorf(req, RPC_INTERNAL_ERROR,
				  "part: place %s has %zu part(s)", p->name,
				  n_parts(p));
	if (!s.since_ms)
		s.since_ms = srv_wall_ms();
	if (!p->parts_state) {
		p->parts_state = calloc(PART_STATE_KEPT_MAX,
					sizeof(*p->parts_state));
		if (!p->parts_state)
			return rpc_error(req, RPC_INTERNAL_ERROR,
					 "Out of memory");
	}
	ret = part_state_keep(p->parts_state, &p->nparts_state, &s);
	if (ret < 0)
		return rpc_errorf(req, RPC_INTERNAL_ERROR,
				  "part_state: states of %d parts kept already",
				  PART_STATE_KEPT_MAX);
	if (ret > 0) {
		log_info("place=%s id=%u part=%u: power %s%s%s", p->name,
			 p->id, s.part, part_power_name(s.power),
			 s.reason[0] ? ": " : "", log_esc(s.reason));
		if (p->res)
			tell_holder(p->res, &s);
		srv_farm_changed(c->srv);
	}
	rpc_reply(req, NULL);
}

void srv_part_replay(struct server *srv, const struct srv_res *r)
{
	const struct srv_place *p = r->place;

	(void)srv;
	if (!p)
		return;
	for (size_t i = 0; i < p->nparts_state; i++)
		tell_holder(r, &p->parts_state[i]);
}

json_object *srv_part_json(const struct srv_place *p)
{
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < p->nparts_state; i++)
		json_object_array_add(list,
				      part_state_json(&p->parts_state[i], -1));
	return list;
}

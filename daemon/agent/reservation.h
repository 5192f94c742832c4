/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reservation.h - a reservation's life (reservation.c): reserve with
 * the server's queue, the lease (auto_return), regain after the server
 * lost it, return. Attaching its interfaces is attach.h's.
 */
#ifndef NMB_AGENT_RESERVATION_H
#define NMB_AGENT_RESERVATION_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grant_secret.h"
#include "list.h"

struct agent;
struct match_import;
struct rpc_req;
struct rpc_call;
struct loop_timer;
struct places_req;
struct usb_import;
struct tcp_forward;
struct attach_wait;
struct part_state;

/* The longest reserve ticket an nmb server takes (protocol.rst). */
#define AGENT_TICKET_MAX	64

struct reservation {
	struct agent *agent;
	char *name;
	char *text;			/* the YAML, as given */
	struct match_import *imp;
	char *pin;			/* place_name pinned, or NULL */
	int priority;
	int place_id;			/* 0 while queued */
	/*
	 * The grant's data-plane secret from the reserve result, "" if
	 * the server gave none (a not-my-board hub, an old exporter): sent
	 * as Proxy-Authorization: Bearer on every CONNECT. Never logged.
	 */
	char secret[GRANT_SECRET_SIZE];
	char *place_name;
	json_object *place;		/* the place at reserve time */
	int *assign;			/* imported part -> exported part */
	struct part_state *parts_state;	/* part_power.c, or NULL */
	size_t nparts_state;
	bool attached, lost;
	struct rpc_call *call;		/* reserve in flight at the hub */
	struct rpc_call *list_call;	/* get_reservations for --no-wait */
	struct rpc_req *req;		/* the nmbctl reserve waiting */
	/* while queued (queue.c) */
	unsigned int position;		/* reserve_queued, 0 if unknown */
	uint64_t queued_ms;		/* when the reserve was sent */
	bool progress;			/* nmbctl wants reserve_progress */
	bool no_wait;			/* nmbctl does not want to queue */
	struct loop_timer *progress_timer;
	/* while attached (attach.c) */
	struct usb_import **usb;
	size_t nusb;
	struct tcp_forward **tcp;
	size_t ntcp;
	struct list_head waiters;	/* attach.c, newest first */
	struct loop_timer *auto_return;
	/* regaining the place after the server lost it (res_lost) */
	struct loop_timer *regain;
	struct places_req *pr;
	json_object *regain_place;
	bool reattach;
	struct list_head node;		/* in agent->res */
};

/* What nmbctl's reserve asks for; imp is taken by res_reserve(). */
struct reserve_args {
	const char *name;
	const char *text;
	struct match_import *imp;
	const char *pin;		/* place_name, or NULL */
	int priority;
	bool no_wait, progress;
};

struct reservation *res_find(struct agent *a, const char *name);
/* nmbctl's list: one object per reservation (agent-api.rst). */
json_object *res_list(struct agent *a);
/* Checks the ports of imp against every reservation except name's. */
int res_check_ports(struct agent *a, const struct match_import *imp,
		    const char *name, char *err, size_t errlen);
/*
 * nmbctl's reserve: the place list, the matching places, then the
 * server's reserve (queued if every place is taken, unless no_wait);
 * answers req.
 */
void res_reserve(struct agent *a, struct rpc_req *req,
		 struct reserve_args *args);
/* nmbctl's return_reservation (force: even while attached). */
void res_return_req(struct reservation *r, bool force, struct rpc_req *req);
/* Returns the reservation at the hub (fire and forget) and frees it. */
void res_return(struct reservation *r, const char *why);
/* Forgets r locally (detached first, waiters answered). */
void res_free(struct reservation *r);
/*
 * A new import description for r (not attached): it must parse, its
 * ports must be free and it must match r's place; answers req.
 */
void res_update_description(struct reservation *r, const char *text,
			    struct rpc_req *req);
/* The hub lost our reservations of place_id / all of them (0). */
void res_lost(struct agent *a, int place_id, const char *why);

#endif /* NMB_AGENT_RESERVATION_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attach.h - a reservation's interfaces on this machine (attach.c): one
 * usb_import per USB interface, one tcp_forward per TCP interface, the
 * nmbctl attach calls waiting for them, and their status objects.
 */
#ifndef NMB_AGENT_ATTACH_H
#define NMB_AGENT_ATTACH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct agent;
struct reservation;
struct rpc_req;

#define AGENT_ATTACH_TIMEOUT_S	20

/* Starts the USB imports and TCP listeners of r. */
int attach_start(struct reservation *r, char *err, size_t errlen);
/* Stops them; waiting attach calls fail. */
void attach_stop(struct reservation *r);
/* nmbctl's attach: starts r's interfaces, answers once all are up. */
void attach_req(struct reservation *r, struct rpc_req *req,
		unsigned int timeout_s);
/* A device changed: answers the attach calls of r that are done. */
void attach_update(struct reservation *r);
/*
 * Every reservation: attach_update(); true while an attach still waits
 * (devices.c's changed callback).
 */
bool attach_update_all(void *agent);
/* Interface status objects of r (agent-api.rst) appended to list. */
void attach_status(struct reservation *r, json_object *list);
/* nmbctl's status: those of every reservation. */
json_object *attach_status_all(struct agent *a);

#endif /* NMB_AGENT_ATTACH_H */

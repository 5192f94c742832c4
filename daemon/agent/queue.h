/* SPDX-License-Identifier: GPL-2.0 */
/*
 * queue.h - a reserve waiting in the server's queue (queue.c).
 */
#ifndef NMB_AGENT_QUEUE_H
#define NMB_AGENT_QUEUE_H

#include <json-c/json.h>

struct reservation;

/* The reserve of r was sent: waiting starts (progress after 1 s). */
void queue_start(struct reservation *r);
/* The server says r waits at position (reserve_queued). */
void queue_position(struct reservation *r, unsigned int position);
/* r got its place, or goes: no more progress. */
void queue_end(struct reservation *r);
/* "position" and "waiting_s" of r for list() (null unless queued). */
void queue_list_fields(struct reservation *r, json_object *o);

#endif /* NMB_AGENT_QUEUE_H */

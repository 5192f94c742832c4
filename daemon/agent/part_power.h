/* SPDX-License-Identifier: GPL-2.0 */
/*
 * part_power.h - the power state of a reserved place's parts (an
 * emulated board's), as the server passes on the exporter's part_state
 * (part_power.c); shown by nmbctl status.
 */
#ifndef NMB_AGENT_PART_POWER_H
#define NMB_AGENT_PART_POWER_H

#include <json-c/json.h>
#include <stddef.h>

struct agent;
struct part_state;
struct reservation;

/* The server's part_state for place_id: kept by the reservations of it. */
void part_power_tell(struct agent *a, unsigned int place_id,
		     const struct part_state *s);
/* r's place changed or went: forget its states. */
void part_power_clear(struct reservation *r);
/*
 * "power", "power_reason" and "power_since" (agent-api.rst) of r's
 * imported part i added to o: null unless its exported part told one.
 */
void part_power_status(const struct reservation *r, size_t i, json_object *o);

#endif /* NMB_AGENT_PART_POWER_H */

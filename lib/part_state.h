/* SPDX-License-Identifier: GPL-2.0 */
/*
 * part_state.h - the state of one part of a place as the notification
 * part_state carries it (Documentation/protocol.rst, "Part states"):
 * the exporter tells the server, the server tells the holder's agent.
 * Today only an emulated board has one: its power and why QEMU last
 * stopped. Checked here once for the server and the agent.
 */
#ifndef NMB_PART_STATE_H
#define NMB_PART_STATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a reason (UTF-8, no control characters). */
#define PART_STATE_REASON_MAX	160
/* A part index the wire may carry (a place has fewer parts). */
#define PART_STATE_PART_MAX	1023
/* Part states kept per place (server) and per reservation (agent). */
#define PART_STATE_KEPT_MAX	16

enum part_power {
	PART_POWER_OFF, PART_POWER_STARTING, PART_POWER_ON,
	PART_POWER_STOPPING, PART_POWER_N
};

struct part_state {
	unsigned int part;		/* index in the place's parts */
	enum part_power power;
	char reason[PART_STATE_REASON_MAX + 1];	/* "" if none */
	int64_t since_ms;		/* wall clock; 0 if not given */
};

/* "off", "starting", "on", "stopping". */
const char *part_power_name(enum part_power p);

/*
 * The params of a part_state notification: {"part", "power", "reason",
 * "since"}, and "place_id" first when place_id is not NULL (the
 * server's to an agent). 0, or -EINVAL with a message in err.
 */
int part_state_parse(json_object *params, unsigned int *place_id,
		     struct part_state *out, char *err, size_t errlen);

/* The params for s (place_id < 0: none); a new object. */
json_object *part_state_json(const struct part_state *s, long long place_id);

/* Same power and reason (since aside). */
bool part_state_same(const struct part_state *a, const struct part_state *b);

/*
 * Keeps s in the list (n entries of at most PART_STATE_KEPT_MAX),
 * replacing the entry of the same part. Returns 1 if it changed, 0 if
 * the same state was there, -ENOSPC when the list is full.
 */
int part_state_keep(struct part_state *list, size_t *n,
		    const struct part_state *s);
/* The entry of part, or NULL. */
const struct part_state *part_state_find(const struct part_state *list,
					 size_t n, unsigned int part);

#endif /* NMB_PART_STATE_H */

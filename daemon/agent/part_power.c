// SPDX-License-Identifier: GPL-2.0
/*
 * part_power.c - what the server tells of a held place's parts with the
 * notification part_state (protocol.rst, "Part states"): the power of
 * an emulated board and why QEMU last stopped. Each reservation keeps
 * the latest state of each part of its place (at most
 * PART_STATE_KEPT_MAX), forgotten when its place changes; the status
 * objects of its interfaces show the state of their exported part.
 */
#include <stdlib.h>

#include "agent.h"
#include "log.h"
#include "part_power.h"
#include "part_state.h"
#include "reservation.h"

static size_t n_parts(const struct reservation *r)
{
	json_object *parts;

	if (!json_object_object_get_ex(r->place, "parts", &parts))
		return 0;
	return json_object_array_length(parts);
}

void part_power_tell(struct agent *a, unsigned int place_id,
		     const struct part_state *s)
{
	struct reservation *r;
	int ret;

	list_for_each_entry(r, &a->res, node) {
		if (r->place_id <= 0 || (unsigned int)r->place_id != place_id)
			continue;
		if (s->part >= n_parts(r)) {
			log_warn("%s: the server sent the state of part %u of place %s, which has %zu part(s); ignored",
				 r->name, s->part, log_esc(r->place_name),
				 n_parts(r));
			continue;
		}
		if (!r->parts_state)
			r->parts_state = calloc(PART_STATE_KEPT_MAX,
						sizeof(*r->parts_state));
		if (!r->parts_state)
			continue;
		ret = part_state_keep(r->parts_state, &r->nparts_state, s);
		if (ret < 0)
			log_warn("%s: states of %d parts kept already; part %u ignored",
				 r->name, PART_STATE_KEPT_MAX, s->part);
		else if (ret > 0)
			nmb_log(s->power == PART_POWER_OFF && s->reason[0] ?
				LOG_WARNING : LOG_NOTICE,
				"%s: place %s, part %u: power %s%s%s", r->name,
				log_esc(r->place_name), s->part,
				part_power_name(s->power),
				s->reason[0] ? ": " : "", log_esc(s->reason));
	}
}

void part_power_clear(struct reservation *r)
{
	free(r->parts_state);
	r->parts_state = NULL;
	r->nparts_state = 0;
}

void part_power_status(const struct reservation *r, size_t i, json_object *o)
{
	const struct part_state *s = NULL;

	if (r->place_id > 0 && r->assign && r->assign[i] >= 0)
		s = part_state_find(r->parts_state, r->nparts_state,
				    (unsigned int)r->assign[i]);
	json_object_object_add(o, "power", s ?
		json_object_new_string(part_power_name(s->power)) : NULL);
	json_object_object_add(o, "power_reason", s && s->reason[0] ?
		json_object_new_string(s->reason) : NULL);
	json_object_object_add(o, "power_since", s && s->since_ms ?
		json_object_new_int64(s->since_ms / 1000) : NULL);
}

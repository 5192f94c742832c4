// SPDX-License-Identifier: GPL-2.0
/*
 * part_state.c - fuzz target: the params of a part_state notification
 * (lib/part_state), as the server gets them from an exporter (no
 * place_id) and the agent from the server (with place_id; first input
 * byte odd). What is accepted keeps every limit, writes back to JSON
 * that parses to the same state, and goes through the kept list.
 */
#include <errno.h>

#include "fuzz.h"
#include "part_state.h"

static void check_accepted(const struct part_state *s, bool with_id,
			   unsigned int place_id)
{
	struct part_state back, list[PART_STATE_KEPT_MAX];
	unsigned int id2 = 0;
	size_t len = strlen(s->reason), n = 0;
	json_object *o;
	char err[160];

	if (s->part > PART_STATE_PART_MAX || s->power >= PART_POWER_N ||
	    len > PART_STATE_REASON_MAX || s->since_ms < 0)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s->reason[i] < 0x20 || s->reason[i] == 0x7f)
			abort();	/* a control character got through */
	o = part_state_json(s, with_id ? (long long)place_id : -1);
	if (part_state_parse(o, with_id ? &id2 : NULL, &back, err,
			     sizeof(err)) ||
	    !part_state_same(s, &back) || back.since_ms != s->since_ms ||
	    id2 != (with_id ? place_id : 0))
		abort();	/* what we write, we read back the same */
	json_object_put(o);
	if (part_state_keep(list, &n, s) != 1 || n != 1 ||
	    part_state_keep(list, &n, &back) != 0 ||
	    part_state_find(list, n, s->part) != &list[0])
		abort();
	log_debug("part %u: power %s: %s", s->part, part_power_name(s->power),
		  log_esc(s->reason));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct part_state s;
	unsigned int place_id = 0;
	json_tokener *tok;
	json_object *params;
	bool with_id;
	char err[160];
	int ret;

	if (!init) {
		fuzz_log_init("fuzz-part-state");
		init = true;
	}
	if (!size)
		return 0;
	with_id = data[0] & 1;
	tok = json_tokener_new_ex(16);
	if (!tok)
		return 0;
	params = json_tokener_parse_ex(tok, (const char *)data + 1,
				       (int)(size - 1));
	json_tokener_free(tok);
	if (!params)
		return 0;
	ret = part_state_parse(params, with_id ? &place_id : NULL, &s, err,
			       sizeof(err));
	if (ret && ret != -EINVAL)
		abort();
	if (ret && !err[0])
		abort();	/* a refusal always says why */
	if (!ret)
		check_accepted(&s, with_id, place_id);
	json_object_put(params);
	return 0;
}

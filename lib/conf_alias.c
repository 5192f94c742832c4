// SPDX-License-Identifier: GPL-2.0
/*
 * conf_alias.c - the table of deprecated key spellings and their lookup
 * (see conf_alias.h). Add a row when a key is renamed.
 */
#include <string.h>

#include "conf_alias.h"
#include "log.h"

static const struct {
	const char *key;	/* canonical, snake_case */
	const char *old;	/* accepted with a warning */
} aliases[] = {
	{ "ca_file", "ca-file" },
	{ "log_level", "log-level" },
};

#define N_ALIASES	(sizeof(aliases) / sizeof(aliases[0]))

/* The old spelling of key, or NULL. */
static const char *alias_old(const char *key)
{
	for (size_t i = 0; i < N_ALIASES; i++)
		if (!strcmp(aliases[i].key, key))
			return aliases[i].old;
	return NULL;
}

struct conf_node *conf_alias_member(struct conf_node *map, const char *key)
{
	const char *old = alias_old(key);
	struct conf_node *m;

	if (!old)
		return NULL;
	conf_foreach(m, map) {
		if (strcmp(m->key, old) != 0)
			continue;
		if (!m->used)
			log_warn("%s:%d: '%s' is deprecated, use '%s'",
				 conf_file(m->conf), m->line, old, key);
		m->used = true;
		return m;
	}
	return NULL;
}

const char *conf_alias_conflict(const struct conf_node *map,
				const struct conf_node *member)
{
	const struct conf_node *sib;

	for (size_t i = 0; i < N_ALIASES; i++) {
		if (strcmp(member->key, aliases[i].old) != 0)
			continue;
		for (sib = map->child; sib; sib = sib->next)
			if (sib->used && !strcmp(sib->key, aliases[i].key))
				return aliases[i].key;
	}
	return NULL;
}

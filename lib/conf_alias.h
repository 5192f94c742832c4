/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conf_alias.h - old spellings of configuration keys. snake_case is the
 * canonical spelling (ca_file, log_level); the spellings of earlier
 * releases (ca-file, log-level) are still accepted, each with a warning
 * "FILE:LINE: 'ca-file' is deprecated, use 'ca_file'". One table for
 * every configuration file, used by lib/conf.c's getters.
 */
#ifndef NMB_CONF_ALIAS_H
#define NMB_CONF_ALIAS_H

#include "conf.h"

/*
 * The member of map spelled the old way for key, or NULL. The first time
 * it is found the warning is logged and the member is marked used.
 */
struct conf_node *conf_alias_member(struct conf_node *map, const char *key);

/*
 * For a member of map that no getter asked for: when it is an old
 * spelling whose new spelling is also set in map, the new spelling
 * (the key is set twice); otherwise NULL.
 */
const char *conf_alias_conflict(const struct conf_node *map,
				const struct conf_node *member);

#endif /* NMB_CONF_ALIAS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * place_name.h - the rule for place names, shared by nmb-server (at
 * register_place) and nmb-exporter (in its configuration): 1 to
 * PLACE_NAME_MAX bytes, each a printable ASCII character other than
 * space ('!' to '~'). Names are shown in tables, logs and file names,
 * so no control character, space or multi-byte character gets in.
 */
#ifndef NMB_PLACE_NAME_H
#define NMB_PLACE_NAME_H

#include <stddef.h>

#define PLACE_NAME_MAX	64

/*
 * 0 if the len bytes at name follow the rule; else -EINVAL with the
 * broken rule in err (never the name itself, which may be huge).
 */
int place_name_check(const char *name, size_t len, char *err, size_t errlen);

#endif /* NMB_PLACE_NAME_H */

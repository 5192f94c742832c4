/* SPDX-License-Identifier: GPL-2.0 */
/*
 * place.h - export descriptions (wire protocol §5, place.c): checked and
 * normalised into a struct srv_place, and its JSON as /api/v1/places
 * lists it.
 */
#ifndef NMB_SERVER_PLACE_H
#define NMB_SERVER_PLACE_H

#include <stddef.h>

#include "scheduler.h"

struct srv_place *srv_place_parse(json_object *desc, char *err,
				  size_t errlen);
void srv_place_free(struct srv_place *p);
json_object *srv_place_json(const struct srv_place *p);

#endif /* NMB_SERVER_PLACE_H */

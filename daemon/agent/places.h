/* SPDX-License-Identifier: GPL-2.0 */
/*
 * places.h - the server's place list, GET <server>/api/v1/places
 * (places.c), and lookups in it.
 */
#ifndef NMB_AGENT_PLACES_H
#define NMB_AGENT_PLACES_H

#include <json-c/json.h>

struct agent;
struct places_req;

/* places: the "places" array (borrowed), or NULL with a message in err */
typedef void (*places_cb)(void *arg, json_object *places, const char *err);

/*
 * Starts the request on the agent's libwebsockets context; cb runs
 * later, never from inside places_fetch(). NULL if it could not start
 * (not connected to the server, out of memory).
 */
struct places_req *places_fetch(struct agent *a, places_cb cb, void *arg);
/* cb will not run. NULL is fine. */
void places_cancel(struct places_req *r);
/* The place's data-plane host: its "host", or the server's for loopback. */
const char *places_host(const struct agent *a, json_object *place);
/* Is place relayed by a server whose relay speaks TLS (relay_tls)? */
bool places_relay_tls(json_object *place);
/* The place named name, or (name NULL) with id id; NULL if none. */
json_object *places_find(json_object *places, const char *name, int id);

#endif /* NMB_AGENT_PLACES_H */

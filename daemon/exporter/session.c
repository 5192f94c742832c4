// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - the hub sessions of the places, kept across restarts in
 * STATE_DIR/sessions.json (state_dir in exporter.yaml; default: systemd's
 * $STATE_DIRECTORY, else /var/lib/nmb-exporter):
 *
 *   {"server": "ws://hub:2092",
 *    "places": {"rpi-3": {"session": "...", "place_id": 7,
 *                         "desc": {...register_place's description...}}}}
 *
 * Read at start; written (0600, atomically: lib/fileio) whenever a
 * session or a place id changes. An exporter restarted after a crash or kill -9 sends
 * the saved session in hello: nmb-server gives it its place back at once,
 * under its id and with its reservation, instead of refusing the name as
 * "already registered" until its grace window ends. Entries of another
 * server URL, of places no longer configured, and of places whose
 * description changed since (an edited configuration, or a virtual
 * board's new loopback ports) are ignored: resuming would keep the old
 * description at the hub, so such a place registers anew.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter.h"
#include "fileio.h"
#include "log.h"
#include "session.h"

#define SESSION_FILE	"sessions.json"
#define SESSION_MAX	128	/* nmb-server's are 32 hex digits */

static void path_of(const struct exporter *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s/" SESSION_FILE, e->cfg.state_dir);
}

static bool same_desc(const struct place *p, json_object *o)
{
	json_object *saved, *now;
	bool same;

	if (!json_object_object_get_ex(o, "desc", &saved))
		return false;
	now = config_place_desc(p);
	same = json_object_equal(saved, now);
	json_object_put(now);
	return same;
}

static void load_place(struct place *p, json_object *o)
{
	json_object *v;
	const char *s;

	if (!json_object_is_type(o, json_type_object))
		return;
	if (!json_object_object_get_ex(o, "session", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	s = json_object_get_string(v);
	if (!*s || strlen(s) > SESSION_MAX)
		return;
	if (!json_object_object_get_ex(o, "place_id", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) <= 0 ||
	    json_object_get_int64(v) > 0x7fffffff)
		return;
	if (!same_desc(p, o)) {
		log_notice("place %s: its description changed since the saved session; registering anew",
			   p->name);
		return;
	}
	free(p->session);
	p->session = strdup(s);
	p->place_id = (int)json_object_get_int64(v);
	log_info("place %s: resuming session of place %d from %s/%s",
		 p->name, p->place_id, p->exp->cfg.state_dir, SESSION_FILE);
}

/* The saved file and its places of this server; NULL if none. */
static json_object *read_saved(const struct exporter *e, json_object **places)
{
	char path[4096];
	json_object *root, *v;

	path_of(e, path, sizeof(path));
	if (access(path, F_OK))
		return NULL;
	root = json_object_from_file(path);
	if (!json_object_is_type(root, json_type_object)) {
		log_warn("%s: not a sessions file (%s); places register anew",
			 path, json_util_get_last_err());
		json_object_put(root);
		return NULL;
	}
	if (json_object_object_get_ex(root, "server", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    !strcmp(json_object_get_string(v), e->cfg.server) &&
	    json_object_object_get_ex(root, "places", places) &&
	    json_object_is_type(*places, json_type_object))
		return root;
	json_object_put(root);
	return NULL;
}

void session_load(struct exporter *e)
{
	json_object *root, *places, *o;

	root = read_saved(e, &places);
	for (size_t i = 0; root && i < e->cfg.n_places; i++) {
		struct place *p = e->cfg.places[i];

		if (json_object_object_get_ex(places, p->name, &o))
			load_place(p, o);
	}
	json_object_put(root);
}

void session_load_place(struct exporter *e, struct place *p)
{
	json_object *root, *places, *o;

	root = read_saved(e, &places);
	if (root && json_object_object_get_ex(places, p->name, &o))
		load_place(p, o);
	json_object_put(root);
}

static json_object *to_json(const struct exporter *e)
{
	json_object *root = json_object_new_object();
	json_object *places = json_object_new_object();

	json_object_object_add(root, "server",
			       json_object_new_string(e->cfg.server));
	json_object_object_add(root, "places", places);
	for (size_t i = 0; i < e->cfg.n_places; i++) {
		const struct place *p = e->cfg.places[i];
		json_object *o;

		if (!p->session || p->place_id <= 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "session",
				       json_object_new_string(p->session));
		json_object_object_add(o, "place_id",
				       json_object_new_int(p->place_id));
		json_object_object_add(o, "desc", config_place_desc(p));
		json_object_object_add(places, p->name, o);
	}
	return root;
}

void session_save(struct exporter *e)
{
	char path[4096];
	json_object *root;
	const char *text;
	int err;

	path_of(e, path, sizeof(path));
	root = to_json(e);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	err = text ? file_write_atomic(path, text, strlen(text), 0600) :
		     -ENOMEM;
	json_object_put(root);
	if (err) {
		if (!e->state_warned)
			log_warn("%s: cannot save the hub sessions: %s; after a crash the places are refused until the server's grace ends. Create the folder writable (systemd: StateDirectory=nmb-exporter) or set state_dir",
				 path, strerror(-err));
		e->state_warned = true;
		return;
	}
	if (e->state_warned)
		log_notice("%s: hub sessions saved again", path);
	e->state_warned = false;
}

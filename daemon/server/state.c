// SPDX-License-Identifier: GPL-2.0
/*
 * state.c - the optional state file (state_file in server.yaml): the
 * sessions that said hello, their places, their reservations and the
 * connection counter. It is written atomically (temporary file, fsync,
 * rename) at most 100 ms after a change and once more on SIGTERM, and
 * its mtime is touched every second, so that its age tells how long the
 * server has been down. At start, a file younger than the grace window
 * is read back: its sessions are detached, its places offline, and each
 * is dropped by the ordinary grace rules unless its peer resumes it with
 * hello(session=TOKEN). See Documentation/protocol.rst, "Server restart".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "log.h"
#include "place.h"
#include "scheduler.h"
#include "server.h"
#include "session.h"
#include "state.h"
#include "timer.h"

#define STATE_VERSION	1
#define SAVE_DELAY_US	100000ull	/* coalesces the writes */
#define BEAT_US		1000000ull	/* mtime = "still running" */
#define ID_AHEAD	1000u		/* connection ids saved ahead */


/* Only what a peer can resume is kept: hello'd sessions with something. */
static bool kept(const struct srv_session *s)
{
	const struct srv_res *r;

	if (!s->token[0])
		return false;
	if (s->place)
		return true;
	LIST_FOREACH(r, &s->res, hlink)
		if (!r->req)
			return true;
	return false;
}

static void add_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *state_json(struct server *srv, unsigned int next_conn,
			       bool with_sessions)
{
	json_object *root = json_object_new_object(), *o, *list;
	struct srv_session *s;
	struct srv_place *p;
	struct srv_res *r;
	int64_t now_ms = srv_wall_ms();
	uint64_t now_us = srv_now_us();

	add_int(root, "version", STATE_VERSION);
	add_int(root, "saved_ms", now_ms);
	add_int(root, "next_connection", next_conn);
	list = json_object_new_array();
	json_object_object_add(root, "sessions", list);
	TAILQ_FOREACH(s, &srv->sessions, link) {
		if (!with_sessions || !kept(s))
			continue;
		o = json_object_new_object();
		add_str(o, "token", s->token);
		add_str(o, "user", s->user);
		add_str(o, "ip", s->ip);
		if (s->conn)
			json_object_object_add(o, "grace_end_ms", NULL);
		else
			add_int(o, "grace_end_ms", s->grace_end_ms);
		json_object_array_add(list, o);
	}
	list = json_object_new_array();
	json_object_object_add(root, "places", list);
	TAILQ_FOREACH(p, &srv->sched.places, link) {
		if (!with_sessions || !kept(p->exporter))
			continue;
		o = json_object_new_object();
		add_int(o, "id", p->id);
		add_str(o, "session", p->exporter->token);
		json_object_object_add(o, "desc", json_object_get(p->desc));
		add_str(o, "host", p->host);
		if (p->has_ema)
			json_object_object_add(o, "uniqueness",
					       json_object_new_double(p->ema));
		json_object_array_add(list, o);
	}
	list = json_object_new_array();
	json_object_object_add(root, "reservations", list);
	TAILQ_FOREACH(r, &srv->sched.res, link) {
		if (!with_sessions || r->req || !kept(r->holder))
			continue;
		o = json_object_new_object();
		add_int(o, "place_id", r->place_id);
		add_str(o, "session", r->holder->token);
		add_int(o, "lease", r->lease_s);
		/* grants survive a restart: the agent keeps using it */
		if (r->secret[0])
			add_str(o, "secret", r->secret);
		if (r->lease_end_us)
			add_int(o, "lease_end_ms", now_ms +
				(r->lease_end_us > now_us ?
				 (int64_t)((r->lease_end_us - now_us) / 1000) :
				 0));
		json_object_array_add(list, o);
	}
	return root;
}

/* ahead: connection ids may still be given out after this write. */
static int save(struct server *srv, bool with_sessions, bool ahead)
{
	unsigned int bound = srv->next_conn_id + (ahead ? ID_AHEAD : 0);
	json_object *o = state_json(srv, bound, with_sessions);
	struct srv_state *st = &srv->state;
	const char *text;
	int ret;

	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	ret = file_write_atomic(srv->cfg->state_file, text, strlen(text),
				0600);
	json_object_put(o);
	if (ret) {
		if (!st->failing)
			log_err("state file %s: cannot write: %s; a restart now would lose sessions and reservations. Check the folder and disk space",
				srv->cfg->state_file, strerror(-ret));
		st->failing = true;
		return ret;
	}
	if (st->failing)
		log_notice("state file %s: written again",
			   srv->cfg->state_file);
	st->failing = false;
	st->id_bound = bound;
	return 0;
}

static void save_cb(struct server *srv, void *data)
{
	(void)data;
	save(srv, true, true);
	/* Still failing: try again, no faster than the heartbeat. */
	if (srv->state.failing)
		srv_timer_set(srv->state.save_timer, BEAT_US);
}

static void beat_cb(struct server *srv, void *data)
{
	struct srv_state *st = &srv->state;

	(void)data;
	if (!st->failing &&
	    utimensat(AT_FDCWD, srv->cfg->state_file, NULL, 0) &&
	    !srv_timer_armed(st->save_timer))
		srv_timer_set(st->save_timer, 0);
	srv_timer_set(st->beat_timer, BEAT_US);
}

void srv_state_changed(struct server *srv)
{
	struct srv_state *st = &srv->state;

	if (st->active && !srv_timer_armed(st->save_timer))
		srv_timer_set(st->save_timer, SAVE_DELAY_US);
}

void srv_state_conn_opened(struct server *srv)
{
	if (srv->state.active &&
	    srv->next_conn_id + ID_AHEAD / 2 > srv->state.id_bound)
		srv_state_changed(srv);
}

bool srv_state_keeps(struct server *srv)
{
	return srv->state.active && srv->cfg->grace_s;
}

void srv_state_stop(struct server *srv, bool keep)
{
	struct srv_state *st = &srv->state;

	if (!st->active)
		return;
	srv_timer_stop(st->save_timer);
	srv_timer_stop(st->beat_timer);
	if (!save(srv, keep, false))
		log_info("state file %s: %s", srv->cfg->state_file, keep ?
			 "saved for the next start" :
			 "cleared (connection counter kept)");
	st->active = false;
}

/* --- reading it back ---------------------------------------------------- */

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool get_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static json_object *get_list(json_object *root, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(root, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static struct srv_session *detached(struct server *srv, const char *token)
{
	struct srv_session *s;

	if (!token)
		return NULL;
	TAILQ_FOREACH(s, &srv->sessions, link)
		if (!s->conn && !strcmp(s->token, token))
			return s;
	return NULL;
}

struct counts {
	unsigned int sessions, places, res, skipped;
};

/*
 * A session that was connected when the server stopped gets the whole
 * window from now (it could not resume while the server was down); one
 * that was already detached gets what it had left at that moment.
 */
static void restore_sessions(struct server *srv, json_object *list,
			     int64_t down_at_ms, struct counts *n)
{
	int64_t grace_ms = (int64_t)srv->cfg->grace_s * 1000, end;
	json_object *o, *v;

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		const char *token, *user, *ip;
		int64_t left = grace_ms;
		struct srv_session *s;

		o = json_object_array_get_idx(list, i);
		token = get_str(o, "token");
		user = get_str(o, "user");
		ip = get_str(o, "ip");
		if (!token || !token[0] || !user || !ip || detached(srv, token)) {
			n->skipped++;
			continue;
		}
		if (json_object_object_get_ex(o, "grace_end_ms", &v) && v) {
			if (!get_int(o, "grace_end_ms", &end)) {
				n->skipped++;
				continue;
			}
			left = end - down_at_ms;
			if (left > grace_ms)
				left = grace_ms;
		}
		if (left <= 0)
			continue;	/* its window had ended */
		s = srv_session_restore(srv, token, user, ip);
		if (!s) {
			n->skipped++;
			continue;
		}
		s->grace_end_ms = srv_wall_ms() + left;
	}
}

static void restore_places(struct server *srv, json_object *list,
			   struct counts *n)
{
	json_object *o, *desc, *v;
	struct srv_session *s;
	struct srv_place *p;
	const char *host;
	char err[256];
	int64_t id;

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		o = json_object_array_get_idx(list, i);
		s = detached(srv, get_str(o, "session"));
		if (!s)
			continue;	/* its session was not kept */
		host = get_str(o, "host");
		if (!get_int(o, "id", &id) || id <= 0 || id >= srv->next_conn_id ||
		    sched_place_find(&srv->sched, (unsigned int)id) ||
		    s->place || !host ||
		    strlen(host) >= sizeof(p->host) ||
		    !json_object_object_get_ex(o, "desc", &desc)) {
			n->skipped++;
			continue;
		}
		p = srv_place_parse(desc, err, sizeof(err));
		if (!p) {
			log_warn("state file %s: place id %lld: %s; not restored",
				 srv->cfg->state_file, (long long)id, log_esc(err));
			n->skipped++;
			continue;
		}
		if (sched_place_by_name(&srv->sched, p->name)) {
			srv_place_free(p);
			n->skipped++;
			continue;
		}
		p->id = (unsigned int)id;
		strcpy(p->host, host);
		p->offline = true;
		if (json_object_object_get_ex(o, "uniqueness", &v) &&
		    (json_object_is_type(v, json_type_double) ||
		     json_object_is_type(v, json_type_int))) {
			p->ema = json_object_get_double(v);
			p->has_ema = true;
		}
		if (sched_register(&srv->sched, s, p)) {
			srv_place_free(p);
			n->skipped++;
			continue;
		}
		log_info("place restored place=%s id=%u host=%s; offline until its exporter resumes its session",
			 p->name, p->id, p->host);
		n->places++;
	}
}

/* Leases stand still while the server is down, as grace windows do. */
static void restore_res(struct server *srv, json_object *list,
			int64_t down_at_ms, struct counts *n)
{
	int64_t id, lease, end;
	struct srv_session *s;
	struct srv_place *p;
	json_object *o;
	uint64_t left_us;

	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		o = json_object_array_get_idx(list, i);
		s = detached(srv, get_str(o, "session"));
		if (!s)
			continue;
		if (!get_int(o, "place_id", &id) || id <= 0 ||
		    id > UINT32_MAX || !get_int(o, "lease", &lease) ||
		    lease < 0 || lease > UINT32_MAX) {
			n->skipped++;
			continue;
		}
		p = sched_place_find(&srv->sched, (unsigned int)id);
		if (p && p->res) {
			n->skipped++;
			continue;
		}
		left_us = lease * 1000000ull;
		if (lease && get_int(o, "lease_end_ms", &end))
			left_us = end > down_at_ms ?
				  (uint64_t)(end - down_at_ms) * 1000 : 0;
		if (!sched_res_restore(&srv->sched, p, (unsigned int)id, s,
				       (unsigned int)lease, left_us,
				       get_str(o, "secret"))) {
			n->skipped++;
			continue;
		}
		log_info("reservation restored place=%s id=%lld user=%s; kept until its agent resumes its session",
			 p ? p->name : "(gone)", (long long)id, s->user);
		n->res++;
	}
}

static void restore(struct server *srv, json_object *root, int64_t down_at_ms,
		    int64_t down_ms)
{
	struct counts n = { 0 };
	struct srv_session *s, *next;
	int64_t now = srv_wall_ms();

	restore_sessions(srv, get_list(root, "sessions"), down_at_ms, &n);
	restore_places(srv, get_list(root, "places"), &n);
	restore_res(srv, get_list(root, "reservations"), down_at_ms, &n);
	for (s = TAILQ_FIRST(&srv->sessions); s; s = next) {
		next = TAILQ_NEXT(s, link);
		if (!s->place && LIST_EMPTY(&s->res)) {
			srv_session_free(srv, s);
			continue;
		}
		n.sessions++;
		srv_session_grace(s, (uint64_t)(s->grace_end_ms > now ?
					s->grace_end_ms - now : 0) * 1000);
	}
	log_notice("state file %s: restored %u session(s), %u place(s), %u reservation(s) after %.1f s down%s; each is dropped unless its peer resumes it within the grace window (%u s)",
		   srv->cfg->state_file, n.sessions, n.places, n.res,
		   (double)down_ms / 1000, n.skipped ?
		   " (some malformed entries skipped)" : "",
		   srv->cfg->grace_s);
	if (n.skipped)
		log_warn("state file %s: %u malformed or conflicting entries not restored",
			 srv->cfg->state_file, n.skipped);
}

static void load(struct server *srv)
{
	const char *path = srv->cfg->state_file;
	int64_t down_at_ms, down_ms, v;
	json_object *root;
	struct stat st;

	if (stat(path, &st)) {
		if (errno == ENOENT)
			log_info("state file %s: none yet; starting empty",
				 path);
		else
			log_err("state file %s: %s; starting empty", path,
				strerror(errno));
		return;
	}
	root = json_object_from_file(path);
	if (!root || !json_object_is_type(root, json_type_object) ||
	    !get_int(root, "version", &v) || v != STATE_VERSION) {
		log_err("state file %s: not an nmb-server state (%s); starting empty, it is overwritten",
			path, root ? "wrong version or shape" :
			json_util_get_last_err());
		json_object_put(root);
		return;
	}
	/* Ids are never given twice, however old the file. */
	if (get_int(root, "next_connection", &v) && v > srv->next_conn_id &&
	    v < UINT32_MAX / 2)
		srv->next_conn_id = (unsigned int)v;
	down_at_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
		     st.st_mtim.tv_nsec / 1000000;
	down_ms = srv_wall_ms() - down_at_ms;
	if (down_ms < 0)
		down_ms = 0;
	if (!srv->cfg->grace_s)
		log_notice("state file %s: grace is 0; no session is restored",
			   path);
	else if (down_ms >= (int64_t)srv->cfg->grace_s * 1000)
		log_notice("state file %s: the server was down %.1f s, longer than the grace window (%u s); no session is restored",
			   path, (double)down_ms / 1000, srv->cfg->grace_s);
	else
		restore(srv, root, down_at_ms, down_ms);
	json_object_put(root);
}

int srv_state_init(struct server *srv)
{
	struct srv_state *st = &srv->state;
	int ret;

	if (!srv->cfg->state_file)
		return 0;
	st->save_timer = srv_timer_new(srv, save_cb, NULL);
	st->beat_timer = srv_timer_new(srv, beat_cb, NULL);
	if (!st->save_timer || !st->beat_timer) {
		log_err("state file %s: out of memory", srv->cfg->state_file);
		return -ENOMEM;
	}
	load(srv);
	ret = save(srv, true, true);
	if (ret) {
		log_err("state file %s: cannot write it (%s); create its folder writable for the server (systemd: StateDirectory=nmb) or remove state_file",
			srv->cfg->state_file, strerror(-ret));
		return ret;
	}
	st->active = true;
	srv_timer_set(st->beat_timer, BEAT_US);
	return 0;
}

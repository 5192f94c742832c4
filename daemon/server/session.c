// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - who a connection is: its session (user, IP, place,
 * reservations), kept for the reconnect grace window after a drop when
 * the peer said hello, and resumed by hello(session=TOKEN). What a
 * session leaving does to places and reservations is the scheduler's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "part_report.h"
#include "scheduler.h"
#include "server.h"
#include "session.h"
#include "timer.h"

void srv_session_free(struct server *srv, struct srv_session *s)
{
	srv_timer_free(&s->grace);
	sched_leave(&srv->sched, s);
	TAILQ_REMOVE(&srv->sessions, s, link);
	free(s);
	sched_changed(&srv->sched, true);
}

static void grace_expired(struct server *srv, void *data)
{
	struct srv_session *s = data;

	log_info("session of user=%s not resumed within %us; dropping it",
		 s->user, srv->cfg->grace_s);
	srv_session_free(srv, s);
}

/* A new session, first in the server's list; NULL if out of memory. */
static struct srv_session *session_new(struct server *srv)
{
	struct srv_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->grace = srv_timer_new(srv, grace_expired, s);
	if (!s->grace) {
		free(s);
		return NULL;
	}
	LIST_INIT(&s->res);
	TAILQ_INSERT_HEAD(&srv->sessions, s, link);
	return s;
}

void srv_session_grace(struct srv_session *s, uint64_t us)
{
	s->grace_end_ms = srv_wall_ms() + (int64_t)(us / 1000);
	srv_timer_set(s->grace, us);
}

struct srv_session *srv_session_restore(struct server *srv,
					const char *token, const char *user,
					const char *ip)
{
	struct srv_session *s;

	if (strlen(token) >= sizeof(s->token) ||
	    strlen(user) >= sizeof(s->user) || strlen(ip) >= sizeof(s->ip))
		return NULL;
	s = session_new(srv);
	if (!s)
		return NULL;
	strcpy(s->token, token);
	strcpy(s->user, user);
	strcpy(s->ip, ip);
	s->notify = true;
	return s;
}

int srv_conn_opened(struct server *srv, struct srv_conn *c)
{
	struct srv_session *s = session_new(srv);

	if (!s)
		return -ENOMEM;
	s->conn = c;
	s->roles = c->roles;
	strcpy(s->ip, c->ip);
	if (c->token)
		snprintf(s->user, sizeof(s->user), "%s", c->token->name);
	else
		snprintf(s->user, sizeof(s->user), "<%u>", c->id);
	c->sess = s;
	return 0;
}

void srv_conn_closed(struct server *srv, struct srv_conn *c)
{
	struct srv_session *s = c->sess;
	bool keep;

	if (!s) {
		rpc_chan_close(c->rpc);
		return;
	}
	keep = s->token[0] && srv->cfg->grace_s && !srv->sched.stopping &&
	       !c->no_grace && (s->place || !LIST_EMPTY(&s->res));
	s->conn = NULL;
	c->sess = NULL;
	if (s->place)
		s->place->seen_ms = srv_wall_ms();
	if (s->place && keep)
		s->place->offline = true;
	else if (s->place)
		sched_place_remove(&srv->sched, s->place);
	/* Cancels waiting reserves and fails calls pending on it. */
	rpc_chan_close(c->rpc);
	if (!keep) {
		srv_session_free(srv, s);
		return;
	}
	log_info("session of user=%s peer=%s detached; kept for %us",
		 s->user, s->ip, srv->cfg->grace_s);
	srv_session_grace(s, srv->cfg->grace_s * 1000000ull);
	sched_changed(&srv->sched, true);
}

static void resync_done(void *data, json_object *result,
			const struct rpc_err *err)
{
	(void)data;
	(void)result;
	if (err)
		log_warn("set_allowed_ips after resume failed: %s",
			 log_esc(err->message));
}

int srv_resume(struct server *srv, struct srv_conn *c, const char *token)
{
	struct srv_session *s, *old = c->sess;
	struct srv_res *r;

	TAILQ_FOREACH(s, &srv->sessions, link)
		if (!s->conn && !strcmp(s->token, token))
			break;
	if (!s)
		return -ENOENT;
	if (c->token && strcmp(c->token->name, s->user) != 0)
		return -EPERM;
	if (old->place || !LIST_EMPTY(&old->res))
		return -EBUSY;
	srv_timer_stop(s->grace);
	s->grace_end_ms = 0;
	s->notify = old->notify;
	srv_timer_free(&old->grace);
	TAILQ_REMOVE(&srv->sessions, old, link);
	free(old);
	c->sess = s;
	s->conn = c;
	strcpy(s->ip, c->ip);
	if (s->place) {
		struct srv_place *p = s->place;

		p->offline = false;
		strcpy(p->host, c->ip);
		if (p->res && !p->res->req)
			sched_allow(&srv->sched, p, p->res->holder->ip,
				    p->res->secret, resync_done, NULL);
		else if (!p->res)
			sched_handoff(&srv->sched, p, NULL);
	}
	LIST_FOREACH(r, &s->res, hlink) {
		if (r->place && !r->place->offline && !r->req)
			sched_allow(&srv->sched, r->place, s->ip, r->secret,
				    resync_done, NULL);
		if (!r->req)
			srv_part_replay(srv, r);
	}
	log_info("session of user=%s resumed peer=%s conn=%u", s->user, s->ip,
		 c->id);
	sched_changed(&srv->sched, true);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - who a connection is: its session (user, IP, place,
 * reservations), kept for the reconnect grace window after a drop when
 * the peer said hello, and resumed by hello(session=TOKEN).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

void srv_session_free(struct srv_session *s)
{
	srv_timer_cancel(&s->grace);
	if (s->place)
		srv_place_remove(s->place);
	while (s->res) {
		if (!s->res->end)
			s->res->end = "connection lost";
		srv_return(NULL, s->res, false);
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		srv.sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
	srv_state_changed();
}

static void grace_expired(lws_sorted_usec_list_t *sul)
{
	struct srv_session *s = lws_container_of(sul, struct srv_session,
						 grace);

	log_info("session of user=%s not resumed within %us; dropping it",
		 s->user, srv.cfg->grace_s);
	srv_session_free(s);
}

/* Starts (or restarts) the window in which s may be resumed. */
void srv_session_grace(struct srv_session *s, uint64_t us)
{
	s->grace_end_ms = srv_wall_ms() + (int64_t)(us / 1000);
	srv_timer(&s->grace, grace_expired, us);
}

/* A detached session read back from the state file (state.c). */
struct srv_session *srv_session_restore(const char *token, const char *user,
					const char *ip)
{
	struct srv_session *s;

	if (strlen(token) >= sizeof(s->token) ||
	    strlen(user) >= sizeof(s->user) || strlen(ip) >= sizeof(s->ip))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	strcpy(s->token, token);
	strcpy(s->user, user);
	strcpy(s->ip, ip);
	s->notify = true;
	s->next = srv.sessions;
	if (srv.sessions)
		srv.sessions->prev = s;
	srv.sessions = s;
	return s;
}

void srv_conn_opened(struct srv_conn *c)
{
	struct srv_session *s = calloc(1, sizeof(*s));

	if (!s) {
		srv_conn_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			       "out of memory");
		return;
	}
	s->conn = c;
	s->roles = c->roles;
	strcpy(s->ip, c->ip);
	if (c->token)
		snprintf(s->user, sizeof(s->user), "%s", c->token->name);
	else
		snprintf(s->user, sizeof(s->user), "<%u>", c->id);
	s->next = srv.sessions;
	if (srv.sessions)
		srv.sessions->prev = s;
	srv.sessions = s;
	c->sess = s;
}

void srv_conn_closed(struct srv_conn *c)
{
	struct srv_session *s = c->sess;
	bool keep;

	if (!s) {
		rpc_chan_close(c->rpc);
		return;
	}
	keep = s->token[0] && srv.cfg->grace_s && !srv.stopping &&
	       (s->place || s->res);
	s->conn = NULL;
	c->sess = NULL;
	if (s->place)
		s->place->seen_ms = srv_wall_ms();
	if (s->place && keep)
		s->place->offline = true;
	else if (s->place)
		srv_place_remove(s->place);
	/* Cancels waiting reserves and fails calls pending on it. */
	rpc_chan_close(c->rpc);
	if (!keep) {
		srv_session_free(s);
		return;
	}
	log_info("session of user=%s peer=%s detached; kept for %us",
		 s->user, s->ip, srv.cfg->grace_s);
	srv_session_grace(s, srv.cfg->grace_s * 1000000ull);
	srv_state_changed();
}

static void resync_done(void *data, json_object *result,
			const struct rpc_err *err)
{
	(void)data;
	(void)result;
	if (err)
		log_warn("set_allowed_ips after resume failed: %s",
			 err->message);
}

/* hello with a session token: c takes over a detached session. */
int srv_resume(struct srv_conn *c, const char *token)
{
	struct srv_session *s, *old = c->sess;

	for (s = srv.sessions; s; s = s->next)
		if (!s->conn && !strcmp(s->token, token))
			break;
	if (!s)
		return -ENOENT;
	if (c->token && strcmp(c->token->name, s->user) != 0)
		return -EPERM;
	if (old->place || old->res)
		return -EBUSY;
	srv_timer_cancel(&s->grace);
	s->grace_end_ms = 0;
	if (old->prev)
		old->prev->next = old->next;
	else
		srv.sessions = old->next;
	if (old->next)
		old->next->prev = old->prev;
	s->notify = old->notify;
	free(old);
	c->sess = s;
	s->conn = c;
	strcpy(s->ip, c->ip);
	if (s->place) {
		struct srv_place *p = s->place;

		p->offline = false;
		strcpy(p->host, c->ip);
		if (p->res && !p->res->req)
			srv_allow(p, p->res->holder->ip, resync_done, NULL);
		else if (!p->res)
			srv_handoff(p, NULL);
	}
	for (struct srv_res *r = s->res; r; r = r->hnext)
		if (r->place && !r->place->offline && !r->req)
			srv_allow(r->place, s->ip, resync_done, NULL);
	log_info("session of user=%s resumed peer=%s conn=%u", s->user, s->ip,
		 c->id);
	srv_state_changed();
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state.h - the optional state file (state.c), so that a server restart
 * within the grace window loses no session, place or reservation.
 */
#ifndef NMB_SERVER_STATE_H
#define NMB_SERVER_STATE_H

#include <stdbool.h>

struct server;
struct srv_timer;

struct srv_state {
	struct srv_timer *save_timer, *beat_timer;
	bool active;		/* a file is configured and being written */
	bool failing;		/* the last write failed (logged once) */
	unsigned int id_bound;	/* next_connection of the last write */
};

int srv_state_init(struct server *srv);		/* restores */
void srv_state_changed(struct server *srv);	/* saves within 100 ms */
/* A connection id was given out: keeps the saved counter ahead. */
void srv_state_conn_opened(struct server *srv);
bool srv_state_keeps(struct server *srv);	/* SIGTERM saves */
void srv_state_stop(struct server *srv, bool keep);	/* last write */

#endif /* NMB_SERVER_STATE_H */

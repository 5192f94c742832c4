/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session.h - who a connection is (session.c): its session, kept for the
 * reconnect grace window, and resumed by hello(session=TOKEN).
 */
#ifndef NMB_SERVER_SESSION_H
#define NMB_SERVER_SESSION_H

#include <stdint.h>

struct server;
struct srv_conn;
struct srv_session;

/* 0, or -ENOMEM: then the caller closes c. */
int srv_conn_opened(struct server *srv, struct srv_conn *c);
void srv_conn_closed(struct server *srv, struct srv_conn *c);
/* 0, -ENOENT (no such detached session), -EPERM or -EBUSY. */
int srv_resume(struct server *srv, struct srv_conn *c, const char *token);
void srv_session_free(struct server *srv, struct srv_session *s);
/* A detached session read back from the state file. */
struct srv_session *srv_session_restore(struct server *srv,
					const char *token, const char *user,
					const char *ip);
/* Starts (or restarts) the window in which s may be resumed. */
void srv_session_grace(struct srv_session *s, uint64_t us);

#endif /* NMB_SERVER_SESSION_H */

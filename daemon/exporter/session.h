/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session.h - the places' hub sessions, kept in state_dir across
 * restarts (session.c).
 */
#ifndef NMB_EXPORTER_SESSION_H
#define NMB_EXPORTER_SESSION_H

struct exporter;
struct place;

/* Gives each place of e the saved session it may resume. */
void session_load(struct exporter *e);
/* The same for one place (a place a reload added). */
void session_load_place(struct exporter *e, struct place *p);
void session_save(struct exporter *e);

#endif /* NMB_EXPORTER_SESSION_H */

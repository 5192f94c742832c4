/* SPDX-License-Identifier: GPL-2.0 */
/*
 * server_link.h - a place's link to the server (nmb-server or a
 * not-my-board hub): hello, register_place, set_allowed_ips
 * (server_link.c).
 */
#ifndef NMB_EXPORTER_SERVER_LINK_H
#define NMB_EXPORTER_SERVER_LINK_H

struct place;

struct exporter;

/* The get_id_token source of every place (lib/token_source). */
int server_link_tokens(struct exporter *e);
/* Connects p to the server; it registers on every (re)connection. */
int server_link_start(struct place *p);
/* Closes the connection: the server ends p as when the exporter leaves. */
void server_link_stop(struct place *p);
/* Tells the hub the state of p's emulated board part (part_state). */
void server_link_part_state(struct place *p, unsigned int part);

#endif /* NMB_EXPORTER_SERVER_LINK_H */

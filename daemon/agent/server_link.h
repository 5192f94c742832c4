/* SPDX-License-Identifier: GPL-2.0 */
/*
 * server_link.h - the agent's connection to nmb-server (server_link.c):
 * hello, the grace token, the server's notifications. The channel is
 * agent->chan, NULL while disconnected. With a hub that does not notify
 * (not-my-board), vanish.c watches its place list instead.
 */
#ifndef NMB_AGENT_SERVER_LINK_H
#define NMB_AGENT_SERVER_LINK_H

struct agent;

/* The get_id_token source (lib/token_source), before server_link_start(). */
int agent_tokens_start(struct agent *a);
int server_link_start(struct agent *a);
void server_link_stop(struct agent *a);

/*
 * vanish.c: while the agent holds places at a hub without the "notify"
 * feature, a place missing from its list is lost (res_lost "gone").
 */
int vanish_start(struct agent *a);
void vanish_stop(struct agent *a);

#endif /* NMB_AGENT_SERVER_LINK_H */

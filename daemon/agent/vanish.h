/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vanish.h - places that vanish from a hub without notifications
 * (vanish.c): while the agent holds places at a hub without "notify",
 * it checks the hub's place list.
 */
#ifndef NMB_AGENT_VANISH_H
#define NMB_AGENT_VANISH_H

struct agent;

int vanish_start(struct agent *a);
void vanish_stop(struct agent *a);

#endif /* NMB_AGENT_VANISH_H */

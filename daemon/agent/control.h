/* SPDX-License-Identifier: GPL-2.0 */
/*
 * control.h - the control socket for nmbctl (control.c).
 */
#ifndef NMB_AGENT_CONTROL_H
#define NMB_AGENT_CONTROL_H

struct agent;

int control_start(struct agent *a);
void control_stop(struct agent *a);

#endif /* NMB_AGENT_CONTROL_H */

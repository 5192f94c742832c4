/* SPDX-License-Identifier: GPL-2.0 */
/*
 * status.h - the agent's one-line status for systemd (status.c).
 */
#ifndef NMB_AGENT_STATUS_H
#define NMB_AGENT_STATUS_H

#include <stddef.h>

struct agent;
struct loop_timer;

/* "connected, 2 reservations: 1 attached, 1 waiting" */
void agent_status(const struct agent *a, char *buf, size_t len);
/* READY=1 and the status/watchdog timer (NULL when not under systemd). */
struct loop_timer *agent_notify_start(struct agent *a);

#endif /* NMB_AGENT_STATUS_H */

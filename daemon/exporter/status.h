/* SPDX-License-Identifier: GPL-2.0 */
/*
 * status.h - the exporter's one-line status for systemd (status.c).
 */
#ifndef NMB_EXPORTER_STATUS_H
#define NMB_EXPORTER_STATUS_H

#include <stddef.h>

struct exporter;
struct loop_timer;

/* "2 places: 2 registered, 1 reserved" for systemd */
void exporter_status(const struct exporter *e, char *buf, size_t len);
/* READY=1 and the status/watchdog timer (NULL when not under systemd). */
struct loop_timer *exporter_notify_start(struct exporter *e);

#endif /* NMB_EXPORTER_STATUS_H */

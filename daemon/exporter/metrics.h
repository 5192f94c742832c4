/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - nmb-exporter's optional /metrics listener (metrics_listen)
 * and the counters the edges feed it (metrics.c).
 */
#ifndef NMB_EXPORTER_METRICS_H
#define NMB_EXPORTER_METRICS_H

struct exporter;
struct place;
struct usbdev;

int exp_metrics_start(struct exporter *e);
void exp_metrics_stop(struct exporter *e);
void exp_metrics_refused(struct place *p, int status, const char *body);
void exp_metrics_exported(struct usbdev *d, const char *peer);
void exp_metrics_allowed(struct place *p);

#endif /* NMB_EXPORTER_METRICS_H */

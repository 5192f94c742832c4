/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - the agent's counters and its optional /metrics listener
 * (metrics.c).
 */
#ifndef NMB_AGENT_METRICS_H
#define NMB_AGENT_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct agent;

/* The counters; the listener when cfg.metrics_listen is set. */
int agent_metrics_start(struct agent *a);
/* The listener again after a reload: stopped, started on cfg's address. */
int agent_metrics_listen(struct agent *a);
void agent_metrics_stop(struct agent *a);
/* reattach_ms: from the exporter's answer to the attach; 0 for a first */
void agent_metrics_attached(struct agent *a, bool reattach,
			    uint64_t reattach_ms);
void agent_metrics_tunnel_ended(struct agent *a, uint64_t to_local,
				uint64_t to_remote);

#endif /* NMB_AGENT_METRICS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - the counters behind /metrics (metrics.c), kept in the
 * server's context.
 */
#ifndef NMB_SERVER_METRICS_H
#define NMB_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "prom.h"
#include "scheduler.h"

struct server;

#define SRV_WAIT_BUCKETS	13
/* Place names with series of their own; the rest share "_other". */
#define SRV_METRICS_PLACES	1000

struct srv_place_stats {
	char *name;
	uint64_t grants;
	double reserved_s;		/* reservations that ended */
	double wait_sum;		/* reserve to grant, granted ones */
};

struct srv_metrics {
	uint64_t outcomes[SRV_OUTCOMES];
	uint64_t wait_counts[SRV_WAIT_BUCKETS + 1];
	struct prom_hist reserve_wait;
	struct srv_place_stats places[SRV_METRICS_PLACES + 1];
	unsigned int nplaces;
	uint64_t id_tokens_accepted;	/* auth.c */
	uint64_t id_tokens_refused;
};

void srv_metrics_init(struct srv_metrics *m);
void srv_metrics_free(struct srv_metrics *m);
struct srv_place_stats *srv_metrics_place(struct srv_metrics *m,
					  const char *name);
/* A reserve ended; wait_s only for SRV_GRANTED, then st may be set. */
void srv_metrics_outcome(struct srv_metrics *m, enum srv_outcome o,
			 struct srv_place_stats *st, double wait_s);
void srv_metrics_released(struct srv_place_stats *st, double held_s);
char *srv_metrics_render(struct server *srv, size_t *len);

#endif /* NMB_SERVER_METRICS_H */

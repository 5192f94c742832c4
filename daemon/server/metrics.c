// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - /metrics in the Prometheus text format: the three gauges of
 * not-my-board under nmb_ names, connections by role, the reserve wait
 * histogram and reservations by outcome.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static const double buckets[] = {
	0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static const char *const outcome_names[SRV_OUTCOMES] = {
	[SRV_GRANTED] = "granted",
	[SRV_CANCELLED] = "cancelled",
	[SRV_NO_CANDIDATES] = "no_candidates",
	[SRV_PLACES_GONE] = "places_gone",
	[SRV_EXPORTER_ERROR] = "exporter_error",
	[SRV_SHUTDOWN] = "shutdown",
};

static uint64_t outcomes[SRV_OUTCOMES];
static uint64_t wait_counts[NBUCKETS + 1];
static double wait_sum;

void srv_metrics_outcome(enum srv_outcome o, uint64_t t0_us)
{
	double s;
	size_t i;

	outcomes[o]++;
	if (o != SRV_GRANTED)
		return;
	s = (double)(srv_now_us() - t0_us) / 1e6;
	wait_sum += s;
	for (i = 0; i < NBUCKETS && s > buckets[i]; i++)
		;
	wait_counts[i]++;
}

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	b->len += (size_t)n;
}

char *srv_metrics_render(size_t *len)
{
	struct buf b = { .cap = 4096 };
	unsigned int exporters = 0, agents = 0;
	uint64_t cum = 0;

	b.p = malloc(b.cap);
	if (!b.p)
		return NULL;
	for (struct srv_conn *c = srv.conns; c; c = c->next) {
		if (c->sess && c->sess->place)
			exporters++;
		else
			agents++;
	}
	put(&b, "# HELP nmb_places_registered Places registered.\n"
		"# TYPE nmb_places_registered gauge\n"
		"nmb_places_registered %u.0\n", srv.nplaces);
	put(&b, "# HELP nmb_places_reserved Places not free.\n"
		"# TYPE nmb_places_reserved gauge\n"
		"nmb_places_reserved %u.0\n", srv.nreserved);
	put(&b, "# HELP nmb_reservation_queue_length Waiting reserve calls.\n"
		"# TYPE nmb_reservation_queue_length gauge\n"
		"nmb_reservation_queue_length %u.0\n", srv.nqueue);
	put(&b, "# HELP nmb_connections WebSocket connections by role.\n"
		"# TYPE nmb_connections gauge\n"
		"nmb_connections{role=\"exporter\"} %u.0\n"
		"nmb_connections{role=\"agent\"} %u.0\n", exporters, agents);
	put(&b, "# HELP nmb_reserve_wait_seconds Time from reserve to grant.\n"
		"# TYPE nmb_reserve_wait_seconds histogram\n");
	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += wait_counts[i];
		put(&b, "nmb_reserve_wait_seconds_bucket{le=\"%g\"} %llu\n",
		    buckets[i], (unsigned long long)cum);
	}
	cum += wait_counts[NBUCKETS];
	put(&b, "nmb_reserve_wait_seconds_bucket{le=\"+Inf\"} %llu\n"
		"nmb_reserve_wait_seconds_sum %.6f\n"
		"nmb_reserve_wait_seconds_count %llu\n",
	    (unsigned long long)cum, wait_sum, (unsigned long long)cum);
	put(&b, "# HELP nmb_reservations_total Finished reserve calls by outcome.\n"
		"# TYPE nmb_reservations_total counter\n");
	for (int i = 0; i < SRV_OUTCOMES; i++)
		put(&b, "nmb_reservations_total{outcome=\"%s\"} %llu\n",
		    outcome_names[i], (unsigned long long)outcomes[i]);
	*len = b.len;
	return b.p;
}

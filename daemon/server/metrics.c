// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - /metrics in the Prometheus text format: the three gauges of
 * not-my-board under nmb_ names, connections by role, the reserve wait
 * histogram, reservations by outcome, per-place series (label place,
 * bounded) and nmb_build_info. Documented in Documentation/metrics.rst.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "idp.h"
#include "metrics.h"
#include "relay_srv.h"
#include "prom.h"
#include "server.h"

static const double buckets[] = {
	0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))
_Static_assert(NBUCKETS == SRV_WAIT_BUCKETS, "SRV_WAIT_BUCKETS");

static const char *const outcome_names[SRV_OUTCOMES] = {
	[SRV_GRANTED] = "granted",
	[SRV_CANCELLED] = "cancelled",
	[SRV_NO_CANDIDATES] = "no_candidates",
	[SRV_PLACES_GONE] = "places_gone",
	[SRV_EXPORTER_ERROR] = "exporter_error",
	[SRV_SHUTDOWN] = "shutdown",
};

void srv_metrics_init(struct srv_metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->reserve_wait.bounds = buckets;
	m->reserve_wait.n = NBUCKETS;
	m->reserve_wait.counts = m->wait_counts;
}

void srv_metrics_free(struct srv_metrics *m)
{
	for (unsigned int i = 0; i < m->nplaces; i++) {
		free(m->places[i].name);
		m->places[i].name = NULL;
	}
	m->nplaces = 0;
}

void srv_metrics_outcome(struct srv_metrics *m, enum srv_outcome o,
			 struct srv_place_stats *st, double wait_s)
{
	m->outcomes[o]++;
	if (o != SRV_GRANTED)
		return;
	prom_hist_observe(&m->reserve_wait, wait_s);
	if (st) {
		st->grants++;
		st->wait_sum += wait_s;
	}
}

/*
 * Per-place series, by place name: names survive an exporter's restart.
 * At most PLACES_MAX names get their own label value; the rest share
 * place="_other", so a peer registering names cannot grow /metrics
 * without bound.
 */
#define PLACES_MAX	SRV_METRICS_PLACES
#define OTHER		"_other"

struct srv_place_stats *srv_metrics_place(struct srv_metrics *m,
					  const char *name)
{
	struct srv_place_stats *st;

	for (unsigned int i = 0; i < m->nplaces; i++)
		if (!strcmp(m->places[i].name, name))
			return &m->places[i];
	st = &m->places[PLACES_MAX];
	if (!st->name)
		st->name = (char *)OTHER;	/* never freed */
	if (m->nplaces == PLACES_MAX)
		return st;
	st = &m->places[m->nplaces];
	st->name = strdup(name);
	if (!st->name)
		return &m->places[PLACES_MAX];
	m->nplaces++;
	return st;
}

void srv_metrics_released(struct srv_place_stats *st, double held_s)
{
	if (st)
		st->reserved_s += held_s;
}

/* The values of a place's counters. */
static double reserved_s(const struct srv_place_stats *st)
{
	return st->reserved_s;
}

static double grants(const struct srv_place_stats *st)
{
	return (double)st->grants;
}

/* One place's sample of NAME: the value printed with FMT. */
static void put_sample(struct prom_buf *b, const char *name,
		       const char *place, const char *fmt, double v)
{
	prom_put(b, "%s{place=\"", name);
	prom_put_label(b, place);
	prom_put(b, "\"} ");
	prom_put(b, fmt, v);
	prom_put(b, "\n");
}

/* A counter by place name: V(stats), plus extra[i] if given. */
static void put_counter(struct prom_buf *b, const struct srv_metrics *m,
			const char *name, const char *help, const char *fmt,
			const double *extra,
			double (*v)(const struct srv_place_stats *))
{
	prom_put(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (unsigned int i = 0; i <= PLACES_MAX; i++)
		if (m->places[i].name)
			put_sample(b, name, m->places[i].name, fmt,
				   v(&m->places[i]) + (extra ? extra[i] : 0));
}

static void put_place_series(struct server *srv, struct prom_buf *b)
{
	const struct srv_metrics *m = &srv->metrics;
	const struct srv_place_stats *place_stats = m->places;
	int64_t now_ms = srv_wall_ms();
	struct srv_place *p;
	double *now_s = calloc(PLACES_MAX + 1, sizeof(*now_s));

	if (!now_s)
		abort();
	/* The running reservations count into reserved seconds too. */
	TAILQ_FOREACH(p, &srv->sched.places, link)
		if (p->stats && p->res && p->res->since_ms)
			now_s[p->stats - place_stats] +=
				(double)(now_ms - p->res->since_ms) / 1000.0;
	prom_put(b, "# HELP nmb_place_reserved Whether the place is reserved (1) or free (0).\n"
		 "# TYPE nmb_place_reserved gauge\n");
	TAILQ_FOREACH(p, &srv->sched.places, link) {
		prom_put(b, "nmb_place_reserved{place=\"");
		prom_put_label(b, p->stats ? p->stats->name : "_other");
		prom_put(b, "\"} %d\n", p->res ? 1 : 0);
	}
	put_counter(b, m, "nmb_place_reserved_seconds_total",
		    "Time the place was reserved.", "%.3f", now_s, reserved_s);
	put_counter(b, m, "nmb_place_grants_total", "Reservations granted.",
		    "%.0f", NULL, grants);
	prom_put(b, "# HELP nmb_place_queue_wait_seconds Time from reserve to grant of the place.\n"
		 "# TYPE nmb_place_queue_wait_seconds summary\n");
	for (unsigned int i = 0; i <= PLACES_MAX; i++) {
		if (!place_stats[i].name)
			continue;
		put_sample(b, "nmb_place_queue_wait_seconds_sum",
			   place_stats[i].name, "%.6f", place_stats[i].wait_sum);
		put_sample(b, "nmb_place_queue_wait_seconds_count",
			   place_stats[i].name, "%.0f",
			   (double)place_stats[i].grants);
	}
	free(now_s);
}

/* With auth: ID tokens checked, and whether each provider answers. */
static void put_auth_series(struct server *srv, struct prom_buf *b)
{
	const struct srv_metrics *m = &srv->metrics;
	const char *iss;
	bool up;

	prom_put(b, "# HELP nmb_id_tokens_total ID tokens asked for with get_id_token, by result.\n"
		 "# TYPE nmb_id_tokens_total counter\n"
		 "nmb_id_tokens_total{result=\"accepted\"} %llu\n"
		 "nmb_id_tokens_total{result=\"refused\"} %llu\n",
		 (unsigned long long)m->id_tokens_accepted,
		 (unsigned long long)m->id_tokens_refused);
	prom_put(b, "# HELP nmb_identity_provider_up Whether the trusted issuer's keys could be fetched (1) or not (0).\n"
		 "# TYPE nmb_identity_provider_up gauge\n");
	for (size_t i = 0; (iss = srv_idp_status(srv, i, &up)); i++) {
		prom_put(b, "nmb_identity_provider_up{issuer=\"");
		prom_put_label(b, iss);
		prom_put(b, "\"} %d\n", up ? 1 : 0);
	}
}

char *srv_metrics_render(struct server *srv, size_t *len)
{
	struct srv_metrics *m = &srv->metrics;
	struct prom_buf b = { 0 };
	unsigned int exporters = 0, agents = 0, viewers = 0;
	struct srv_conn *c;

	LIST_FOREACH(c, &srv->conns, link) {
		if (c->sess && c->sess->place)
			exporters++;
		else if (c->farm_sub)
			viewers++;
		else
			agents++;
	}
	prom_build_info(&b, "nmb-server");
	prom_put(&b, "# HELP nmb_places_registered Places registered.\n"
		"# TYPE nmb_places_registered gauge\n"
		"nmb_places_registered %u.0\n", srv->sched.nplaces);
	prom_put(&b, "# HELP nmb_places_reserved Places not free.\n"
		"# TYPE nmb_places_reserved gauge\n"
		"nmb_places_reserved %u.0\n", srv->sched.nreserved);
	prom_put(&b, "# HELP nmb_reservation_queue_length Waiting reserve calls.\n"
		"# TYPE nmb_reservation_queue_length gauge\n"
		"nmb_reservation_queue_length %u.0\n", srv->sched.nqueue);
	prom_put(&b, "# HELP nmb_connections WebSocket connections by role.\n"
		"# TYPE nmb_connections gauge\n"
		"nmb_connections{role=\"exporter\"} %u.0\n"
		"nmb_connections{role=\"agent\"} %u.0\n"
		"nmb_connections{role=\"viewer\"} %u.0\n", exporters, agents,
		viewers);
	prom_put_hist(&b, "nmb_reserve_wait_seconds",
		      "Time from reserve to grant.", &m->reserve_wait);
	prom_put(&b, "# HELP nmb_reservations_total Finished reserve calls by outcome.\n"
		"# TYPE nmb_reservations_total counter\n");
	for (int i = 0; i < SRV_OUTCOMES; i++)
		prom_put(&b, "nmb_reservations_total{outcome=\"%s\"} %llu\n",
		    outcome_names[i], (unsigned long long)m->outcomes[i]);
	srv_relay_metrics(srv, &b);
	put_place_series(srv, &b);
	if (srv->cfg->auth)
		put_auth_series(srv, &b);
	*len = b.len;
	return b.p;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - nmb-agent's optional /metrics (metrics_listen, off by
 * default): USB attaches (first and re-attach), the re-attach time
 * histogram, bytes through the forwarded TCP ports, nmb_build_info. No
 * label comes from a peer or a user. USB/IP traffic is moved by the
 * kernel (vhci-hcd) and is not counted here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "prom.h"
#include "tcp_forward.h"

static const double buckets[] = {
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct agent_metrics {
	uint64_t attaches[2];		/* first, re-attach */
	uint64_t reattach_counts[NBUCKETS + 1];
	struct prom_hist reattach;
	uint64_t tunnel_bytes[2];	/* ended: to local, to remote */
	struct metrics_http *http;	/* the listener, or NULL */
};

void agent_metrics_attached(struct agent *a, bool is_reattach,
			    uint64_t reattach_ms)
{
	struct agent_metrics *m = a->metrics;

	if (!m)
		return;
	m->attaches[is_reattach]++;
	if (is_reattach)
		prom_hist_observe(&m->reattach, (double)reattach_ms / 1000.0);
}

void agent_metrics_tunnel_ended(struct agent *a, uint64_t to_local,
				uint64_t to_remote)
{
	struct agent_metrics *m = a->metrics;

	if (!m)
		return;
	m->tunnel_bytes[0] += to_local;
	m->tunnel_bytes[1] += to_remote;
}

static char *render(void *arg, size_t *len)
{
	struct agent *a = arg;
	struct agent_metrics *m = a->metrics;
	struct prom_buf b = { 0 };
	uint64_t live[2], to_local, to_remote;

	tcp_forward_live_bytes(a, &live[0], &live[1]);
	to_local = m->tunnel_bytes[0] + live[0];
	to_remote = m->tunnel_bytes[1] + live[1];
	prom_build_info(&b, "nmb-agent");
	prom_put(&b, "# HELP nmb_agent_attaches_total USB devices attached to a local vhci port; kind=reattach when the device came back (e.g. a board reset).\n"
		 "# TYPE nmb_agent_attaches_total counter\n"
		 "nmb_agent_attaches_total{kind=\"first\"} %llu\n"
		 "nmb_agent_attaches_total{kind=\"reattach\"} %llu\n",
		 (unsigned long long)m->attaches[0],
		 (unsigned long long)m->attaches[1]);
	prom_put_hist(&b, "nmb_agent_reattach_seconds",
		      "From the exporter's answer for a device that came back to its attach on the same vhci port.",
		      &m->reattach);
	prom_put(&b, "# HELP nmb_agent_tunnel_bytes_total Bytes through the forwarded TCP ports, by direction.\n"
		 "# TYPE nmb_agent_tunnel_bytes_total counter\n"
		 "nmb_agent_tunnel_bytes_total{direction=\"to_local\"} %llu\n"
		 "nmb_agent_tunnel_bytes_total{direction=\"to_remote\"} %llu\n",
		 (unsigned long long)to_local,
		 (unsigned long long)to_remote);
	*len = b.len;
	return b.p;
}

int agent_metrics_listen(struct agent *a)
{
	struct agent_metrics *m = a->metrics;
	int err;

	metrics_http_stop(m->http);
	m->http = NULL;
	if (!a->cfg.metrics_listen)
		return 0;
	err = metrics_http_start(a->loop, a->cfg.metrics_listen, render, a,
				 &m->http);
	if (err) {
		log_err("metrics_listen %s: cannot listen: %s; is the port in use?",
			a->cfg.metrics_listen, strerror(-err));
		return err;
	}
	log_info("metrics on http://%s/metrics", a->cfg.metrics_listen);
	return 0;
}

int agent_metrics_start(struct agent *a)
{
	struct agent_metrics *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	m->reattach.bounds = buckets;
	m->reattach.n = NBUCKETS;
	m->reattach.counts = m->reattach_counts;
	a->metrics = m;
	err = agent_metrics_listen(a);
	if (err)
		agent_metrics_stop(a);
	return err;
}

void agent_metrics_stop(struct agent *a)
{
	if (!a->metrics)
		return;
	metrics_http_stop(a->metrics->http);
	free(a->metrics);
	a->metrics = NULL;
}

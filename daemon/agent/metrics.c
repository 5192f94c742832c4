// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - nmb-agent's optional /metrics (metrics_listen, off by
 * default): USB attaches (first and re-attach), the re-attach time
 * histogram, bytes through the forwarded TCP ports, nmb_build_info. No
 * label comes from a peer or a user. USB/IP traffic is moved by the
 * kernel (vhci-hcd) and is not counted here.
 */
#include <errno.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "metrics_http.h"
#include "prom.h"

static const double buckets[] = {
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static uint64_t attaches[2];		/* first, re-attach */
static uint64_t reattach_counts[NBUCKETS + 1];
static struct prom_hist reattach = {
	.bounds = buckets, .n = NBUCKETS, .counts = reattach_counts,
};
static uint64_t tunnel_bytes[2];	/* ended: to local, to remote */

void agent_metrics_attached(bool is_reattach, uint64_t reattach_ms)
{
	attaches[is_reattach]++;
	if (is_reattach)
		prom_hist_observe(&reattach, (double)reattach_ms / 1000.0);
}

void agent_metrics_tunnel_ended(uint64_t to_local, uint64_t to_remote)
{
	tunnel_bytes[0] += to_local;
	tunnel_bytes[1] += to_remote;
}

static char *render(void *arg, size_t *len)
{
	struct prom_buf b = { 0 };
	uint64_t live[2], to_local, to_remote;

	(void)arg;
	tcp_forward_live_bytes(&live[0], &live[1]);
	to_local = tunnel_bytes[0] + live[0];
	to_remote = tunnel_bytes[1] + live[1];
	prom_build_info(&b, "nmb-agent");
	prom_put(&b, "# HELP nmb_agent_attaches_total USB devices attached to a local vhci port; kind=reattach when the device came back (e.g. a board reset).\n"
		 "# TYPE nmb_agent_attaches_total counter\n"
		 "nmb_agent_attaches_total{kind=\"first\"} %llu\n"
		 "nmb_agent_attaches_total{kind=\"reattach\"} %llu\n",
		 (unsigned long long)attaches[0],
		 (unsigned long long)attaches[1]);
	prom_put_hist(&b, "nmb_agent_reattach_seconds",
		      "From the exporter's answer for a device that came back to its attach on the same vhci port.",
		      &reattach);
	prom_put(&b, "# HELP nmb_agent_tunnel_bytes_total Bytes through the forwarded TCP ports, by direction.\n"
		 "# TYPE nmb_agent_tunnel_bytes_total counter\n"
		 "nmb_agent_tunnel_bytes_total{direction=\"to_local\"} %llu\n"
		 "nmb_agent_tunnel_bytes_total{direction=\"to_remote\"} %llu\n",
		 (unsigned long long)to_local,
		 (unsigned long long)to_remote);
	*len = b.len;
	return b.p;
}

int agent_metrics_start(void)
{
	int err;

	if (!agent.cfg.metrics_listen)
		return 0;
	err = metrics_http_start(agent.loop, agent.cfg.metrics_listen, render,
				 NULL, &agent.metrics);
	if (err) {
		log_err("metrics_listen %s: cannot listen: %s; is the port in use?",
			agent.cfg.metrics_listen, strerror(-err));
		return err;
	}
	log_info("metrics on http://%s/metrics", agent.cfg.metrics_listen);
	return 0;
}

void agent_metrics_stop(void)
{
	metrics_http_stop(agent.metrics);
	agent.metrics = NULL;
}

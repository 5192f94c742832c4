// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - nmb-exporter's optional /metrics (metrics_listen, off by
 * default): bytes through the TCP tunnels per place, part and interface,
 * USB exports and re-exports per interface, CONNECT refusals per place
 * and reason, nmb_build_info. Label values come from the configuration
 * only, so the series are bounded by it. USB/IP traffic is moved by the
 * kernel (usbip-host) and is not counted here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "exporter.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "prom.h"
#include "relay.h"
#include "usb.h"

static const char *const refusal_names[EXP_REFUSALS] = {
	[EXP_REFUSED_METHOD] = "method_not_connect",
	[EXP_REFUSED_BAD_REQUEST] = "bad_request",
	[EXP_REFUSED_HEAD_SIZE] = "head_too_large",
	[EXP_REFUSED_TARGET] = "target_not_exported",
	[EXP_REFUSED_IP] = "ip_not_allowed",
	[EXP_REFUSED_SECRET] = "secret_wrong_or_missing",
};

void exp_metrics_refused(struct place *p, int status, const char *body)
{
	enum exp_refusal r;

	switch (status) {
	case 405:
		r = EXP_REFUSED_METHOD;
		break;
	case 431:
		r = EXP_REFUSED_HEAD_SIZE;
		break;
	case 403:
		r = strstr(body, "IP") ? EXP_REFUSED_IP :
		    strstr(body, "secret") ? EXP_REFUSED_SECRET :
		    EXP_REFUSED_TARGET;
		break;
	default:
		r = EXP_REFUSED_BAD_REQUEST;
	}
	p->refusals[r]++;
}

/* A new allow-list: the next export is not a re-export. */
void exp_metrics_allowed(struct place *p)
{
	for (size_t i = 0; i < p->n_parts; i++)
		for (size_t j = 0; j < p->parts[i].n_usb; j++)
			if (p->parts[i].usb[j].dev)
				p->parts[i].usb[j].dev->last_peer[0] = '\0';
}

void exp_metrics_exported(struct usbdev *d, const char *peer)
{
	d->exports++;
	if (!strcmp(d->last_peer, peer))
		d->reexports++;
	snprintf(d->last_peer, sizeof(d->last_peer), "%s", peer);
}

static void put_labels(struct prom_buf *b, const struct place *p, size_t part,
		       const char *iface)
{
	prom_put(b, "{place=\"");
	prom_put_label(b, p->name);
	prom_put(b, "\",part=\"%zu\",interface=\"", part);
	prom_put_label(b, iface);
	prom_put(b, "\"");
}

static uint64_t live_bytes(const struct place *p, const struct tcp_if *t,
			   int dir)
{
	const struct conn *c;
	uint64_t n = 0;

	list_for_each_entry(c, &p->conns, node) {
		if (c->tcp == t && c->relay)
			n += relay_bytes(c->relay, dir);
	}
	return n;
}

static void put_tcp_bytes(struct prom_buf *b, const struct place *p)
{
	static const char *const dirs[2] = { "from_peer", "to_peer" };

	for (size_t k = 0; k < p->n_parts; k++) {
		for (size_t j = 0; j < p->parts[k].n_tcp; j++) {
			const struct tcp_if *t = &p->parts[k].tcp[j];

			for (int d = 0; d < 2; d++) {
				uint64_t n = t->bytes[d] + live_bytes(p, t, d);

				prom_put(b, "nmb_exporter_tcp_bytes_total");
				put_labels(b, p, k, t->name);
				prom_put(b, ",direction=\"%s\"} %llu\n",
					 dirs[d], (unsigned long long)n);
			}
		}
	}
}

static char *render(void *arg, size_t *len)
{
	struct exporter *e = arg;
	struct prom_buf b = { 0 };

	prom_build_info(&b, "nmb-exporter");
	prom_put(&b, "# HELP nmb_exporter_tcp_bytes_total Bytes through the TCP tunnels of an interface, by direction.\n"
		 "# TYPE nmb_exporter_tcp_bytes_total counter\n");
	for (size_t i = 0; i < e->cfg.n_places; i++)
		put_tcp_bytes(&b, e->cfg.places[i]);
	for (int re = 0; re < 2; re++) {
		const char *name = re ? "nmb_exporter_usb_reexports_total" :
					"nmb_exporter_usb_exports_total";

		prom_put(&b, "# HELP %s %s\n# TYPE %s counter\n", name, re ?
			 "USB exports to the peer that had the device before (it came back, e.g. after a board reset)." :
			 "USB devices handed to usbip-host for a peer.", name);
		for (size_t i = 0; i < e->cfg.n_places; i++) {
			const struct place *p = e->cfg.places[i];

			for (size_t k = 0; k < p->n_parts; k++) {
				for (size_t j = 0; j < p->parts[k].n_usb; j++) {
					const struct usb_if *u =
						&p->parts[k].usb[j];

					prom_put(&b, "%s", name);
					put_labels(&b, p, k, u->name);
					prom_put(&b, "} %llu\n",
						 (unsigned long long)(!u->dev ?
						 0 : re ? u->dev->reexports :
						 u->dev->exports));
				}
			}
		}
	}
	prom_put(&b, "# HELP nmb_exporter_proxy_refusals_total CONNECT requests the place's proxy refused, by reason.\n"
		 "# TYPE nmb_exporter_proxy_refusals_total counter\n");
	for (size_t i = 0; i < e->cfg.n_places; i++) {
		const struct place *p = e->cfg.places[i];

		for (int r = 0; r < EXP_REFUSALS; r++) {
			prom_put(&b, "nmb_exporter_proxy_refusals_total{place=\"");
			prom_put_label(&b, p->name);
			prom_put(&b, "\",reason=\"%s\"} %llu\n", refusal_names[r],
				 (unsigned long long)p->refusals[r]);
		}
	}
	*len = b.len;
	return b.p;
}

int exp_metrics_start(struct exporter *e)
{
	int err;

	if (!e->cfg.metrics_listen)
		return 0;
	err = metrics_http_start(e->loop, e->cfg.metrics_listen, render, e,
				 &e->metrics);
	if (err) {
		log_err("metrics_listen %s: cannot listen: %s; is the port in use?",
			e->cfg.metrics_listen, strerror(-err));
		return err;
	}
	log_info("metrics on http://%s/metrics", e->cfg.metrics_listen);
	return 0;
}

void exp_metrics_stop(struct exporter *e)
{
	metrics_http_stop(e->metrics);
	e->metrics = NULL;
}

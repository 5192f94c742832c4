/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prom.h - writing the Prometheus text exposition format (version 0.0.4):
 * a growing text buffer, label values escaped, nmb_build_info.
 */
#ifndef NMB_PROM_H
#define NMB_PROM_H

#include <stddef.h>
#include <stdint.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#ifndef NMB_VERSION
#define NMB_VERSION "unknown"
#endif

struct prom_buf {
	char *p;
	size_t len, cap;
};

/* Appends; aborts when out of memory, as the caller cannot go on. */
void prom_put(struct prom_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a label value: \, " and newline escaped. */
void prom_put_label(struct prom_buf *b, const char *s);
/* # HELP, # TYPE and nmb_build_info{program,version} 1. */
void prom_build_info(struct prom_buf *b, const char *program);

/* A histogram of seconds: counts[i] for bounds[i], counts[n] for +Inf. */
struct prom_hist {
	const double *bounds;
	size_t n;
	uint64_t *counts;	/* n + 1 slots */
	double sum;
};

void prom_hist_observe(struct prom_hist *h, double s);
/* # HELP, # TYPE, NAME_bucket (cumulative), NAME_sum and NAME_count. */
void prom_put_hist(struct prom_buf *b, const char *name, const char *help,
		   const struct prom_hist *h);

#endif /* NMB_PROM_H */

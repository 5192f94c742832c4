// SPDX-License-Identifier: GPL-2.0
/*
 * prom.c - writing the Prometheus text exposition format: the buffer of
 * /metrics answers in nmb-server, nmb-exporter and nmb-agent.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "prom.h"

void prom_put(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->p) {
		b->cap = 4096;
		b->p = malloc(b->cap);
		if (!b->p)
			abort();
	}
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

void prom_put_label(struct prom_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			prom_put(b, "\\\\");
		else if (*s == '"')
			prom_put(b, "\\\"");
		else if (*s == '\n')
			prom_put(b, "\\n");
		else
			prom_put(b, "%c", *s);
	}
}

void prom_build_info(struct prom_buf *b, const char *program)
{
	prom_put(b, "# HELP nmb_build_info The running program and its version; always 1.\n"
		 "# TYPE nmb_build_info gauge\n"
		 "nmb_build_info{program=\"%s\",version=\"", program);
	prom_put_label(b, NMB_VERSION);
	prom_put(b, "\"} 1\n");
}

void prom_hist_observe(struct prom_hist *h, double s)
{
	size_t i;

	h->sum += s;
	for (i = 0; i < h->n && s > h->bounds[i]; i++)
		;
	h->counts[i]++;
}

void prom_put_hist(struct prom_buf *b, const char *name, const char *help,
		   const struct prom_hist *h)
{
	uint64_t cum = 0;

	prom_put(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < h->n; i++) {
		cum += h->counts[i];
		prom_put(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
			 (unsigned long long)cum);
	}
	cum += h->counts[h->n];
	prom_put(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
		 name, (unsigned long long)cum, name, h->sum, name,
		 (unsigned long long)cum);
}

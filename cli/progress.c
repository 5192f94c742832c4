// SPDX-License-Identifier: GPL-2.0
/*
 * progress.c - what a waiting reserve or attach shows on stderr: its
 * queue position and waiting time, from the agent's reserve_progress.
 * On a terminal one line that updates every second and goes away at the
 * end; otherwise a plain line each time the position changes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"
#include "progress.h"
#include "queue_note.h"

static unsigned long long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec;
}

static void draw(struct progress *p)
{
	unsigned long long s = now_s() - p->since;
	char pos[48] = "";

	if (p->position > 0)
		snprintf(pos, sizeof(pos), ", position %lld in the queue",
			 p->position);
	fprintf(stderr, "%snmbctl: %s %s: waiting for a place%s, %llu:%02llu%s",
		p->tty ? "\r" : "", p->verb, p->name, pos, s / 60, s % 60,
		p->tty ? "\033[K" : "\n");
	fflush(stderr);
	p->shown = true;
}

static void on_progress(void *arg, json_object *params)
{
	struct progress *p = arg;
	struct queue_progress q;

	if (!params) {			/* the second ticked */
		if (p->tty && p->shown)
			draw(p);
		return;
	}
	if (queue_note_progress(params, &q))
		return;			/* an agent's bug: not shown */
	if (!p->shown && q.waiting_s >= 0 &&
	    (unsigned long long)q.waiting_s <= now_s())
		p->since = now_s() - (unsigned long long)q.waiting_s;
	if (p->shown && q.position == p->position && !p->tty)
		return;
	p->position = q.position;
	draw(p);
}

void progress_start(struct progress *p, struct ipc *ipc, const char *verb,
		    const char *name)
{
	memset(p, 0, sizeof(*p));
	p->verb = verb;
	p->name = name;
	p->tty = isatty(STDERR_FILENO);
	p->since = now_s();
	p->position = -1;
	ipc_on_progress(ipc, on_progress, p);
}

void progress_end(struct progress *p)
{
	if (p->tty && p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

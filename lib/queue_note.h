/* SPDX-License-Identifier: GPL-2.0 */
/*
 * queue_note.h - the two notifications of a reserve waiting in a queue,
 * their params checked apart from their handlers: the server's
 * reserve_queued to the agent (protocol.rst, an nmb extension) and the
 * agent's reserve_progress to nmbctl (agent-api.rst).
 */
#ifndef NMB_QUEUE_NOTE_H
#define NMB_QUEUE_NOTE_H

#include <json-c/json.h>
#include <stddef.h>

/* A queue position is 1 (next in line) to this. */
#define QUEUE_POSITION_MAX	1000000000LL
/* A waiting time beyond this (about 31 years) is nonsense. */
#define QUEUE_WAITING_MAX_S	1000000000LL

struct queue_queued {
	const char *ticket;		/* in params */
	unsigned int position;		/* 1 .. QUEUE_POSITION_MAX */
};

/*
 * reserve_queued's params, {"ticket": T, "position": P} (or [T, P]):
 * 0, or -EINVAL and why in err.
 */
int queue_note_queued(json_object *params, struct queue_queued *out,
		      char *err, size_t errlen);

struct queue_progress {
	long long position;		/* -1: not known (null) */
	long long waiting_s;		/* -1: not told */
};

/*
 * reserve_progress's params, {"name", "position", "waiting_s"}: 0, or
 * -EINVAL when they are not an object or a value is out of its range.
 */
int queue_note_progress(json_object *params, struct queue_progress *out);

#endif /* NMB_QUEUE_NOTE_H */

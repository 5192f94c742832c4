// SPDX-License-Identifier: GPL-2.0
/*
 * qmp.c - the QEMU Machine Protocol on one end of a socket pair whose
 * other end QEMU got as its control monitor: the greeting is answered
 * with qmp_capabilities, commands (system_reset, quit, query-status) are
 * written as JSON objects, answers and events parsed with json-c. The
 * SHUTDOWN event's reason is kept for the board's exit message, the
 * run state (query-status, asked again after RESET, STOP and RESUME)
 * and the count of RESET events for STAT?.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "exporter.h"
#include "log.h"
#include "loop.h"
#include "virtual.h"

#define QMP_MSG_MAX	((size_t)64 * 1024)	/* one object from QEMU */

struct qmp {
	struct virt *v;
	void (*on_status)(struct virt *v);
	int fd;
	struct loop_fd *lfd;
	json_tokener *tok;
	size_t depth_bytes;		/* bytes of the object being parsed */
	char reason[64];
	char status[32];		/* query-status: running, paused... */
	unsigned int resets;		/* RESET events */
};

static void on_message(struct qmp *q, json_object *o)
{
	json_object *ev, *data, *r, *ret;

	if (json_object_object_get_ex(o, "QMP", NULL)) {
		qmp_command(q, "qmp_capabilities");
		qmp_command(q, "query-status");
		return;
	}
	if (json_object_object_get_ex(o, "event", &ev)) {
		const char *name = json_object_get_string(ev);

		log_debug("%s: QMP event %s", q->v->name, name);
		if (!strcmp(name, "RESET")) {
			q->resets++;
			qmp_command(q, "query-status");
		}
		if (!strcmp(name, "STOP") || !strcmp(name, "RESUME"))
			qmp_command(q, "query-status");
		if (!strcmp(name, "SHUTDOWN") &&
		    json_object_object_get_ex(o, "data", &data) &&
		    json_object_object_get_ex(data, "reason", &r))
			snprintf(q->reason, sizeof(q->reason), "%s",
				 json_object_get_string(r));
		return;
	}
	if (json_object_object_get_ex(o, "error", &r)) {
		log_warn("%s: QMP error: %s", q->v->name,
			 json_object_to_json_string(r));
		return;
	}
	if (json_object_object_get_ex(o, "return", &ret) &&
	    json_object_object_get_ex(ret, "status", &r) &&
	    strcmp(q->status, json_object_get_string(r)) != 0) {
		snprintf(q->status, sizeof(q->status), "%s",
			 json_object_get_string(r));
		q->on_status(q->v);
	}
}

static void on_readable(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct qmp *q = arg;
	char buf[4096];
	ssize_t n;
	size_t off = 0;

	(void)lfd;
	(void)events;
	n = recv(q->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* QEMU has gone; its process exit tells why. */
		loop_fd_del(q->lfd);
		q->lfd = NULL;
		return;
	}
	while (off < (size_t)n) {
		json_object *o;
		enum json_tokener_error jerr;

		/* whitespace between objects ("\r\n") */
		if (strchr(" \t\r\n", buf[off]) && q->depth_bytes == 0) {
			off++;
			continue;
		}
		o = json_tokener_parse_ex(q->tok, buf + off, (int)(n - off));
		jerr = json_tokener_get_error(q->tok);
		if (jerr == json_tokener_continue) {
			q->depth_bytes += (size_t)n - off;
			if (q->depth_bytes > QMP_MSG_MAX) {
				log_warn("%s: QMP message over %zu bytes; ignored",
					 q->v->name, QMP_MSG_MAX);
				json_tokener_reset(q->tok);
				q->depth_bytes = 0;
			}
			return;
		}
		off += json_tokener_get_parse_end(q->tok);
		q->depth_bytes = 0;
		if (!o) {
			log_warn("%s: QMP: %s; rest of the read ignored",
				 q->v->name, json_tokener_error_desc(jerr));
			json_tokener_reset(q->tok);
			return;
		}
		if (json_object_is_type(o, json_type_object))
			on_message(q, o);
		json_object_put(o);
	}
}

struct qmp *qmp_new(struct virt *v, int fd,
		    void (*on_status)(struct virt *v))
{
	struct qmp *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->v = v;
	q->on_status = on_status;
	q->fd = fd;
	q->tok = json_tokener_new_ex(16);
	q->lfd = q->tok ? loop_fd_add(v->exp->loop, fd, EPOLLIN, on_readable,
				      q) : NULL;
	if (!q->lfd) {
		if (q->tok)
			json_tokener_free(q->tok);
		free(q);
		return NULL;
	}
	return q;
}

void qmp_free(struct qmp *q)
{
	if (!q)
		return;
	loop_fd_del(q->lfd);
	close(q->fd);
	json_tokener_free(q->tok);
	free(q);
}

int qmp_command(struct qmp *q, const char *name)
{
	json_object *o = json_object_new_object();
	const char *s;
	size_t len;
	ssize_t n;

	json_object_object_add(o, "execute", json_object_new_string(name));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	n = send(q->fd, s, len, MSG_NOSIGNAL);
	json_object_put(o);
	if (n != (ssize_t)len) {
		log_warn("%s: QMP %s: %s", q->v->name, name,
			 n < 0 ? strerror(errno) : "short write");
		return n < 0 ? -errno : -EIO;
	}
	log_debug("%s: QMP %s", q->v->name, name);
	return 0;
}

const char *qmp_status(const struct qmp *q, unsigned int *resets)
{
	*resets = q ? q->resets : 0;
	return q && q->status[0] ? q->status : "unknown";
}

const char *qmp_shutdown_reason(const struct qmp *q)
{
	return q ? q->reason : "";
}

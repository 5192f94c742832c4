// SPDX-License-Identifier: GPL-2.0
/*
 * virtual_port.c - the loopback endpoints of an emulated board, relayed
 * to by the place's CONNECT proxy as TCP interfaces (so only the holder
 * reaches them through it):
 *   console  the first UART, raw; a new client first gets the output since
 *            power-on (up to 64 KiB)
 *   gpio     the second UART, the shim's lines: "SET <bcm_pin> <0|1>" (and
 *            "GET <bcm_pin>") go to the board, "GPIO <bcm_pin> <0|1>" come
 *            back; anything else gets "ERR ..." and is not sent
 *   power    SCPI lines as the demo's switch: OUTP ON|1, OUTP OFF|0,
 *            OUTP? ("1"/"0"), plus RESET (QMP system_reset), CYCLE (off,
 *            then on), STAT? (power state and QEMU's last exit), *IDN?
 * Each listens on 127.0.0.1 only, with at most VPORT_CLIENTS clients.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter.h"
#include "log.h"
#include "loop.h"
#include "sockopt.h"
#include "virtual.h"
#include "virtual_line.h"

#define VPORT_CLIENTS	4
#define BACKLOG_MAX	((size_t)64 * 1024)

static const char *const kind_names[VPORT_N] = { "console", "gpio", "power" };

struct vclient {
	struct vport *vp;
	int fd;
	struct loop_fd *lfd;
	char line[VLINE_LINE_MAX + 1];
	size_t len;
	bool too_long;
};

struct vport {
	struct virt *v;
	enum vport_kind kind;
	int fd;
	struct loop_fd *lfd;
	struct vclient *client[VPORT_CLIENTS];
	char *backlog;
	size_t backlog_len;
};

static void client_free(struct vclient *c)
{
	int i;

	for (i = 0; i < VPORT_CLIENTS; i++)
		if (c->vp->client[i] == c)
			c->vp->client[i] = NULL;
	loop_fd_del(c->lfd);
	close(c->fd);
	free(c);
}

/* A client that cannot keep up is dropped: the board never waits. */
static int client_send(struct vclient *c, const void *buf, size_t len)
{
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n == (ssize_t)len)
		return 0;
	log_info("%s: %s client dropped: %s", c->vp->v->name,
		 kind_names[c->vp->kind], n < 0 ? strerror(errno) :
		 "it does not read fast enough");
	client_free(c);
	return -EIO;
}

static void reply(struct vclient *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply(struct vclient *c, const char *fmt, ...)
{
	char buf[320];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	client_send(c, buf, (size_t)n);
}

static void gpio_line(struct vclient *c, const char *s)
{
	char out[32];
	int err;

	if (!vline_gpio(s, out, sizeof(out))) {
		reply(c, "ERR expected SET <bcm_pin 0..%d> <0|1> or GET <bcm_pin>",
		      VLINE_GPIO_PIN_MAX);
		return;
	}
	err = virtual_serial_write(c->vp->v, 1, out, strlen(out));
	if (err)
		reply(c, "ERR %s", err == -ENODEV ? "the board is off" :
		      strerror(-err));
}

static void power_line(struct vclient *c, const char *s)
{
	struct virt *v = c->vp->v;
	char err[256], state[200];

	switch (vline_power(s)) {
	case VLINE_POWER_NONE:
		break;
	case VLINE_POWER_CYCLE:
		virtual_power_off(v);
		__attribute__((fallthrough));	/* then on */
	case VLINE_POWER_ON:
		if (virtual_power_on(v, err, sizeof(err)))
			reply(c, "ERR %s", err);
		break;
	case VLINE_POWER_OFF:
		virtual_power_off(v);
		break;
	case VLINE_POWER_QUERY:
		reply(c, "%d", v->power == VIRT_ON);
		break;
	case VLINE_POWER_RESET:
		if (virtual_reset(v, err, sizeof(err)))
			reply(c, "ERR %s", err);
		break;
	case VLINE_POWER_STAT:
		reply(c, "%s", virtual_state(v, state, sizeof(state)));
		break;
	case VLINE_POWER_IDN:
		reply(c, "nmb,virtual %s,0,1.0", v->machine);
		break;
	case VLINE_POWER_UNKNOWN:
		reply(c, "ERR unknown command; expected OUTP ON, OUTP OFF, OUTP?, CYCLE, RESET, STAT? or *IDN?");
		break;
	}
}

static void on_line(struct vclient *c)
{
	char *s = vline_trim(c->line, c->len);

	if (c->vp->kind == VPORT_GPIO)
		gpio_line(c, s);
	else
		power_line(c, s);
}

/* Lines for gpio and power; the pointer may be freed on return. */
static void client_lines(struct vclient *c, const char *buf, size_t n)
{
	struct vport *vp = c->vp;
	size_t i;
	int slot;

	for (slot = 0; slot < VPORT_CLIENTS && vp->client[slot] != c; slot++)
		;
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (c->too_long)
				reply(c, "ERR line too long (over %d bytes); ignored",
				      VLINE_LINE_MAX);
			else
				on_line(c);
			if (vp->client[slot] != c)
				return;		/* dropped while answering */
			c->len = 0;
			c->too_long = false;
		} else if (c->len < VLINE_LINE_MAX) {
			c->line[c->len++] = buf[i];
		} else {
			c->too_long = true;
		}
	}
}

static void on_client(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct vclient *c = arg;
	char buf[4096];
	ssize_t n;

	(void)lfd;
	(void)events;
	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(c);
		return;
	}
	if (c->vp->kind == VPORT_CONSOLE) {
		/* the board is off: keystrokes go nowhere, like a real UART */
		virtual_serial_write(c->vp->v, 0, buf, (size_t)n);
		return;
	}
	client_lines(c, buf, (size_t)n);
}

static void on_accept(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct vport *vp = arg;
	struct vclient *c;
	int fd, i;

	(void)lfd;
	(void)events;
	fd = accept4(vp->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < VPORT_CLIENTS && vp->client[i]; i++)
		;
	c = i < VPORT_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		static const char busy[] = "ERR too many clients\n";

		log_warn("%s: %s: client refused, %d already connected",
			 vp->v->name, kind_names[vp->kind], VPORT_CLIENTS);
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0)
			log_debug("%s: refusal not sent", vp->v->name);
		close(fd);
		return;
	}
	sock_nodelay(fd);
	c->vp = vp;
	c->fd = fd;
	c->lfd = loop_fd_add(vp->v->exp->loop, fd, EPOLLIN, on_client, c);
	if (!c->lfd) {
		close(fd);
		free(c);
		return;
	}
	vp->client[i] = c;
	if (vp->backlog_len)
		client_send(c, vp->backlog, vp->backlog_len);
}

void vport_board_output(struct vport *vp, const char *buf, size_t len)
{
	int i;

	if (!vp)
		return;
	for (i = 0; i < VPORT_CLIENTS; i++)
		if (vp->client[i])
			client_send(vp->client[i], buf, len);
	if (!vp->backlog)
		return;
	if (len > BACKLOG_MAX) {
		buf += len - BACKLOG_MAX;
		len = BACKLOG_MAX;
	}
	if (vp->backlog_len + len > BACKLOG_MAX) {
		size_t drop = vp->backlog_len + len - BACKLOG_MAX;

		memmove(vp->backlog, vp->backlog + drop,
			vp->backlog_len - drop);
		vp->backlog_len -= drop;
	}
	memcpy(vp->backlog + vp->backlog_len, buf, len);
	vp->backlog_len += len;
}

void vport_board_reset(struct vport *vp)
{
	if (vp)
		vp->backlog_len = 0;
}

int vport_new(struct virt *v, enum vport_kind kind, struct vport **out,
	      unsigned int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct vport *vp = calloc(1, sizeof(*vp));
	int err;

	if (!vp)
		return -ENOMEM;
	vp->v = v;
	vp->kind = kind;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* never wildcard */
	vp->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (vp->fd < 0 || bind(vp->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(vp->fd, 8) ||
	    getsockname(vp->fd, (struct sockaddr *)&sa, &sl)) {
		err = -errno;
		if (vp->fd >= 0)
			close(vp->fd);
		free(vp);
		return err;
	}
	if (kind == VPORT_CONSOLE)
		vp->backlog = malloc(BACKLOG_MAX);
	vp->lfd = loop_fd_add(v->exp->loop, vp->fd, EPOLLIN, on_accept, vp);
	if (!vp->lfd || (kind == VPORT_CONSOLE && !vp->backlog)) {
		vport_free(vp);
		return -ENOMEM;
	}
	*port = ntohs(sa.sin_port);
	*out = vp;
	return 0;
}

void vport_free(struct vport *vp)
{
	int i;

	if (!vp)
		return;
	for (i = 0; i < VPORT_CLIENTS; i++)
		if (vp->client[i])
			client_free(vp->client[i]);
	loop_fd_del(vp->lfd);
	close(vp->fd);
	free(vp->backlog);
	free(vp);
}

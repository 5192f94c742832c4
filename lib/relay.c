// SPDX-License-Identifier: GPL-2.0
/*
 * relay.c - splice() relay: socket -> pipe -> socket in each direction,
 * level-triggered epoll, one pipe per direction, enlarged to PIPE_CAP
 * where the system allows (fewer rounds of splice() per megabyte). The
 * epoll interest of a socket is changed only when it differs.
 *
 * A kernel TLS socket as src: splice() fails with EINVAL at a record
 * that is not data (net/tls/tls_sw.c, tls_sw_splice_read()). A peer's
 * close_notify alert there (lib/tls_pump and OpenSSL send one before
 * their FIN) is its EOF; any other record ends the relay with EPROTO.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tls.h>

#include "loop.h"
#include "relay.h"

#define PIPE_CAP	((size_t)1024 * 1024)

struct dir {
	int src, dst;
	int pipe[2];
	size_t cap;		/* the pipe's capacity */
	size_t queued;		/* bytes in the pipe */
	uint64_t moved;
	bool eof;		/* src said EOF */
	bool shut;		/* passed on to dst */
	bool want_in, want_out;
};

struct relay {
	struct loop_fd *lfd[2];
	uint32_t events[2];	/* what lfd[i] waits for now */
	int fd[2];
	struct dir dir[2];	/* 0: a -> b, 1: b -> a */
	relay_done_cb done;
	void *arg;
	bool finished;
};

#define TLS_RECORD_ALERT	21
#define TLS_ALERT_CLOSE_NOTIFY	0

/*
 * splice() from fd failed with EINVAL: 0 when fd is a kernel TLS socket
 * whose next record, read here, is a close_notify alert (EOF), else
 * -errno.
 */
static int ktls_close_notify(int fd)
{
	char ulp[16] = "", cbuf[CMSG_SPACE(sizeof(unsigned char))];
	unsigned char alert[2];
	struct iovec iov = { alert, sizeof(alert) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	socklen_t len = sizeof(ulp) - 1;
	struct cmsghdr *cm;
	ssize_t n;

	if (getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len) ||
	    strcmp(ulp, "tls") != 0)
		return -EINVAL;		/* not kTLS: splice's own error */
	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (n == 2 && cm && cm->cmsg_level == SOL_TLS &&
	    cm->cmsg_type == TLS_GET_RECORD_TYPE &&
	    *CMSG_DATA(cm) == TLS_RECORD_ALERT &&
	    alert[1] == TLS_ALERT_CLOSE_NOTIFY)
		return 0;
	return -EPROTO;
}

/* Moves what it can; returns 0 or -errno. */
static int pump(struct dir *d)
{
	int budget = 16;	/* rounds before letting other fds run */
	ssize_t n;

	d->want_in = d->want_out = false;
	for (;;) {
		if (!budget--) {
			d->want_in = !d->eof && d->queued < d->cap;
			d->want_out = d->queued > 0;
			return 0;
		}
		while (d->queued) {
			n = splice(d->pipe[0], NULL, d->dst, NULL, d->queued,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					return -errno;
				d->want_out = true;
				break;
			}
			d->queued -= (size_t)n;
			d->moved += (uint64_t)n;
		}
		if (d->eof) {
			if (!d->queued && !d->shut) {
				shutdown(d->dst, SHUT_WR);
				d->shut = true;
			}
			return 0;
		}
		if (d->queued >= d->cap)
			return 0;
		n = splice(d->src, NULL, d->pipe[1], NULL, d->cap - d->queued,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EINVAL) {
			int err = ktls_close_notify(d->src);

			if (err)
				return err;
			n = 0;		/* the peer's close_notify: EOF */
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			/* the pipe may be full although we count room */
			if (!d->want_out)
				d->want_in = true;
			return 0;
		}
		if (n == 0)
			d->eof = true;
		d->queued += (size_t)n;
		if (d->want_out)
			return 0;
	}
}

static void update(struct relay *r)
{
	int i;

	for (i = 0; i < 2; i++) {
		uint32_t ev = 0;

		if (r->dir[i].want_in)
			ev |= EPOLLIN;
		if (r->dir[!i].want_out)
			ev |= EPOLLOUT;
		if (ev != r->events[i] && !loop_fd_mod(r->lfd[i], ev))
			r->events[i] = ev;
	}
}

static void on_event(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct relay *r = arg;
	int err = 0, i;

	(void)lfd;
	(void)events;
	if (r->finished)
		return;
	for (i = 0; i < 2 && !err; i++)
		err = pump(&r->dir[i]);
	if (err || (r->dir[0].shut && r->dir[1].shut)) {
		r->finished = true;
		loop_fd_mod(r->lfd[0], 0);
		loop_fd_mod(r->lfd[1], 0);
		r->done(r, err, r->arg);
		return;
	}
	update(r);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void close_pipes(struct relay *r)
{
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (r->dir[i].pipe[j] >= 0)
				close(r->dir[i].pipe[j]);
}

int relay_new(struct loop *loop, int a, int b, const void *early,
	      size_t early_len, relay_done_cb done, void *arg,
	      struct relay **out)
{
	struct relay *r = calloc(1, sizeof(*r));
	int err = 0, i;

	if (!r)
		return -ENOMEM;
	r->fd[0] = a;
	r->fd[1] = b;
	r->done = done;
	r->arg = arg;
	for (i = 0; i < 2; i++) {
		r->dir[i].src = r->fd[i];
		r->dir[i].dst = r->fd[!i];
		r->dir[i].pipe[0] = r->dir[i].pipe[1] = -1;
	}
	for (i = 0; i < 2 && !err; i++) {
		int cap;

		if (pipe2(r->dir[i].pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
			err = -errno;
			break;
		}
		cap = fcntl(r->dir[i].pipe[1], F_SETPIPE_SZ, (int)PIPE_CAP);
		if (cap < 0)	/* over pipe-max-size: keep what it has */
			cap = fcntl(r->dir[i].pipe[1], F_GETPIPE_SZ);
		r->dir[i].cap = cap > 0 ? (size_t)cap : 4096;
	}
	if (!err)
		err = set_nonblock(a);
	if (!err)
		err = set_nonblock(b);
	if (!err && early_len) {
		ssize_t n = write(r->dir[0].pipe[1], early, early_len);

		if (n != (ssize_t)early_len)
			err = n < 0 ? -errno : -ENOBUFS;
		else
			r->dir[0].queued = early_len;
	}
	for (i = 0; i < 2 && !err; i++) {
		r->events[i] = EPOLLIN | EPOLLOUT;
		r->lfd[i] = loop_fd_add(loop, r->fd[i], r->events[i],
					on_event, r);
		if (!r->lfd[i])
			err = -errno;
	}
	if (err) {
		loop_fd_del(r->lfd[0]);
		close_pipes(r);
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

void relay_free(struct relay *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < 2; i++) {
		loop_fd_del(r->lfd[i]);
		close(r->fd[i]);
	}
	close_pipes(r);
	free(r);
}

uint64_t relay_bytes(const struct relay *r, int dir)
{
	return r->dir[dir ? 1 : 0].moved;
}

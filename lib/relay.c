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
 *
 * A kernel TLS socket as dst: splice() into it returns once the bytes
 * are in a record, but a record that TCP had no room for waits in the
 * TLS layer's own list until TCP frees space (net/tls/tls_sw.c,
 * tls_tx_records() from tx_work_handler()). shutdown(SHUT_WR) then would
 * put the FIN before it and the record would be lost (EPIPE), cutting
 * the end of the stream. So the EOF is passed on once TCP has sent and
 * the peer acknowledged everything (SIOCOUTQ 0, which comes only after
 * the TLS layer pushed its records), polled on a timer, for at most
 * FLUSH_MAX_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <linux/tls.h>

#include "loop.h"
#include "relay.h"

#define PIPE_CAP	((size_t)1024 * 1024)
#define FLUSH_POLL_MS	5
#define FLUSH_MAX_MS	30000

struct dir {
	int src, dst;
	int pipe[2];
	size_t cap;		/* the pipe's capacity */
	size_t queued;		/* bytes in the pipe */
	uint64_t moved;
	bool eof;		/* src said EOF */
	bool shut;		/* passed on to dst */
	bool dst_ktls;		/* dst is a kernel TLS socket */
	bool flushing;		/* EOF waits for dst's records to go */
	unsigned int flush_ms;	/* waited so far */
	bool want_in, want_out;
};

struct relay {
	struct loop_fd *lfd[2];
	uint32_t events[2];	/* what lfd[i] waits for now */
	int fd[2];
	struct dir dir[2];	/* 0: a -> b, 1: b -> a */
	struct loop_timer *flush;	/* polls a flushing dir */
	relay_done_cb done;
	void *arg;
	bool finished;
};

#define TLS_RECORD_ALERT	21
#define TLS_ALERT_CLOSE_NOTIFY	0

static bool is_ktls(int fd)
{
	char ulp[16] = "";
	socklen_t len = sizeof(ulp) - 1;

	return !getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len) &&
	       !strcmp(ulp, "tls");
}

/*
 * dst may take the FIN now: not kTLS, all sent and acknowledged, or
 * waited long enough.
 */
static bool may_shut(struct dir *d)
{
	int unsent = 0;

	if (!d->dst_ktls || d->flush_ms >= FLUSH_MAX_MS ||
	    ioctl(d->dst, SIOCOUTQ, &unsent) || !unsent)
		return true;
	d->flushing = true;
	return false;
}

/*
 * splice() from fd failed with EINVAL: 0 when fd is a kernel TLS socket
 * whose next record, read here, is a close_notify alert (EOF), else
 * -errno.
 */
static int ktls_close_notify(int fd)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	unsigned char alert[2];
	struct iovec iov = { alert, sizeof(alert) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	if (!is_ktls(fd))
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
	d->flushing = false;
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
			if (!d->queued && !d->shut && may_shut(d)) {
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

static void run(struct relay *r)
{
	int err = 0, i;

	if (r->finished)
		return;
	for (i = 0; i < 2 && !err; i++)
		err = pump(&r->dir[i]);
	if (err || (r->dir[0].shut && r->dir[1].shut)) {
		r->finished = true;
		loop_timer_cancel(r->flush);
		loop_fd_mod(r->lfd[0], 0);
		loop_fd_mod(r->lfd[1], 0);
		r->done(r, err, r->arg);
		return;
	}
	if ((r->dir[0].flushing || r->dir[1].flushing) &&
	    !loop_timer_armed(r->flush))
		loop_timer_set(r->flush, FLUSH_POLL_MS);
	update(r);
}

static void on_event(struct loop_fd *lfd, uint32_t events, void *arg)
{
	(void)lfd;
	(void)events;
	run(arg);
}

static void on_flush(struct loop_timer *t, void *arg)
{
	struct relay *r = arg;
	int i;

	(void)t;
	for (i = 0; i < 2; i++)
		if (r->dir[i].flushing)
			r->dir[i].flush_ms += FLUSH_POLL_MS;
	run(r);
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
	r->dir[0].dst_ktls = is_ktls(b);
	r->dir[1].dst_ktls = is_ktls(a);
	r->flush = loop_timer_new(loop, on_flush, r);
	if (!err && !r->flush)
		err = -ENOMEM;
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
		loop_timer_free(r->flush);
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
	loop_timer_free(r->flush);
	close_pipes(r);
	free(r);
}

uint64_t relay_bytes(const struct relay *r, int dir)
{
	return r->dir[dir ? 1 : 0].moved;
}

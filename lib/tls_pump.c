// SPDX-License-Identifier: GPL-2.0
/*
 * tls_pump.c - user-space TLS between a socket and a socketpair
 * (tls_pump.h). Level-triggered: each event runs step(), which moves
 * what it can both ways (up to a budget, so other connections get their
 * turn) and then asks the loop for the events that would let it go on.
 * Bytes already decrypted inside OpenSSL raise no event, so step() reads
 * until SSL_read() wants more from the socket.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "loop.h"
#include "tls_pump.h"

#define PUMP_BUF	16384	/* one TLS record of plain text */
#define PUMP_BUDGET	16	/* rounds per event */

struct tls_pump {
	struct loop *loop;
	SSL *ssl;
	int net, plain;
	struct loop_fd *lnet, *lplain;
	uint32_t ev_net, ev_plain;	/* what each waits for now */
	char down[PUMP_BUF];		/* TLS -> plain */
	size_t down_len, down_off;
	char up[PUMP_BUF];		/* plain -> TLS */
	size_t up_len;
	bool net_eof, down_shut;	/* close_notify read; passed on */
	bool plain_eof, up_shut;
	bool read_wants_write, write_wants_read, write_wants_write;
	bool finished;
	uint64_t bytes[2];
	tls_pump_done_cb done;
	void *arg;
};

static void finish(struct tls_pump *tp, int err)
{
	tp->finished = true;
	loop_fd_mod(tp->lnet, 0);
	if (err && tp->plain >= 0) {
		/* the other end sees EOF: the connection is gone */
		loop_fd_del(tp->lplain);
		tp->lplain = NULL;
		close(tp->plain);
		tp->plain = -1;
	} else if (tp->lplain) {
		loop_fd_mod(tp->lplain, 0);
	}
	ERR_clear_error();
	if (tp->done)
		tp->done(tp, err, tp->arg);
}

/* SSL_read() into down; 1: progress, 0: none, < 0: -errno. */
static int tls_in(struct tls_pump *tp)
{
	int n;

	/* SSL_get_error() reads the thread's queue: nothing stale in it */
	ERR_clear_error();
	n = SSL_read(tp->ssl, tp->down, sizeof(tp->down));

	tp->read_wants_write = false;
	if (n > 0) {
		tp->down_len = (size_t)n;
		tp->down_off = 0;
		return 1;
	}
	switch (SSL_get_error(tp->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		tp->read_wants_write = true;
		return 0;
	case SSL_ERROR_ZERO_RETURN:	/* close_notify */
		tp->net_eof = true;
		return 1;
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : -ECONNRESET;
	default:
		return -EPROTO;
	}
}

/* SSL_write() from up; as tls_in(). */
static int tls_out(struct tls_pump *tp)
{
	int n;

	ERR_clear_error();
	n = SSL_write(tp->ssl, tp->up, (int)tp->up_len);

	tp->write_wants_read = tp->write_wants_write = false;
	if (n > 0) {
		tp->up_len -= (size_t)n;
		memmove(tp->up, tp->up + n, tp->up_len);
		tp->bytes[1] += (uint64_t)n;
		return 1;
	}
	switch (SSL_get_error(tp->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		tp->write_wants_read = true;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		tp->write_wants_write = true;
		return 0;
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : -EPIPE;
	default:
		return -EPROTO;
	}
}

/* One round both ways: 1 if anything moved, 0 if not, or -errno. */
static int round_trip(struct tls_pump *tp)
{
	int moved = 0, r;
	ssize_t n;

	if (!tp->net_eof && !tp->down_len) {
		r = tls_in(tp);
		if (r < 0)
			return r;
		moved |= r;
	}
	if (tp->down_len) {
		n = send(tp->plain, tp->down + tp->down_off,
			 tp->down_len - tp->down_off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0) {
			tp->down_off += (size_t)n;
			tp->bytes[0] += (uint64_t)n;
			if (tp->down_off == tp->down_len)
				tp->down_len = tp->down_off = 0;
			moved = 1;
		}
	}
	if (tp->net_eof && !tp->down_len && !tp->down_shut) {
		shutdown(tp->plain, SHUT_WR);
		tp->down_shut = true;
	}
	if (!tp->plain_eof && !tp->up_len) {
		n = recv(tp->plain, tp->up, sizeof(tp->up), 0);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n == 0)
			tp->plain_eof = true;
		if (n > 0)
			tp->up_len = (size_t)n;
		moved |= n >= 0;
	}
	if (tp->up_len) {
		r = tls_out(tp);
		if (r < 0)
			return r;
		moved |= r;
	}
	if (tp->plain_eof && !tp->up_len && !tp->up_shut) {
		/* one try: a close_notify that does not fit is dropped */
		SSL_shutdown(tp->ssl);
		ERR_clear_error();
		shutdown(tp->net, SHUT_WR);
		tp->up_shut = true;
	}
	return moved;
}

static void want(struct loop_fd *lfd, uint32_t *now, uint32_t ev)
{
	if (*now != ev && !loop_fd_mod(lfd, ev))
		*now = ev;
}

static void step(struct tls_pump *tp)
{
	uint32_t net = 0, plain = 0;
	int r = 1;

	for (int i = 0; i < PUMP_BUDGET && r > 0; i++)
		r = round_trip(tp);
	if (r < 0) {
		finish(tp, r);
		return;
	}
	if (tp->up_shut && tp->down_shut) {
		finish(tp, 0);
		return;
	}
	if (r > 0) {
		/* budget spent with work left: come back at once */
		net = EPOLLOUT;
	}
	if ((!tp->net_eof && !tp->down_len) || tp->write_wants_read)
		net |= EPOLLIN;
	if (tp->read_wants_write || tp->write_wants_write)
		net |= EPOLLOUT;
	if (!tp->plain_eof && !tp->up_len)
		plain |= EPOLLIN;
	if (tp->down_len)
		plain |= EPOLLOUT;
	want(tp->lnet, &tp->ev_net, net);
	want(tp->lplain, &tp->ev_plain, plain);
}

static void on_event(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct tls_pump *tp = arg;

	(void)lfd;
	(void)events;
	if (!tp->finished)
		step(tp);
}

struct tls_pump *tls_pump_new(struct loop *loop, SSL *ssl, int net,
			      int *plain, tls_pump_done_cb done, void *arg)
{
	struct tls_pump *tp = calloc(1, sizeof(*tp));
	int sp[2] = { -1, -1 };

	if (!tp || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			      SOCK_CLOEXEC, 0, sp) < 0) {
		int err = errno;

		free(tp);
		SSL_free(ssl);
		close(net);
		errno = err;
		return NULL;
	}
	tp->loop = loop;
	tp->ssl = ssl;
	tp->net = net;
	tp->plain = sp[0];
	tp->done = done;
	tp->arg = arg;
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
		     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	tp->ev_net = tp->ev_plain = EPOLLIN;
	tp->lnet = loop_fd_add(loop, net, EPOLLIN, on_event, tp);
	tp->lplain = loop_fd_add(loop, sp[0], EPOLLIN, on_event, tp);
	if (!tp->lnet || !tp->lplain) {
		int err = errno;

		tls_pump_free(tp);
		close(sp[1]);
		errno = err;
		return NULL;
	}
	*plain = sp[1];
	return tp;
}

bool tls_pump_on_done(struct tls_pump *tp, tls_pump_done_cb done,
		      void *arg)
{
	tp->done = done;
	tp->arg = arg;
	return !tp->finished;
}

void tls_pump_free(struct tls_pump *tp)
{
	if (!tp)
		return;
	loop_fd_del(tp->lnet);
	loop_fd_del(tp->lplain);
	SSL_free(tp->ssl);
	close(tp->net);
	if (tp->plain >= 0)
		close(tp->plain);
	free(tp);
}

uint64_t tls_pump_bytes(const struct tls_pump *tp, int dir)
{
	return tp->bytes[dir ? 1 : 0];
}

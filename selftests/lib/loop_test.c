// SPDX-License-Identifier: GPL-2.0
/*
 * loop_test.c - unit tests of lib/loop (libuv underneath), lib/resolve
 * and lib/spawn: timers in order and cancelled, descriptors with their
 * flags kept, deletion from callbacks, signals, loop_fail(), name
 * resolution and its cancellation, child processes and their exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "resolve.h"
#include "spawn.h"
#include "tap.h"

struct rec {
	struct loop *loop;
	char order[16];
	int n;
	uint32_t events;
	int signum, status, sig, err, family;
	bool called;
};

static void note(struct loop_timer *t, void *arg)
{
	struct rec *r = arg;

	(void)t;
	r->order[r->n++] = 'a';
}

static void note_b(struct loop_timer *t, void *arg)
{
	struct rec *r = arg;

	(void)t;
	r->order[r->n++] = 'b';
}

static void stop_cb(struct loop_timer *t, void *arg)
{
	struct rec *r = arg;

	(void)t;
	loop_stop(r->loop);
}

static void free_self(struct loop_timer *t, void *arg)
{
	struct rec *r = arg;

	r->called = true;
	loop_timer_free(t);
}

static void test_timers(void)
{
	struct rec r = { .loop = loop_new() };
	struct loop_timer *a = loop_timer_new(r.loop, note, &r);
	struct loop_timer *b = loop_timer_new(r.loop, note_b, &r);
	struct loop_timer *c = loop_timer_new(r.loop, note, &r);
	struct loop_timer *stop = loop_timer_new(r.loop, stop_cb, &r);
	struct loop_timer *self = loop_timer_new(r.loop, free_self, &r);
	uint64_t t0 = loop_now_ms();
	int ret;

	loop_timer_set(b, 5);
	loop_timer_set(a, 5);		/* same deadline, set later: after b */
	loop_timer_set(c, 1);
	loop_timer_cancel(c);
	loop_timer_set(self, 1);
	loop_timer_set(stop, 30);
	ok(loop_timer_armed(a) && !loop_timer_armed(c),
	       "timers: armed once set, not once cancelled");
	ret = loop_run(r.loop);		/* TAP_OK evaluates twice */
	ok(ret == 0, "loop_run returns 0 after loop_stop");
	ok(r.n == 2 && !memcmp(r.order, "ba", 2),
	       "timers: equal deadlines fire in the order set, a cancelled one never (%.*s)",
	       r.n, r.order);
	ok(loop_now_ms() - t0 >= 30, "timers: none fires early");
	ok(r.called, "a timer may free itself in its callback");
	ok(!loop_timer_armed(a), "a fired timer is no longer armed");
	loop_timer_free(a);
	loop_timer_free(b);
	loop_timer_free(c);
	loop_timer_free(stop);
	loop_free(r.loop);
}

static void on_read(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct rec *r = arg;
	char buf[16];

	r->events |= events;
	r->n++;
	if (read(loop_fd_fd(lfd), buf, sizeof(buf)) < 0)
		r->err = errno;
	loop_fd_del(lfd);	/* from inside its own callback */
	loop_stop(r->loop);
}

static void test_fds(void)
{
	struct rec r = { .loop = loop_new() };
	struct loop_fd *lfd, *dup;
	ssize_t ret;
	int p[2];

	if (pipe(p)) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	lfd = loop_fd_add(r.loop, p[0], EPOLLIN, on_read, &r);
	ok(lfd && loop_fd_fd(lfd) == p[0], "loop_fd_add on a pipe");
	ok(!(fcntl(p[0], F_GETFL) & O_NONBLOCK),
	       "loop_fd_add leaves a blocking fd blocking");
	dup = loop_fd_add(r.loop, p[0], EPOLLIN, on_read, &r);
	ok(!dup && errno == EEXIST, "the same fd twice: EEXIST");
	ret = write(p[1], "x", 1);
	ok(ret == 1, "write to the pipe");
	loop_run(r.loop);
	ok(r.n == 1 && (r.events & EPOLLIN), "EPOLLIN reported once");
	lfd = loop_fd_add(r.loop, p[0], EPOLLIN, on_read, &r);
	ok(lfd != NULL, "the fd can be watched again once deleted");
	r.events = 0;
	close(p[1]);
	loop_run(r.loop);
	ok(r.events & (EPOLLIN | EPOLLHUP),
	       "the writer's close wakes the reader (events %#x)", r.events);
	close(p[0]);
	loop_free(r.loop);
}

static void on_signal(struct loop_signal *s, int signum, void *arg)
{
	struct rec *r = arg;

	(void)s;
	r->signum = signum;
	loop_stop(r->loop);
}

static void fail_cb(struct loop_timer *t, void *arg)
{
	struct rec *r = arg;

	(void)t;
	loop_fail(r->loop, -ENOENT);
}

static void test_signal_and_fail(void)
{
	struct rec r = { .loop = loop_new() };
	struct loop_signal *s = loop_signal_new(r.loop, SIGUSR1, on_signal,
						&r);
	struct loop_timer *t = loop_timer_new(r.loop, fail_cb, &r);
	int ret;

	ok(s != NULL, "loop_signal_new(SIGUSR1)");
	raise(SIGUSR1);
	loop_run(r.loop);
	ok(r.signum == SIGUSR1, "SIGUSR1 reaches its callback in the loop");
	loop_signal_free(s);
	loop_timer_set(t, 0);
	ret = loop_run(r.loop);
	ok(ret == -ENOENT, "loop_fail's error from loop_run");
	loop_timer_set(t, 0);
	loop_timer_cancel(t);
	loop_timer_free(t);
	loop_free(r.loop);
}

static void on_resolved(struct addrinfo *ai, int err, void *arg)
{
	struct rec *r = arg;

	r->called = true;
	r->err = err;
	r->family = ai ? ai->ai_family : 0;
	if (ai)
		freeaddrinfo(ai);
	loop_stop(r->loop);
}

static void never(struct addrinfo *ai, int err, void *arg)
{
	struct rec *r = arg;

	(void)ai;
	(void)err;
	r->n++;
}

static void test_resolve(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST };
	struct rec r = { .loop = loop_new() };
	struct resolve *res;

	res = resolve_start(r.loop, "127.0.0.1", "2092", &hints, on_resolved,
			    &r);
	ok(res != NULL, "resolve_start(127.0.0.1)");
	loop_run(r.loop);
	ok(r.called && !r.err && r.family == AF_INET,
	       "127.0.0.1 resolves to an IPv4 address");
	r.called = false;
	resolve_start(r.loop, "not an address", NULL, &hints, on_resolved,
		      &r);
	loop_run(r.loop);
	ok(r.called && r.err && r.family == 0 &&
	       resolve_strerror(r.err)[0],
	       "a bad name: an error for the log (%s)",
	       resolve_strerror(r.err));
	res = resolve_start(r.loop, "127.0.0.1", NULL, &hints, never, &r);
	resolve_cancel(res);
	resolve_cancel(NULL);
	loop_free(r.loop);	/* waits for the request; frees it */
	ok(r.n == 0, "a cancelled resolution never calls back");
}

static void on_exit_cb(int status, int sig, void *arg)
{
	struct rec *r = arg;

	r->called = true;
	r->status = status;
	r->sig = sig;
	loop_stop(r->loop);
}

static void test_spawn(void)
{
	struct rec r = { .loop = loop_new() };
	struct spawn *s;

	s = spawn_start(r.loop, (char *[]){ "sh", "-c", "exit 3", NULL },
			on_exit_cb, &r);
	ok(s != NULL, "spawn_start(sh -c 'exit 3')");
	loop_run(r.loop);
	ok(r.called && r.status == 3 && !r.sig,
	       "its exit status reaches the callback (%d)", r.status);
	r.called = false;
	spawn_start(r.loop, (char *[]){ "sh", "-c", "kill -TERM $$", NULL },
		    on_exit_cb, &r);
	loop_run(r.loop);
	ok(r.called && r.status == -1 && r.sig == SIGTERM,
	       "a child ended by a signal: status -1 and the signal");
	s = spawn_start(r.loop, (char *[]){ "/nonexistent/nmb", NULL },
			on_exit_cb, &r);
	ok(!s && errno == ENOENT, "no such program: NULL and ENOENT");
	r.called = false;
	s = spawn_start(r.loop, (char *[]){ "true", NULL }, on_exit_cb, &r);
	spawn_forget(s);
	spawn_forget(NULL);
	loop_free(r.loop);	/* reaps it */
	ok(!r.called, "a forgotten child never calls back");
}

int main(void)
{
	nmb_log_init("loop_test", LOG_ERR);
	test_timers();
	test_fds();
	test_signal_and_fail();
	test_resolve();
	test_spawn();
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * virtual.c - the emulated boards' lifecycle, owned by the exporter. A
 * grant (the allow-list gets a holder) makes a fresh qcow2 overlay of the
 * base disk and powers the board on; a return powers it off over QMP and
 * deletes the overlay, so the next holder never sees what this one wrote.
 * QEMU gets its UARTs and QMP as socket pairs (no files, no ports), dies
 * with the exporter (PR_SET_PDEATHSIG) and is watched through a pidfd:
 * an unexpected exit leaves the board off with the reason kept, and the
 * reservation untouched.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exporter.h"
#include "log.h"
#include "loop.h"
#include "virtual.h"

#define QUIT_GRACE_MS	3000	/* quit over QMP, then SIGKILL */
#define ARGV_MAX	96

static const char overlay_prefix[] = "nmb-overlay-";

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The board's power or its reason may have changed: since is restamped
 * if so, and the server link told (part_state, protocol.rst).
 */
static void changed(struct virt *v)
{
	struct part_state now;

	virtual_part_state(v, &now);
	if (part_state_same(&now, &v->told))
		return;
	now.since_ms = wall_ms();
	v->told = now;
	if (v->exp && v->exp->part_changed)
		v->exp->part_changed(v->place, v->part);
}

static void on_qmp_status(struct virt *v)
{
	changed(v);
}


/* Overlays of a run that died (kill -9, power loss): never reused. */
static void remove_stale(const char *dir, const char *place)
{
	size_t plen = strlen(overlay_prefix), nlen = strlen(place);
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, overlay_prefix, plen) != 0 ||
		    strncmp(d->d_name + plen, place, nlen) != 0 ||
		    d->d_name[plen + nlen] != '.')
			continue;
		if (unlinkat(dirfd(dp), d->d_name, 0) == 0)
			log_notice("%s/%s: overlay of an earlier run removed",
				   dir, d->d_name);
	}
	closedir(dp);
}

static int run_wait(char *const argv[], char *err, size_t size)
{
	int pipefd[2], status;
	char out[512] = "";
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	close(pipefd[0]);
	out[got] = 0;
	out[strcspn(out, "\n")] = 0;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(err, size, "%s", out[0] ? out : "failed");
	return -EIO;
}

static int make_overlay(struct virt *v, char *err, size_t size)
{
	char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b",
			 (char *)v->disk, "-F", (char *)v->disk_format,
			 v->overlay, NULL };
	int ret;

	if (!v->disk)
		return 0;
	unlink(v->overlay);
	ret = run_wait(argv, err, size);
	if (ret) {
		unlink(v->overlay);
		log_err("%s: cannot create the overlay %s of %s: %s; the board stays off, fix it and power on again",
			v->name, v->overlay, v->disk, err);
	}
	return ret;
}

static void drop_overlay(struct virt *v)
{
	if (v->disk && v->overlay && unlink(v->overlay) == 0)
		log_info("%s: overlay %s discarded", v->name, v->overlay);
}

static void describe_exit(struct virt *v, int status)
{
	const char *reason = qmp_shutdown_reason(v->qmp);
	char how[64];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof(how), "exited with status %d",
			 WEXITSTATUS(status));
	snprintf(v->last_exit, sizeof(v->last_exit), "QEMU %s%s%s", how,
		 reason[0] ? " after " : "", reason);
}

static void close_serial(struct virt *v)
{
	int i;

	for (i = 0; i < 2; i++) {
		loop_fd_del(v->serial_lfd[i]);
		v->serial_lfd[i] = NULL;
		if (v->serial_fd[i] >= 0)
			close(v->serial_fd[i]);
		v->serial_fd[i] = -1;
	}
	qmp_free(v->qmp);
	v->qmp = NULL;
}

static void on_exit_of_qemu(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct virt *v = arg;
	bool expected = v->power == VIRT_STOPPING;
	int status = 0;

	(void)lfd;
	(void)events;
	if (waitpid(v->pid, &status, WNOHANG) <= 0)
		return;
	describe_exit(v, status);
	loop_fd_del(v->pid_lfd);
	v->pid_lfd = NULL;
	close(v->pidfd);
	v->pidfd = -1;
	v->pid = 0;
	loop_timer_cancel(v->kill_timer);
	close_serial(v);
	v->power = VIRT_OFF;
	if (expected)
		log_info("%s: powered off (%s)", v->name, v->last_exit);
	else
		log_warn("%s: %s; the board is off, the reservation stays; power it on again to restart",
			 v->name, v->last_exit);
	changed(v);
	if (v->want_on) {
		char err[256];

		v->want_on = false;
		virtual_power_on(v, err, sizeof(err));
	}
}

static void on_kill_timer(struct loop_timer *t, void *arg)
{
	struct virt *v = arg;

	(void)t;
	if (v->pid > 0) {
		log_warn("%s: QEMU did not quit within %d ms; killed", v->name,
			 QUIT_GRACE_MS);
		kill(v->pid, SIGKILL);
	}
}

static void on_serial(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct virt *v = arg;
	int uart = lfd == v->serial_lfd[0] ? 0 : 1;
	char buf[4096];
	ssize_t n;

	(void)events;
	n = recv(v->serial_fd[uart], buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		loop_fd_del(v->serial_lfd[uart]);
		v->serial_lfd[uart] = NULL;
		return;
	}
	if (v->power != VIRT_ON)
		return;		/* a board being switched off says nothing */
	vport_board_output(v->port[uart ? VPORT_GPIO : VPORT_CONSOLE], buf,
			   (size_t)n);
}

static void add_arg(const char **argv, size_t *n, const char *s)
{
	if (*n < ARGV_MAX - 1)
		argv[(*n)++] = s;
}

/* An option and its value: "-m", "1G". */
static void add_opt(const char **argv, size_t *n, const char *opt,
		    const char *val)
{
	add_arg(argv, n, opt);
	add_arg(argv, n, val);
}

static int build_argv(struct virt *v, const char **argv, char fds[3][96],
		      int child_fd[3], char *drive, size_t drive_size,
		      char *nic, size_t nic_size, char *smp, size_t smp_size)
{
	size_t n = 0, i;

	add_arg(argv, &n, "qemu-system-aarch64");
	add_arg(argv, &n, "-M");
	add_arg(argv, &n, v->machine);
	if (!strcmp(v->machine, "virt")) {
		add_opt(argv, &n, "-cpu", "max");
	}
	add_opt(argv, &n, "-m", v->memory);
	if (v->cpus) {
		snprintf(smp, smp_size, "%lld", v->cpus);
		add_opt(argv, &n, "-smp", smp);
	}
	add_opt(argv, &n, "-kernel", v->kernel);
	if (v->dtb) {
		add_opt(argv, &n, "-dtb", v->dtb);
	}
	if (v->initrd) {
		add_opt(argv, &n, "-initrd", v->initrd);
	}
	add_opt(argv, &n, "-append", v->append);
	add_opt(argv, &n, "-display", "none");
	add_opt(argv, &n, "-monitor", "none");
	add_opt(argv, &n, "-parallel", "none");
	snprintf(fds[0], sizeof(fds[0]), "socket,id=uart0,fd=%d,server=off",
		 child_fd[0]);
	snprintf(fds[1], sizeof(fds[1]), "socket,id=uart1,fd=%d,server=off",
		 child_fd[1]);
	snprintf(fds[2], sizeof(fds[2]), "socket,id=qmp,fd=%d,server=off",
		 child_fd[2]);
	add_opt(argv, &n, "-chardev", fds[0]);
	add_opt(argv, &n, "-chardev", fds[1]);
	add_opt(argv, &n, "-chardev", fds[2]);
	add_opt(argv, &n, "-serial", "chardev:uart0");
	add_opt(argv, &n, "-serial", "chardev:uart1");
	add_opt(argv, &n, "-mon", "chardev=qmp,mode=control");
	if (v->disk) {
		snprintf(drive, drive_size, "if=%s,file=%s,format=qcow2",
			 strcmp(v->machine, "raspi3b") ? "virtio" : "sd",
			 v->overlay);
		add_opt(argv, &n, "-drive", drive);
	}
	add_arg(argv, &n, "-nic");
	if (v->ssh) {
		/* user-mode networking, reachable from 127.0.0.1 only */
		snprintf(nic, nic_size, "user,hostfwd=tcp:127.0.0.1:%u-:22",
			 v->ssh_port);
		add_arg(argv, &n, nic);
	} else {
		add_arg(argv, &n, "none");
	}
	for (i = 0; i < v->n_qemu_args; i++)
		add_arg(argv, &n, v->qemu_args[i]);
	argv[n] = NULL;
	return n < ARGV_MAX - 1 ? 0 : -E2BIG;
}

static int spawn(struct virt *v, char *err, size_t size)
{
	const char *argv[ARGV_MAX];
	char fds[3][96], drive[4200], nic[96], smp[24];
	int pair[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }, child[3];
	pid_t parent = getpid(), pid;
	int i, ret;

	for (i = 0; i < 3; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
			       SOCK_NONBLOCK, 0, pair[i])) {
			ret = -errno;
			snprintf(err, size, "socketpair: %s", strerror(errno));
			goto fail;
		}
	for (i = 0; i < 3; i++)
		child[i] = pair[i][1];
	if (build_argv(v, argv, fds, child, drive, sizeof(drive), nic,
		       sizeof(nic), smp, sizeof(smp))) {
		snprintf(err, size, "too many qemu_args");
		ret = -E2BIG;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, size, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		sigset_t all;

		/* QEMU never outlives the exporter, even after kill -9 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		for (i = 0; i < 3; i++) {
			int fl = fcntl(child[i], F_GETFD);

			fcntl(child[i], F_SETFD, fl & ~FD_CLOEXEC);
		}
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "nmb-exporter: cannot run qemu-system-aarch64: %s; apt-get install qemu-system-arm\n",
			strerror(errno));
		_exit(127);
	}
	for (i = 0; i < 3; i++) {
		close(pair[i][1]);
		pair[i][1] = -1;
	}
	v->pid = pid;
	v->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	v->serial_fd[0] = pair[0][0];
	v->serial_fd[1] = pair[1][0];
	v->qmp = qmp_new(v, pair[2][0], on_qmp_status);
	if (!v->qmp)
		close(pair[2][0]);
	if (v->pidfd >= 0)
		v->pid_lfd = loop_fd_add(v->exp->loop, v->pidfd, EPOLLIN,
					 on_exit_of_qemu, v);
	for (i = 0; i < 2; i++)
		v->serial_lfd[i] = loop_fd_add(v->exp->loop, v->serial_fd[i],
					       EPOLLIN, on_serial, v);
	if (!v->pid_lfd || !v->qmp || !v->serial_lfd[0] || !v->serial_lfd[1]) {
		kill(pid, SIGKILL);
		snprintf(err, size, "cannot watch QEMU (pid %d)", (int)pid);
		v->power = VIRT_STOPPING;
		return -ENOMEM;
	}
	return 0;
fail:
	for (i = 0; i < 3; i++) {
		if (pair[i][0] >= 0)
			close(pair[i][0]);
		if (pair[i][1] >= 0)
			close(pair[i][1]);
	}
	return ret;
}

int virtual_power_on(struct virt *v, char *err, size_t size)
{
	int ret;

	if (v->power == VIRT_ON)
		return 0;
	if (v->power == VIRT_STOPPING) {
		v->want_on = true;	/* once the old QEMU has gone */
		return 0;
	}
	if (v->disk && access(v->overlay, F_OK)) {
		ret = make_overlay(v, err, size);
		if (ret)
			goto fail;
	}
	ret = spawn(v, err, size);
	if (ret) {
		log_err("%s: cannot start QEMU: %s", v->name, err);
		goto fail;
	}
	v->power = VIRT_ON;
	v->boots++;
	v->last_exit[0] = 0;
	vport_board_reset(v->port[VPORT_CONSOLE]);
	vport_board_reset(v->port[VPORT_GPIO]);
	log_notice("%s: powered on (QEMU pid %d, boot %u)", v->name,
		   (int)v->pid, v->boots);
	changed(v);
	return 0;
fail:
	snprintf(v->last_exit, sizeof(v->last_exit), "cannot power on: %s",
		 err);
	changed(v);
	return ret;
}

void virtual_power_off(struct virt *v)
{
	v->want_on = false;
	if (v->power != VIRT_ON)
		return;
	v->power = VIRT_STOPPING;
	if (!v->qmp || qmp_command(v->qmp, "quit"))
		kill(v->pid, SIGKILL);
	loop_timer_set(v->kill_timer, QUIT_GRACE_MS);
	changed(v);
}

int virtual_reset(struct virt *v, char *err, size_t size)
{
	if (v->power != VIRT_ON) {
		snprintf(err, size, "the board is off");
		return -ENODEV;
	}
	if (!v->qmp || qmp_command(v->qmp, "system_reset")) {
		snprintf(err, size, "QMP system_reset failed");
		return -EIO;
	}
	vport_board_reset(v->port[VPORT_CONSOLE]);
	log_notice("%s: reset", v->name);
	return 0;
}

int virtual_serial_write(struct virt *v, int uart, const void *buf,
			 size_t len)
{
	ssize_t n;

	if (v->power != VIRT_ON || v->serial_fd[uart] < 0)
		return -ENODEV;
	n = send(v->serial_fd[uart], buf, len, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EAGAIN;
}

const char *virtual_state(const struct virt *v, char *buf, size_t size)
{
	const char *power = v->power == VIRT_ON ? "on" :
			    v->power == VIRT_STOPPING ? "stopping" : "off";

	unsigned int resets;
	const char *status;

	if (v->power == VIRT_ON) {
		status = qmp_status(v->qmp, &resets);
		snprintf(buf, size, "on: QEMU %s, boot %u, %u reset(s)", status,
			 v->boots, resets);
		return buf;
	}
	snprintf(buf, size, "%s%s%s", power, v->last_exit[0] ? ": " : "",
		 v->last_exit);
	return buf;
}

void virtual_part_state(const struct virt *v, struct part_state *out)
{
	unsigned int resets;
	const char *status;

	memset(out, 0, sizeof(*out));
	out->part = v->part;
	out->since_ms = v->told.since_ms;
	switch (v->power) {
	case VIRT_OFF:
		out->power = PART_POWER_OFF;
		snprintf(out->reason, sizeof(out->reason), "%s", v->last_exit);
		break;
	case VIRT_STOPPING:
		out->power = PART_POWER_STOPPING;
		break;
	case VIRT_ON:
		/* "starting" until QMP told QEMU's run state */
		status = qmp_status(v->qmp, &resets);
		out->power = strcmp(status, "unknown") != 0 ? PART_POWER_ON :
			     PART_POWER_STARTING;
		if (out->power == PART_POWER_ON &&
		    strcmp(status, "running") != 0)
			snprintf(out->reason, sizeof(out->reason),
				 "QEMU %s", status);
		break;
	}
}

static bool same_set(char **a, size_t na, char **b, size_t nb)
{
	size_t i, j;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && strcmp(a[i], b[j]) != 0; j++)
			;
		if (j == nb)
			return false;
	}
	return true;
}

void virtual_holders_changed(struct place *p, char **old, size_t n_old)
{
	size_t i;

	if (same_set(old, n_old, p->allowed, p->n_allowed))
		return;
	for (i = 0; i < p->n_parts; i++) {
		struct virt *v = p->parts[i].virt;
		char err[256];

		if (!v || !v->exp)
			continue;
		if (v->held) {		/* returned (or handed over) */
			virtual_power_off(v);
			drop_overlay(v);
			/* the next holder sees none of this one's output */
			vport_board_reset(v->port[VPORT_CONSOLE]);
			vport_board_reset(v->port[VPORT_GPIO]);
			v->held = false;
			v->last_exit[0] = 0;
			changed(v);
		}
		if (p->n_allowed && !p->exp->stopping) {
			v->held = true;
			virtual_power_on(v, err, sizeof(err));
		}
	}
}

static void stop_one(struct virt *v)
{
	int i;

	if (v->pid > 0) {
		kill(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
	}
	loop_fd_del(v->pid_lfd);
	v->pid_lfd = NULL;
	if (v->pidfd >= 0)
		close(v->pidfd);
	v->pidfd = -1;
	v->pid = 0;
	close_serial(v);
	drop_overlay(v);
	loop_timer_free(v->kill_timer);
	v->kill_timer = NULL;
	for (i = 0; i < VPORT_N; i++) {
		vport_free(v->port[i]);
		v->port[i] = NULL;
	}
	v->exp = NULL;
}

void virtual_place_stop(struct place *p)
{
	for (size_t j = 0; j < p->n_parts; j++)
		if (p->parts[j].virt)
			stop_one(p->parts[j].virt);
}

void virtual_stop(struct exporter *e)
{
	for (size_t i = 0; i < e->cfg.n_places; i++)
		virtual_place_stop(e->cfg.places[i]);
}

/* A free port on 127.0.0.1 for QEMU's ssh forward (bound, then freed). */
static int pick_port(unsigned int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		ret = -errno;
	*port = ntohs(sa.sin_port);
	close(fd);
	return ret;
}

static int start_one(struct place *p, struct part *pt)
{
	struct virt *v = pt->virt;
	unsigned int port;
	size_t i;
	int err;

	v->exp = p->exp;
	v->place = p;
	v->part = (unsigned int)(pt - p->parts);
	v->told.part = v->part;
	v->told.since_ms = wall_ms();
	if (mkdir(v->overlay_dir, 0700) && errno != EEXIST) {
		log_err("place %s: cannot create overlay_dir %s: %s",
			p->name, v->overlay_dir, strerror(errno));
		return -errno;
	}
	if (asprintf(&v->name, "place %s: virtual board %zu", p->name,
		     (size_t)(pt - p->parts)) < 0 ||
	    asprintf(&v->overlay, "%s/%s%s.%zu.qcow2", v->overlay_dir,
		     overlay_prefix, p->name, (size_t)(pt - p->parts)) < 0)
		return -ENOMEM;
	v->kill_timer = loop_timer_new(p->exp->loop, on_kill_timer, v);
	if (!v->kill_timer)
		return -ENOMEM;
	for (i = 0; i < VPORT_N; i++) {
		struct tcp_if *t = &pt->tcp[v->first_tcp + i];

		err = vport_new(v, (enum vport_kind)i, &v->port[i], &port);
		if (err) {
			log_err("%s: cannot listen on 127.0.0.1 for '%s': %s",
				v->name, t->name, strerror(-err));
			return err;
		}
		t->port = port;
		free(t->target);
		if (asprintf(&t->target, "%s:%u", t->host, t->port) < 0)
			t->target = NULL;
		log_info("%s: %s on 127.0.0.1:%u", v->name, t->name, port);
	}
	if (v->ssh) {
		struct tcp_if *t = &pt->tcp[v->first_tcp + VPORT_N];

		err = pick_port(&v->ssh_port);
		if (err)
			return err;
		t->port = v->ssh_port;
		free(t->target);
		if (asprintf(&t->target, "%s:%u", t->host, t->port) < 0)
			t->target = NULL;
		log_info("%s: ssh on 127.0.0.1:%u", v->name, t->port);
	}
	return 0;
}

int virtual_place_start(struct place *p)
{
	char path[4096];
	size_t j;
	int err;

	for (j = 0; j < p->n_parts; j++) {
		struct virt *v = p->parts[j].virt;

		if (!v)
			continue;
		if (virtual_find_program("qemu-system-aarch64", path,
					 sizeof(path))) {
			log_err("place %s: qemu-system-aarch64 not found; apt-get install qemu-system-arm",
				p->name);
			return -ENOENT;
		}
		remove_stale(v->overlay_dir, p->name);
		err = start_one(p, &p->parts[j]);
		if (err)
			return err;
	}
	return 0;
}

int virtual_start(struct exporter *e)
{
	int err;

	for (size_t i = 0; i < e->cfg.n_places; i++) {
		err = virtual_place_start(e->cfg.places[i]);
		if (err)
			return err;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * probe.c - timing helpers of the attach, bulk, serial and TCP benchmarks
 * (selftests/bench/guest-farm.sh): millisecond clocks that a shell cannot
 * give under TCG, where every exec costs tens of milliseconds.
 *
 * Usage:
 *   probe wait [-t MS] [-r] [-w FILE VALUE] SYSGLOB [CMD ARGS...]
 *	Start the clock, write VALUE into FILE (-w: a gadget's UDC, a
 *	replug), run CMD (if any, its output on stderr) to its end, then
 *	poll every 1 ms
 *	until a sysfs entry matching SYSGLOB names a node /dev/<basename>
 *	that opens (read-write; -r: read-only). Prints "MS NODE".
 *   probe time CMD ARGS...
 *	Run CMD (its output on stderr); prints how long it took, in ms.
 *   probe gone [-t MS] SYSGLOB
 *	Wait until nothing matches SYSGLOB.
 *   probe echo TTY
 *	Raw mode; send back every byte read, until killed (reopening TTY
 *	after a hang-up).
 *   probe rtt TTY N
 *	Raw mode; N round trips of one byte (after 10 unmeasured ones).
 *	Prints the median round trip in ms.
 *   probe serve ADDR PORT
 *	TCP server: reads a line "N\n", writes N bytes, closes; forever.
 *   probe fetch ADDR PORT N
 *	Start the clock, connect, ask for N bytes, read them all. Prints
 *	"MS_FIRST_BYTE MS_TOTAL MB_PER_S".
 *   probe stats NAME UNIT < numbers
 *	Prints "bench NAME median=.. min=.. max=.. n=.. unit=UNIT".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (1 << 20)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void nap_1ms(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

static int die(const char *what)
{
	fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
	return 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: probe wait [-t MS] [-r] [-w FILE VALUE] SYSGLOB [CMD...] |\n"
		"       time CMD... | gone [-t MS] SYSGLOB | echo TTY |\n"
		"       rtt TTY N | serve ADDR PORT | fetch ADDR PORT N |\n"
		"       stats NAME UNIT\n");
	return 2;
}

/* The node of the first entry matching pattern that opens, into node. */
static int find_node(const char *pattern, int flags, char *node, size_t len)
{
	glob_t g;
	size_t i;
	int found = 0;

	if (glob(pattern, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && !found; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/');
		int fd;

		snprintf(node, len, "/dev/%s", base ? base + 1 : g.gl_pathv[i]);
		fd = open(node, flags | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			found = 1;
		}
	}
	globfree(&g);
	return found;
}

static int run_cmd(char **argv)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return die("fork");
	if (!pid) {
		dup2(2, 1);	/* stdout carries our figure only */
		execvp(argv[0], argv);
		fprintf(stderr, "probe: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "probe: %s failed (status %d)\n", argv[0], st);
		return 1;
	}
	return 0;
}

struct wait_opts {
	double timeout;
	int ro;
	const char *file, *value;
};

static int wait_opt(int *argc, char ***argv, struct wait_opts *o)
{
	while (*argc > 0 && (*argv)[0][0] == '-') {
		if (!strcmp((*argv)[0], "-w") && *argc > 2) {
			o->file = (*argv)[1];
			o->value = (*argv)[2];
			*argc -= 3;
			*argv += 3;
		} else if (!strcmp((*argv)[0], "-t") && *argc > 1) {
			o->timeout = atof((*argv)[1]);
			*argc -= 2;
			*argv += 2;
		} else if (!strcmp((*argv)[0], "-r")) {
			o->ro = 1;
			(*argc)--;
			(*argv)++;
		} else {
			return -1;
		}
	}
	return *argc > 0 ? 0 : -1;
}

static int write_file(const char *file, const char *value)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(value);

	if (fd < 0 || write(fd, value, n) != (ssize_t)n) {
		fprintf(stderr, "probe: cannot write %s to %s: %s\n", value,
			file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int cmd_wait(int argc, char **argv)
{
	struct wait_opts o = { .timeout = 30000 };
	char node[512];
	double t0;

	if (wait_opt(&argc, &argv, &o))
		return usage();
	t0 = now_ms();
	if (o.file && write_file(o.file, o.value))
		return 1;
	if (argc > 1 && run_cmd(argv + 1))
		return 1;
	while (!find_node(argv[0], o.ro ? O_RDONLY : O_RDWR, node,
			  sizeof(node))) {
		if (now_ms() - t0 > o.timeout) {
			fprintf(stderr, "probe: no node for %s within %.0f ms\n",
				argv[0], o.timeout);
			return 1;
		}
		nap_1ms();
	}
	printf("%.3f %s\n", now_ms() - t0, node);
	return 0;
}

static int cmd_time(int argc, char **argv)
{
	double t0 = now_ms();

	if (argc < 1)
		return usage();
	if (run_cmd(argv))
		return 1;
	printf("%.3f\n", now_ms() - t0);
	return 0;
}

static int cmd_gone(int argc, char **argv)
{
	struct wait_opts o = { .timeout = 30000 };
	double t0 = now_ms();
	glob_t g;

	if (wait_opt(&argc, &argv, &o))
		return usage();
	for (;;) {
		int n = glob(argv[0], 0, NULL, &g) ? 0 : (int)g.gl_pathc;

		globfree(&g);
		if (!n)
			return 0;
		if (now_ms() - t0 > o.timeout) {
			fprintf(stderr, "probe: %s still there after %.0f ms\n",
				argv[0], o.timeout);
			return 1;
		}
		nap_1ms();
	}
}

static int open_raw(const char *tty)
{
	struct termios t;
	int fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t)) {
		close(fd);
		return -1;
	}
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t)) {
		close(fd);
		return -1;
	}
	tcflush(fd, TCIOFLUSH);
	return fd;
}

/*
 * The gadget side hangs its tty up at every disconnect (each detach resets
 * the device): reopen it then, and go on.
 */
static int cmd_echo(int argc, char **argv)
{
	char buf[4096];
	int fd = -1;

	if (argc != 1)
		return usage();
	for (;;) {
		ssize_t n;

		if (fd < 0) {
			fd = open_raw(argv[0]);
			if (fd < 0) {
				if (errno != EIO && errno != ENODEV)
					return die(argv[0]);
				usleep(10000);
				continue;
			}
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write(fd, buf, (size_t)n) != n) {
			close(fd);
			fd = -1;
			usleep(10000);
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One byte out and back; an answer must come within 5 s. */
static int one_trip(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c = 'x';

	if (write(fd, &c, 1) != 1)
		return -1;
	for (;;) {
		ssize_t n;
		int r = poll(&p, 1, 5000);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			errno = r ? errno : ETIMEDOUT;
			return -1;
		}
		n = read(fd, &c, 1);
		if (n == 1)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

static int cmd_rtt(int argc, char **argv)
{
	int fd, n, i;
	double *v;

	if (argc != 2)
		return usage();
	n = atoi(argv[1]);
	if (n < 1)
		return usage();
	fd = open_raw(argv[0]);
	if (fd < 0)
		return die(argv[0]);
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return die("calloc");
	for (i = 0; i < 10; i++)
		if (one_trip(fd))
			return die("warm-up round trip");
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		if (one_trip(fd))
			return die("round trip");
		v[i] = now_ms() - t0;
	}
	printf("%.3f\n", median(v, (size_t)n));
	free(v);
	close(fd);
	return 0;
}

static int addr_of(const char *host, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void serve_one(int fd, char *buf)
{
	char line[64];
	size_t len = 0;
	long long want;

	while (len < sizeof(line) - 1) {
		ssize_t n = read(fd, line + len, 1);

		if (n <= 0)
			return;
		if (line[len++] == '\n')
			break;
	}
	line[len] = 0;
	want = atoll(line);
	while (want > 0) {
		size_t k = want > BUF_SIZE ? BUF_SIZE : (size_t)want;

		if (write_all(fd, buf, k))
			return;
		want -= (long long)k;
	}
}

static int cmd_serve(int argc, char **argv)
{
	struct sockaddr_in sa;
	int one = 1, lfd;
	char *buf;

	if (argc != 2 || addr_of(argv[0], argv[1], &sa))
		return usage();
	buf = calloc(1, BUF_SIZE);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!buf || lfd < 0)
		return die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16))
		return die("bind/listen");
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return die("accept");
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve_one(fd, buf);
		close(fd);
	}
}

static int cmd_fetch(int argc, char **argv)
{
	struct sockaddr_in sa;
	double t0, first = -1;
	long long want, got = 0;
	char line[64], *buf;
	int fd, one = 1;

	if (argc != 3 || addr_of(argv[0], argv[1], &sa))
		return usage();
	want = atoll(argv[2]);
	if (want < 1)
		return usage();
	buf = malloc(BUF_SIZE);
	if (!buf)
		return die("malloc");
	t0 = now_ms();
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	snprintf(line, sizeof(line), "%lld\n", want);
	if (write_all(fd, line, strlen(line)))
		return die("write");
	while (got < want) {
		ssize_t n = read(fd, buf, BUF_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (first < 0)
			first = now_ms() - t0;
		got += n;
	}
	if (got != want) {
		fprintf(stderr, "probe: got %lld of %lld bytes\n", got, want);
		return 1;
	}
	t0 = now_ms() - t0;
	printf("%.3f %.3f %.1f\n", first, t0, (double)want / 1e6 / (t0 / 1e3));
	close(fd);
	free(buf);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	double *v = NULL, x;
	size_t n = 0, cap = 0;
	double mid;

	if (argc != 2)
		return usage();
	while (scanf("%lf", &x) == 1) {
		if (n == cap) {
			double *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				return die("realloc");
			v = nv;
		}
		v[n++] = x;
	}
	if (!n) {
		fprintf(stderr, "probe: no figures for %s\n", argv[0]);
		return 1;
	}
	mid = median(v, n);
	printf("bench %s median=%.2f min=%.2f max=%.2f n=%zu unit=%s\n",
	       argv[0], mid, v[0], v[n - 1], n, argv[1]);
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "wait", cmd_wait }, { "time", cmd_time }, { "gone", cmd_gone },
		{ "echo", cmd_echo }, { "rtt", cmd_rtt },
		{ "serve", cmd_serve }, { "fetch", cmd_fetch },
		{ "stats", cmd_stats },
	};
	size_t i;

	if (argc < 2)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	return usage();
}

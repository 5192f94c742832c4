// SPDX-License-Identifier: GPL-2.0
/*
 * load.c - load generator for nmb-server (`make bench`): N exporters and
 * M agents in one process over real loopback WebSockets (a minimal
 * RFC 6455 client on lib/loop), measuring reserve+return cycles/s, time
 * to reserve under contention, and server RSS per idle connection.
 *
 * Usage: load -s build/nmb-server [-p PORT] [-d SECONDS] [-i IDLE_MAX]
 *        load -p PORT -P SERVER_PID ...   (a server started elsewhere)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"

enum role { EXPORTER, AGENT, IDLE };
enum phase { P_CONNECTING, P_HANDSHAKE, P_READY, P_RESERVING, P_RETURNING,
	     P_DONE };

struct wsc {
	int fd;
	struct loop_fd *lfd;
	enum role role;
	enum phase phase;
	bool want_out, upgraded;
	char *in, *out;
	size_t in_len, in_cap, out_len, out_cap;
	int64_t next_id;
	int place;		/* exporter: its id; agent: its target */
	uint64_t t_sent;
	long cycles;
};

static struct loop *loop;
static int port = 12092;
static bool running;
static long total_cycles;
static unsigned int pending;	/* connections still setting up */
static uint64_t *lat;		/* reserve latencies (ns) */
static size_t nlat, caplat;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void conn_events(struct wsc *c)
{
	bool want = c->out_len > 0 || c->phase == P_CONNECTING;

	if (want != c->want_out) {
		c->want_out = want;
		loop_fd_mod(c->lfd, EPOLLIN | (want ? EPOLLOUT : 0));
	}
}

static void out_append(struct wsc *c, const void *p, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		c->out_cap = (c->out_len + n) * 2;
		c->out = realloc(c->out, c->out_cap);
		if (!c->out)
			die("realloc");
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

static void flush(struct wsc *c)
{
	while (c->out_len) {
		ssize_t n = write(c->fd, c->out, c->out_len);

		if (n < 0) {
			if (errno == EAGAIN)
				break;
			die("write");
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	conn_events(c);
}

/* One masked binary frame (mask key 0: payload unchanged). */
static void send_frame(struct wsc *c, int opcode, const char *p, size_t n)
{
	unsigned char h[14];
	size_t hl = 2;

	h[0] = 0x80 | (unsigned char)opcode;
	if (n < 126) {
		h[1] = 0x80 | (unsigned char)n;
	} else if (n < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)(n >> (56 - 8 * i));
		hl = 10;
	}
	memset(h + hl, 0, 4);
	out_append(c, h, hl + 4);
	out_append(c, p, n);
}

static void send_msg(struct wsc *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void send_msg(struct wsc *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	send_frame(c, 2, buf, (size_t)n);
}

static void reserve(struct wsc *c)
{
	c->phase = P_RESERVING;
	c->t_sent = loop_now_ns();
	send_msg(c, "{\"jsonrpc\": \"2.0\", \"id\": %lld, \"method\": \"reserve\", \"params\": [[%d]]}",
		 (long long)c->next_id++, c->place);
}

static void on_message(struct wsc *c, const char *p, size_t n)
{
	static struct json_tokener *tok;
	json_object *m, *v, *id;

	if (!tok)
		tok = json_tokener_new();
	json_tokener_reset(tok);
	m = json_tokener_parse_ex(tok, p, (int)n);
	if (!m)
		return;
	if (json_object_object_get_ex(m, "method", &v)) {
		if (json_object_object_get_ex(m, "id", &id) && id)
			send_msg(c, "{\"jsonrpc\": \"2.0\", \"id\": %lld, \"result\": null}",
				 (long long)json_object_get_int64(id));
		goto out;
	}
	if (json_object_object_get_ex(m, "error", &v)) {
		fprintf(stderr, "load: error from server: %s\n",
			json_object_to_json_string(v));
		exit(1);
	}
	json_object_object_get_ex(m, "result", &v);
	if (c->role == EXPORTER && c->phase == P_HANDSHAKE) {
		c->place = json_object_get_int(v);
		c->phase = P_READY;
		pending--;
	} else if (c->phase == P_RESERVING) {
		if (nlat == caplat) {
			caplat = caplat ? caplat * 2 : 65536;
			lat = realloc(lat, caplat * sizeof(*lat));
		}
		lat[nlat++] = loop_now_ns() - c->t_sent;
		c->phase = P_RETURNING;
		send_msg(c, "{\"jsonrpc\": \"2.0\", \"id\": %lld, \"method\": \"return_reservation\", \"params\": [%d]}",
			 (long long)c->next_id++, c->place);
	} else if (c->phase == P_RETURNING) {
		c->cycles++;
		total_cycles++;
		if (running)
			reserve(c);
		else
			c->phase = P_DONE;
	}
out:
	json_object_put(m);
}

static void on_open(struct wsc *c)
{
	if (c->role == EXPORTER) {
		send_msg(c, "{\"jsonrpc\": \"2.0\", \"id\": %lld, \"method\": \"register_place\", \"params\": [{\"name\": \"bench-%d\", \"port\": 2192, \"parts\": [{\"compatible\": [\"bench\"], \"usb\": {}, \"tcp\": {}}]}]}",
			 (long long)c->next_id++, c->fd);
		return;
	}
	c->phase = P_READY;
	pending--;
}

static void parse_input(struct wsc *c)
{
	size_t off = 0;

	if (!c->upgraded) {
		char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);

		if (!end)
			return;
		if (c->in_len < 12 || memcmp(c->in + 9, "101", 3) != 0) {
			fprintf(stderr, "load: upgrade refused: %.40s\n", c->in);
			exit(1);
		}
		off = (size_t)(end - c->in) + 4;
		c->upgraded = true;
		on_open(c);
	}
	while (c->in_len - off >= 2) {
		unsigned char *h = (unsigned char *)c->in + off;
		size_t n = h[1] & 0x7f, hl = 2;

		if (n == 126) {
			if (c->in_len - off < 4)
				break;
			n = (size_t)h[2] << 8 | h[3];
			hl = 4;
		} else if (n == 127) {
			if (c->in_len - off < 10)
				break;
			n = 0;
			for (int i = 0; i < 8; i++)
				n = n << 8 | h[2 + i];
			hl = 10;
		}
		if (c->in_len - off < hl + n)
			break;
		switch (h[0] & 0x0f) {
		case 1:
		case 2:
			on_message(c, (char *)h + hl, n);
			break;
		case 9:
			send_frame(c, 10, (char *)h + hl, n);
			break;
		case 8:
			fprintf(stderr, "load: server closed a connection\n");
			exit(1);
		}
		off += hl + n;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void on_event(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct wsc *c = arg;

	(void)lfd;
	if (c->phase == P_CONNECTING && (events & EPOLLOUT)) {
		static const char req[] =
			"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			"Upgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			"Sec-WebSocket-Version: 13\r\n\r\n";

		c->phase = P_HANDSHAKE;
		out_append(c, req, sizeof(req) - 1);
	}
	if (events & EPOLLIN) {
		for (;;) {
			ssize_t n;

			if (c->in_cap - c->in_len < 4096) {
				c->in_cap = c->in_cap * 2 + 4096;
				c->in = realloc(c->in, c->in_cap);
			}
			n = read(c->fd, c->in + c->in_len,
				 c->in_cap - c->in_len);
			if (n > 0) {
				c->in_len += (size_t)n;
				continue;
			}
			if (n == 0) {
				fprintf(stderr, "load: server closed a connection\n");
				exit(1);
			}
			if (errno != EAGAIN)
				die("read");
			break;
		}
		parse_input(c);
	}
	flush(c);
}

static struct wsc *dial(enum role role)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct wsc *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c)
		die("calloc");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->role = role;
	c->next_id = 1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS)
		die("connect");
	c->want_out = true;
	c->lfd = loop_fd_add(loop, c->fd, EPOLLIN | EPOLLOUT, on_event, c);
	if (!c->lfd)
		die("epoll");
	pending++;
	return c;
}

static void hangup(struct wsc *c)
{
	loop_fd_del(c->lfd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void stop_cb(struct loop_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	loop_stop(loop);
}

/* Runs the loop until pred is true (checked every 10 ms) or timeout. */
static bool run_until(bool (*pred)(void), unsigned int timeout_ms)
{
	struct loop_timer *t = loop_timer_new(loop, stop_cb, NULL);
	uint64_t end = loop_now_ms() + timeout_ms;

	while (!pred() && loop_now_ms() < end) {
		loop_timer_set(t, 10);
		loop_run(loop);
	}
	loop_timer_free(t);
	return pred();
}

static bool all_ready(void)
{
	return pending == 0;
}

static struct wsc **agents;
static unsigned int nagents;

static bool all_done(void)
{
	for (unsigned int i = 0; i < nagents; i++)
		if (agents[i]->phase != P_DONE)
			return false;
	return true;
}

static bool never(void)
{
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(double p)
{
	if (!nlat)
		return 0;
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	return (double)lat[(size_t)(p * (double)(nlat - 1))] / 1e6;
}

static pid_t server_pid;

/* CPU time of the server in ticks (utime + stime). */
static long long cpu_ticks(void)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)server_pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (long long)(ut + st);
}

static double server_cpu;	/* share of one core in the last step */

/* M agents cycling over places[]; returns cycles per second. */
static double cycles(struct wsc **places, unsigned int nplaces,
		     unsigned int m, unsigned int seconds, double *p50,
		     double *p99)
{
	uint64_t t0;
	long long cpu0;
	long c0;

	agents = calloc(m, sizeof(struct wsc *));
	nagents = m;
	for (unsigned int i = 0; i < m; i++) {
		agents[i] = dial(AGENT);
		agents[i]->place = places[i % nplaces]->place;
	}
	if (!run_until(all_ready, 10000)) {
		fprintf(stderr, "load: agents did not connect\n");
		exit(1);
	}
	running = true;
	for (unsigned int i = 0; i < m; i++) {
		reserve(agents[i]);
		flush(agents[i]);
	}
	run_until(never, 300);		/* warm up */
	nlat = 0;
	c0 = total_cycles;
	t0 = loop_now_ns();
	cpu0 = cpu_ticks();
	run_until(never, seconds * 1000);
	server_cpu = (double)(cpu_ticks() - cpu0) / (double)sysconf(_SC_CLK_TCK) /
		     ((double)(loop_now_ns() - t0) / 1e9);
	*p50 = pct(0.5);
	*p99 = pct(0.99);
	c0 = total_cycles - c0;
	t0 = loop_now_ns() - t0;
	running = false;
	run_until(all_done, 10000);
	for (unsigned int i = 0; i < m; i++)
		hangup(agents[i]);
	free(agents);
	run_until(never, 200);		/* let the server drop them */
	return (double)c0 * 1e9 / (double)t0;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static const char *conf_path = "";

static pid_t spawn(const char *bin)
{
	char listen[64];
	pid_t pid;

	static char conf[] = "/tmp/nmb-bench-XXXXXX";
	int cfd = mkstemp(conf);

	/* Warnings only: 10,000 connect lines would measure the logger. */
	if (cfd < 0 || write(cfd, "log_level: warning\n", 19) != 19)
		die("bench configuration");
	close(cfd);
	conf_path = conf;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execl(bin, bin, "-c", conf,
		      "--listen", listen, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static bool connectable(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	unsigned int seconds = 3, idle_max = 10000, nexp = 100;
	const char *bin = NULL;
	struct wsc **places, **idle;
	struct rlimit rl;
	pid_t pid = 0;
	long base;
	int opt;

	while ((opt = getopt(argc, argv, "s:p:P:d:i:e:")) != -1) {
		switch (opt) {
		case 's':
			bin = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'P':
			pid = atoi(optarg);
			break;
		case 'd':
			seconds = (unsigned int)atoi(optarg);
			break;
		case 'i':
			idle_max = (unsigned int)atoi(optarg);
			break;
		case 'e':
			nexp = (unsigned int)atoi(optarg);
			break;
		default:
			fprintf(stderr, "Usage: load -s NMB_SERVER | -p PORT -P PID [-d SECONDS] [-i IDLE_MAX] [-e EXPORTERS]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (bin) {
		pid = spawn(bin);
		for (int i = 0; i < 200 && !connectable(); i++)
			usleep(20000);
		unlink(conf_path);
	}
	if (!pid) {
		fprintf(stderr, "load: give -s NMB_SERVER or -P PID\n");
		return 2;
	}
	server_pid = pid;
	loop = loop_new();
	printf("nmb-server load test: port %d, %u exporters, %u s per step\n",
	       port, nexp, seconds);
	places = calloc(nexp, sizeof(struct wsc *));
	for (unsigned int i = 0; i < nexp; i++)
		places[i] = dial(EXPORTER);
	if (!run_until(all_ready, 10000)) {
		fprintf(stderr, "load: exporters did not register\n");
		return 1;
	}
	static const unsigned int steps[] = { 1, 10, 100 };

	for (unsigned int s = 0; s < 3; s++) {
		double p50, p99, r;

		r = cycles(places, nexp, steps[s], seconds, &p50, &p99);
		printf("cycles: %3u agents, one place each: %8.0f reserve+return/s (reserve p50 %.3f ms, p99 %.3f ms, server CPU %.0f%%)\n",
		       steps[s], r, p50, p99, server_cpu * 100);
		printf("bench server_cycles_%u value=%.0f unit=cycles/s\n",
		       steps[s], r);
		if (server_cpu > 0.01)
			printf("        server capacity estimate: %.0f cycles per CPU-second\n",
			       r / server_cpu);
		fflush(stdout);
	}
	{
		double p50, p99, r;

		r = cycles(places, 5, 50, seconds, &p50, &p99);
		printf("contention: 50 agents on 5 places: %8.0f cycles/s, time to reserve p50 %.3f ms, p99 %.3f ms\n",
		       r, p50, p99);
		printf("bench server_reserve_contended_p99 value=%.3f unit=ms\n",
		       p99);
	}
	base = rss_kib(pid);
	printf("idle: server RSS %ld KiB with %u exporters and no agents\n",
	       base, nexp);
	idle = calloc(idle_max, sizeof(struct wsc *));
	for (unsigned int n = 0; n < idle_max; n += 1000) {
		unsigned int k = idle_max - n < 1000 ? idle_max - n : 1000;
		long now;

		for (unsigned int i = 0; i < k; i++)
			idle[n + i] = dial(IDLE);
		if (!run_until(all_ready, 20000)) {
			fprintf(stderr, "load: idle connections stuck at %u\n",
				n);
			break;
		}
		run_until(never, 100);
		now = rss_kib(pid);
		printf("idle: %5u connections: RSS %7ld KiB, %.1f KiB per connection\n",
		       n + k, now, (double)(now - base) / (double)(n + k));
		if (n + k == idle_max)
			printf("bench server_rss_per_idle_conn value=%.1f unit=KiB n=%u\n",
			       (double)(now - base) / (double)(n + k),
			       idle_max);
		fflush(stdout);
	}
	if (idle_max) {
		double p50, p99, r;

		r = cycles(places, nexp, 100, seconds, &p50, &p99);
		printf("cycles: 100 agents with %u idle connections open: %8.0f reserve+return/s (reserve p50 %.3f ms, p99 %.3f ms, server CPU %.0f%%)\n",
		       idle_max, r, p50, p99, server_cpu * 100);
	}
	if (bin) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * console.c - nmbctl console [--baud N] [--log FILE] NAME [PART.INTERFACE]:
 * an interactive terminal to an attached serial interface, the tty node
 * of a USB interface or the local port of a TCP serial part. The user's
 * terminal is raw while it runs and restored on every way out; Ctrl-]
 * then q leaves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "protocol.h"
#include "subcommands.h"

#define FIELD_MAX	1024
#define ESCAPE_KEY	0x1d	/* Ctrl-] */
#define WRITE_WAIT_MS	5000	/* a device that takes no bytes this long */

struct console_opts {
	unsigned int baud;
	const char *log;
};

/* What the console is connected to. */
struct console_target {
	char what[2 * FIELD_MAX];	/* "board.serial" */
	char path[FIELD_MAX];		/* tty node, or "" for TCP */
	unsigned int port;		/* local TCP port */
};

/* The user's terminal as it was; restored by restore_terminal(). */
static struct termios saved_tio;
static bool tio_saved;

static void restore_terminal(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = false;
}

static const struct {
	unsigned int baud;
	speed_t speed;
} bauds[] = {
	{ 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
	{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
	{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
	{ 500000, B500000 }, { 921600, B921600 }, { 1000000, B1000000 },
	{ 1500000, B1500000 }, { 2000000, B2000000 }, { 3000000, B3000000 },
	{ 4000000, B4000000 },
};

static int baud_speed(unsigned int baud, speed_t *speed)
{
	for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++) {
		if (bauds[i].baud == baud) {
			*speed = bauds[i].speed;
			return 0;
		}
	}
	return -EINVAL;
}

/* /dev/ttyACM0, /dev/ttyUSB0, ...; /dev/pts/N for pty-backed serial. */
static bool is_tty_node(const char *node)
{
	return !strncmp(node, "/dev/tty", 8) || !strncmp(node, "/dev/pts/", 9);
}

/* The first tty node of status entry e into buf; false if it has none. */
static bool tty_node(json_object *e, char *buf, size_t len)
{
	json_object *nodes, *n;

	if (!json_object_object_get_ex(e, "nodes", &nodes) ||
	    !json_object_is_type(nodes, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		n = json_object_array_get_idx(nodes, i);
		if (json_object_is_type(n, json_type_string) &&
		    is_tty_node(json_object_get_string(n))) {
			snprintf(buf, len, "%s", json_object_get_string(n));
			return true;
		}
	}
	return false;
}

static bool is_type(json_object *e, const char *type)
{
	char buf[FIELD_MAX];

	return !strcmp(ctl_field(e, "type", buf, sizeof(buf)), type);
}

static void entry_name(json_object *e, char *buf, size_t len)
{
	char part[FIELD_MAX], iface[FIELD_MAX];

	snprintf(buf, len, "%s.%s", ctl_field(e, "part", part, FIELD_MAX),
		 ctl_field(e, "interface", iface, FIELD_MAX));
}

/* "NAME, NAME" of the entries that pick() likes (NULL: all) into buf. */
static void list_names(json_object *ents, bool (*pick)(json_object *),
		       char *buf, size_t len)
{
	char name[2 * FIELD_MAX];
	size_t used = 0;

	snprintf(buf, len, "none");
	for (size_t i = 0; i < json_object_array_length(ents); i++) {
		json_object *e = json_object_array_get_idx(ents, i);
		int n;

		if (pick && !pick(e))
			continue;
		entry_name(e, name, sizeof(name));
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			     name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static bool serial_usb(json_object *e)
{
	char node[FIELD_MAX];

	return is_type(e, "USB") && tty_node(e, node, sizeof(node));
}

/* The interfaces of place name from the agent's status list (a new list). */
static json_object *place_entries(json_object *status, const char *name)
{
	json_object *ents = json_object_new_array();
	char place[FIELD_MAX];

	for (size_t i = 0; i < json_object_array_length(status); i++) {
		json_object *e = json_object_array_get_idx(status, i);

		if (!strcmp(ctl_field(e, "place", place, sizeof(place)), name))
			json_object_array_add(ents, json_object_get(e));
	}
	return ents;
}

/*
 * Chooses the interface: iface ("PART.INTERFACE") or, without it, the one
 * USB interface with a tty node. Fills t; returns 0 or an exit code.
 */
static int choose(json_object *ents, const char *name, const char *iface,
		  struct console_target *t)
{
	char names[4 * FIELD_MAX], buf[FIELD_MAX], node[FIELD_MAX];
	json_object *found = NULL;
	unsigned int n = 0;

	for (size_t i = 0; i < json_object_array_length(ents); i++) {
		json_object *e = json_object_array_get_idx(ents, i);

		entry_name(e, t->what, sizeof(t->what));
		if (iface ? !strcmp(t->what, iface) : serial_usb(e)) {
			found = e;
			n++;
		}
	}
	if (!json_object_array_length(ents))
		return ctl_fail(CTL_NOT_FOUND, "console", name,
				"no such reservation attached; nmbctl attach %s",
				name);
	if (iface && !found) {
		list_names(ents, NULL, names, sizeof(names));
		return ctl_fail(CTL_NOT_FOUND, "console", name,
				"no interface %s; the place has: %s", iface,
				names);
	}
	if (!iface && n != 1) {
		list_names(ents, n ? serial_usb : NULL, names, sizeof(names));
		return ctl_fail(CTL_USAGE, "console", name,
				n ? "several serial interfaces; name one of: %s" :
				"no USB serial interface; name a TCP serial one of: %s",
				names);
	}
	entry_name(found, t->what, sizeof(t->what));
	if (strcmp(ctl_field(found, "up", buf, sizeof(buf)), "yes") != 0)
		return ctl_fail(CTL_UNAVAILABLE, "console", name,
				"%s is not up; is the board powered? (nmbctl status)",
				t->what);
	t->path[0] = '\0';
	if (is_type(found, "TCP")) {
		unsigned long port = strtoul(ctl_field(found, "port", buf,
						       sizeof(buf)), NULL, 10);

		if (!port || port > 65535)
			return ctl_fail(CTL_FAILED, "console", name,
					"%s: the agent reports no local port",
					t->what);
		t->port = (unsigned int)port;
		return CTL_OK;
	}
	if (!tty_node(found, node, sizeof(node)))
		return ctl_fail(CTL_USAGE, "console", name,
				"%s is not a serial interface (device nodes: %s)",
				t->what, ctl_field(found, "nodes", buf,
						   sizeof(buf)));
	snprintf(t->path, sizeof(t->path), "%s", node);
	return CTL_OK;
}

static int open_tty(const struct console_target *t, speed_t speed,
		    const char *name)
{
	struct termios tio;
	int fd;

	fd = open(t->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -ctl_fail(CTL_UNAVAILABLE, "console", name,
				 "cannot open %s of %s: %s", t->path, t->what,
				 strerror(errno));
	if (tcgetattr(fd, &tio) < 0) {
		ctl_fail(CTL_USAGE, "console", name,
			 "%s of %s is not a terminal: %s", t->path, t->what,
			 strerror(errno));
		close(fd);
		return -CTL_USAGE;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~CRTSCTS;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		ctl_fail(CTL_FAILED, "console", name,
			 "cannot set %s to raw mode: %s", t->path,
			 strerror(errno));
		close(fd);
		return -CTL_FAILED;
	}
	return fd;
}

static int open_tcp(const struct console_target *t, const char *name)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)t->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		ctl_fail(CTL_UNAVAILABLE, "console", name,
			 "cannot connect to localhost:%u of %s: %s; nmbctl status %s",
			 t->port, t->what, strerror(errno), name);
		if (fd >= 0)
			close(fd);
		return -CTL_UNAVAILABLE;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Writes all of buf to fd, waiting while a non-blocking fd is full. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, WRITE_WAIT_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct session {
	int dev, log, sig;
	bool escape;		/* Ctrl-] seen, the next key is a command */
	bool quit;
};

static void say(const char *msg)
{
	if (write_all(STDERR_FILENO, msg, strlen(msg)))
		return;
}

/* Keys from the user: the escape sequence, everything else to dev. */
static int keys(struct session *s, const unsigned char *in, size_t len)
{
	unsigned char out[2 * 4096];
	size_t n = 0;

	for (size_t i = 0; i < len && !s->quit; i++) {
		if (s->escape) {
			s->escape = false;
			if (in[i] == 'q' || in[i] == '.') {
				s->quit = true;
			} else if (in[i] == '?') {
				say("\r\n[Ctrl-] q: leave, Ctrl-] Ctrl-]: send Ctrl-]]\r\n");
			} else if (in[i] == ESCAPE_KEY) {
				out[n++] = ESCAPE_KEY;
			} else {
				out[n++] = ESCAPE_KEY;
				out[n++] = in[i];
			}
		} else if (in[i] == ESCAPE_KEY) {
			s->escape = true;
		} else {
			out[n++] = in[i];
		}
	}
	return n ? write_all(s->dev, out, n) : 0;
}

/* The board's end went away: says which, with the terminal restored. */
static int board_gone(const struct console_target *t, const char *name)
{
	restore_terminal();
	if (!t->path[0])
		return ctl_fail(CTL_UNAVAILABLE, "console", name,
				"\n%s: the exporter closed the console port; is the place still attached?",
				t->what);
	return ctl_fail(CTL_UNAVAILABLE, "console", name,
			"\n%s (%s) went away: was the board powered off or unplugged?",
			t->what, t->path);
}

/*
 * The session: copies between the terminal and dev until the escape key,
 * the end of stdin, a signal or the device's end. Returns an exit code.
 */
static int relay(struct session *s, const struct console_target *t,
		 const char *name)
{
	unsigned char buf[4096];
	struct pollfd pfd[3] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = s->dev, .events = POLLIN },
		{ .fd = s->sig, .events = POLLIN },
	};
	ssize_t n;
	int err;

	while (!s->quit) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return CTL_FAILED;
		}
		if (pfd[2].revents) {
			struct signalfd_siginfo si;

			/* taken, so that unblocking does not deliver it */
			if (read(s->sig, &si, sizeof(si)) < 0)
				return CTL_FAILED;
			return CTL_INTERRUPTED;
		}
		if (pfd[1].revents) {
			n = read(s->dev, buf, sizeof(buf));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0)
				return board_gone(t, name);
			if (write_all(STDOUT_FILENO, buf, (size_t)n))
				return CTL_FAILED;
			if (s->log >= 0 && write_all(s->log, buf, (size_t)n)) {
				restore_terminal();
				return ctl_fail(CTL_FAILED, "console", name,
						"cannot write the log: %s",
						strerror(errno));
			}
		}
		if (pfd[0].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0)
				return CTL_OK;	/* the terminal went away */
			err = keys(s, buf, (size_t)n);
			if (err) {
				restore_terminal();
				return ctl_fail(CTL_UNAVAILABLE, "console", name,
						"\ncannot write to %s: %s",
						t->what, strerror(-err));
			}
		}
	}
	return CTL_OK;
}

static int run(const struct console_target *t, const struct console_opts *o,
	       const char *name, speed_t speed)
{
	struct session s = { .dev = -1, .log = -1, .sig = -1 };
	struct termios raw;
	sigset_t mask, old;
	char banner[4 * FIELD_MAX];
	int ret;

	if (o->log) {
		s.log = open(o->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0644);
		if (s.log < 0)
			return ctl_fail(CTL_USAGE, "console", name,
					"--log %s: %s", o->log, strerror(errno));
	}
	s.dev = t->path[0] ? open_tty(t, speed, name) : open_tcp(t, name);
	if (s.dev < 0) {
		ret = -s.dev;
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	s.sig = signalfd(-1, &mask, SFD_CLOEXEC);
	if (s.sig < 0 || tcgetattr(STDIN_FILENO, &saved_tio) < 0) {
		ret = ctl_fail(CTL_FAILED, "console", name,
			       "cannot set up the terminal: %s",
			       strerror(errno));
		goto out_sig;
	}
	tio_saved = true;
	atexit(restore_terminal);
	raw = saved_tio;
	cfmakeraw(&raw);
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	if (t->path[0])
		snprintf(banner, sizeof(banner),
			 "Connected to %s of %s (%s, %u baud). Ctrl-] q leaves.\r\n",
			 t->what, name, t->path, o->baud);
	else
		snprintf(banner, sizeof(banner),
			 "Connected to %s of %s (localhost:%u). Ctrl-] q leaves.\r\n",
			 t->what, name, t->port);
	say(banner);

	ret = relay(&s, t, name);

	restore_terminal();
	if (ret == CTL_OK)
		say("\nDisconnected.\n");
	else if (ret == CTL_INTERRUPTED)
		say("\nnmbctl: console: interrupted by a signal\n");
out_sig:
	if (s.sig >= 0)
		close(s.sig);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(s.dev);
out:
	if (s.log >= 0)
		close(s.log);
	return ret;
}

int console_main(int argc, char **argv)
{
	struct console_opts o = { .baud = 115200 };
	const struct ctl_opt opts[] = {
		{ "baud", 'b', CTL_OPT_UINT, &o.baud, "RATE",
		  "the tty's baud rate (default 115200; not for TCP)" },
		{ "log", 'l', CTL_OPT_STRING, &o.log, "FILE",
		  "append everything the board sends to FILE" },
		{ NULL, 0, 0, NULL, NULL, NULL }
	};
	struct console_target t = { 0 };
	json_object *status = NULL, *ents;
	const char *name;
	speed_t speed;
	int i, ret;

	i = ctl_parse(argc, argv, opts);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (argc - i < 1 || argc - i > 2)
		return ctl_usage_error(argv[0],
				       "expected NAME [PART.INTERFACE]");
	name = argv[i];
	if (baud_speed(o.baud, &speed))
		return ctl_usage_error(argv[0],
				       "--baud %u is not a standard rate (e.g. 9600, 115200, 921600)",
				       o.baud);
	if (!isatty(STDIN_FILENO))
		return ctl_fail(CTL_USAGE, "console", name,
				"stdin is not a terminal; for scripts use the Python package (nmb.serial.Console)");
	ret = ctl_call1(CTL_STATUS, NULL, &status, "console", name);
	if (ret)
		return ret;
	if (!json_object_is_type(status, json_type_array)) {
		json_object_put(status);
		return ctl_fail(CTL_FAILED, "console", name,
				"the agent's answer is not a list of interfaces");
	}
	ents = place_entries(status, name);
	ret = choose(ents, name, argc - i == 2 ? argv[i + 1] : NULL, &t);
	json_object_put(ents);
	json_object_put(status);
	if (ret)
		return ret;
	return run(&t, &o, name, speed);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * detect.c - benchmark: from gadget plug to a device bound to usbip-host,
 * through nmb_watch versus through the udev-style path.
 *
 * nmb:    the port is watched in claim mode; the time is taken when the
 *         nmb_watch "bind usbip-host" event is in our hands (the kernel
 *         bound the device on its own).
 * uevent: drivers_autoprobe is 0 (the seed's udev rule), a
 *         NETLINK_KOBJECT_UEVENT listener waits for the device's "add",
 *         then binds it to usbip-host from user space; the time is taken
 *         when that bind returns.
 *
 * Both start from the same trigger (just before the UDC write) and run
 * alternately in one process, so their ratio is taken side by side. Runs
 * inside the QEMU guest as root, with dummy_hcd, the gadget, usbip-host
 * and nmb_watch loaded. Prints one "bench" line per path; never fails on
 * time.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "loop.h"
#include "watch.h"

#define MAX_RUNS 200

static const char *udc_path;	/* .../usb_gadget/NAME/UDC */
static const char *udc_name = "dummy_udc.0";
static const char *busid = "1-1";

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

static bool device_present(void)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s", busid);
	return stat(path, &st) == 0;
}

static bool exported_ready(void)
{
	char path[128], buf[16];

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/usbip_status",
		 busid);
	return file_read_line(path, buf, sizeof(buf)) == 0 && !strcmp(buf, "1");
}

/* Unplugs the gadget and waits (up to 10 s) until the device is gone. */
static int unplug(void)
{
	int err = write_file(udc_path, "\n");

	if (err && err != -ENODEV)
		return err;
	for (int i = 0; i < 10000 && device_present(); i++)
		usleep(1000);
	return device_present() ? -ETIMEDOUT : 0;
}

struct nmb_wait {
	bool bound;
	uint64_t at_ns;		/* bind event received */
	uint64_t add_ts;	/* kernel timestamp of the add event */
};

/* add -> bound, per path, for the second pair of figures. */
static double nmb_tail[MAX_RUNS], uev_tail[MAX_RUNS];

static void on_event(const struct watch_event *ev, void *arg)
{
	struct nmb_wait *wait = arg;

	if (ev->type == NMB_WATCH_EVENT_TYPE_ADD && !ev->interface[0] &&
	    !strcmp(ev->dev.busid, busid))
		wait->add_ts = ev->timestamp_ns;
	if (ev->type == NMB_WATCH_EVENT_TYPE_BIND && !ev->interface[0] &&
	    !strcmp(ev->dev.busid, busid) &&
	    !strcmp(ev->driver, "usbip-host")) {
		wait->bound = true;
		wait->at_ns = loop_now_ns();
	}
}

/* One plug through nmb_watch; returns milliseconds or a negative errno. */
static double run_nmb(struct watch *w, double *tail)
{
	struct pollfd pfd = { .fd = watch_events_fd(w), .events = POLLIN };
	struct nmb_wait wait = { 0 };
	uint64_t t0;
	int err;

	t0 = loop_now_ns();
	err = write_file(udc_path, udc_name);
	if (err)
		return err;
	while (!wait.bound) {
		if (poll(&pfd, 1, 10000) <= 0)
			return -ETIMEDOUT;
		err = watch_process(w, on_event, &wait);
		if (err)
			return err;
	}
	if (!exported_ready() || !wait.add_ts)
		return -EPROTO;
	*tail = (double)(wait.at_ns - wait.add_ts) / 1e6;
	return (double)(wait.at_ns - t0) / 1e6;
}

/* True when a uevent announces the add of our USB device. */
static bool is_device_add(const char *msg, size_t len)
{
	bool add = false, devtype = false, path = false;
	size_t suffix = strlen(busid) + 1;

	for (size_t off = 0; off < len; off += strlen(msg + off) + 1) {
		const char *kv = msg + off;

		if (!strcmp(kv, "ACTION=add"))
			add = true;
		else if (!strcmp(kv, "DEVTYPE=usb_device"))
			devtype = true;
		else if (!strncmp(kv, "DEVPATH=", 8) && strlen(kv) > suffix &&
			 kv[strlen(kv) - suffix] == '/' &&
			 !strcmp(kv + strlen(kv) - suffix + 1, busid))
			path = true;
	}
	return add && devtype && path;
}

/* One plug through the uevent path; milliseconds or a negative errno. */
static double run_uevent(int nl, double *tail)
{
	struct pollfd pfd = { .fd = nl, .events = POLLIN };
	char msg[8192];
	uint64_t t0, t_add;
	int err;

	t0 = loop_now_ns();
	err = write_file(udc_path, udc_name);
	if (err)
		return err;
	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			return -ETIMEDOUT;
		n = recv(nl, msg, sizeof(msg) - 1, 0);
		if (n < 0)
			return -errno;
		msg[n] = '\0';
		if (is_device_add(msg, (size_t)n))
			break;
	}
	t_add = loop_now_ns();
	/*
	 * The add uevent can come before the driver core can bind the
	 * device: the bind then fails with EAGAIN (a deferred probe), and
	 * a udev rule would be run again. Retry for up to 1 s.
	 */
	for (int i = 0; i < 1000; i++) {
		err = write_file("/sys/bus/usb/drivers/usbip-host/bind", busid);
		if (err != -EAGAIN)
			break;
		usleep(1000);
	}
	if (err)
		return err;
	if (!exported_ready())
		return -EPROTO;
	*tail = (double)(loop_now_ns() - t_add) / 1e6;
	return (double)(loop_now_ns() - t0) / 1e6;
}

/* Drains uevents left from the previous unplug. */
static void drain(int fd)
{
	char buf[8192];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* nmb_watch: claim the port, plug, wait for the bind event. */
static int plug_nmb(double *total, double *tail)
{
	char errmsg[WATCH_ERRMSG_SIZE];
	struct watch *w = NULL;
	int err;

	err = watch_open(&w);
	if (!err)
		err = watch_subscribe(w);
	if (!err)
		err = watch_port(w, busid, false, errmsg);
	if (!err) {
		*total = run_nmb(w, tail);
		err = *total < 0 ? (int)*total : unplug();
	}
	watch_close(w);
	return err;
}

/* udev style: no autoprobe, uevent listener, explicit bind. */
static int plug_uevent(int nl, double *total, double *tail)
{
	int err;

	err = write_file("/sys/bus/usb/drivers_autoprobe", "0");
	drain(nl);
	if (!err) {
		*total = run_uevent(nl, tail);
		err = *total < 0 ? (int)*total : unplug();
	}
	write_file("/sys/bus/usb/drivers_autoprobe", "1");
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double report(const char *name, double *v, int n)
{
	double median;

	qsort(v, n, sizeof(*v), cmp_double);
	median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("bench %s median=%.2f min=%.2f max=%.2f n=%d unit=ms\n",
	       name, median, v[0], v[n - 1], n);
	return median;
}

static int open_uevent_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int rcvbuf = 1 << 20;
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static double nmb[MAX_RUNS], uev[MAX_RUNS];
	char add[64];
	int runs = 10, opt, nl, err = 0;
	double m_nmb, m_uev;

	while ((opt = getopt(argc, argv, "g:u:b:n:")) != -1) {
		switch (opt) {
		case 'g':
			udc_path = optarg;
			break;
		case 'u':
			udc_name = optarg;
			break;
		case 'b':
			busid = optarg;
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!udc_path || runs < 1 || runs > MAX_RUNS)
		goto usage;

	snprintf(add, sizeof(add), "add %s", busid);
	/* EEXIST-like failures are fine: the entry may be there already. */
	write_file("/sys/bus/usb/drivers/usbip-host/match_busid", add);
	nl = open_uevent_socket();
	if (nl < 0 || unplug()) {
		fprintf(stderr, "detect: cannot set up: %s\n", strerror(-nl));
		return 1;
	}

	/* Alternate which path goes first, so neither gains from order. */
	for (int i = 0; i < runs && !err; i++) {
		if (i % 2) {
			err = plug_nmb(&nmb[i], &nmb_tail[i]);
			if (!err)
				err = plug_uevent(nl, &uev[i], &uev_tail[i]);
		} else {
			err = plug_uevent(nl, &uev[i], &uev_tail[i]);
			if (!err)
				err = plug_nmb(&nmb[i], &nmb_tail[i]);
		}
	}
	close(nl);
	if (err) {
		fprintf(stderr, "detect: run failed: %s\n", strerror(-err));
		return 1;
	}
	m_nmb = report("detect_nmb", nmb, runs);
	m_uev = report("detect_uevent", uev, runs);
	printf("bench detect_ratio value=%.2f unit=x (nmb/uevent)\n",
	       m_nmb / m_uev);
	m_nmb = report("detect_tail_nmb", nmb_tail, runs);
	m_uev = report("detect_tail_uevent", uev_tail, runs);
	printf("bench detect_tail_ratio value=%.2f unit=x (nmb/uevent)\n",
	       m_nmb / m_uev);
	return 0;

usage:
	fprintf(stderr, "usage: detect -g GADGET_UDC_FILE [-u UDC] [-b BUSID] [-n RUNS]\n");
	return 2;
}

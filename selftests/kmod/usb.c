// SPDX-License-Identifier: GPL-2.0
/*
 * usb.c - sysfs helpers of the nmb_watch selftests: attributes and bound
 * drivers of USB devices, usbip-host's match_busid table, the USB/IP
 * hand-off from usbip-host to vhci_hcd over a TCP loopback pair (what
 * usbipd and "usbip attach" do, minus their protocol exchange), and
 * module loading.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "usb.h"

void kt_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int kt_sysfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

int kt_sysfs_write(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

int kt_usb_attr(const char *name, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), KT_USB_DEVICES "/%s/%s", name, attr);
	return kt_sysfs_read(path, buf, size);
}

bool kt_usb_present(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), KT_USB_DEVICES "/%s", name);
	return access(path, F_OK) == 0;
}

int kt_usb_driver(const char *name, char *buf, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	if (!kt_usb_present(name))
		return -ENOENT;
	snprintf(path, sizeof(path), KT_USB_DEVICES "/%s/driver", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	snprintf(buf, size, "%s", base ? base + 1 : link);
	return 0;
}

bool kt_usb_driver_is(const char *name, const char *driver)
{
	char drv[64];

	return kt_usb_driver(name, drv, sizeof(drv)) == 0 &&
	       !strcmp(drv, driver);
}

/* Calls fn on every interface <busid>:*; stops when it returns true. */
static bool for_each_iface(const char *busid,
			   bool (*fn)(const char *iface, void *arg), void *arg)
{
	char pattern[PATH_MAX];
	bool hit = false;
	glob_t gl;
	size_t i;

	snprintf(pattern, sizeof(pattern), KT_USB_DEVICES "/%s:*", busid);
	if (glob(pattern, 0, NULL, &gl))
		return false;
	for (i = 0; i < gl.gl_pathc && !hit; i++)
		hit = fn(strrchr(gl.gl_pathv[i], '/') + 1, arg);
	globfree(&gl);
	return hit;
}

static bool iface_has_driver(const char *iface, void *arg)
{
	return kt_usb_driver_is(iface, arg);
}

bool kt_usb_iface_driver_is(const char *busid, const char *driver)
{
	return for_each_iface(busid, iface_has_driver, (void *)driver);
}

static bool count_iface(const char *iface, void *arg)
{
	(void)iface;
	++*(int *)arg;
	return false;
}

int kt_usb_iface_count(const char *busid)
{
	int n = 0;

	for_each_iface(busid, count_iface, &n);
	return n;
}

int kt_usb_tty(const char *busid, char *buf, size_t size)
{
	char pattern[PATH_MAX];
	glob_t gl;

	snprintf(pattern, sizeof(pattern), KT_USB_DEVICES "/%s:*/tty/*",
		 busid);
	if (glob(pattern, 0, NULL, &gl))
		return -ENOENT;
	snprintf(buf, size, "%s", strrchr(gl.gl_pathv[0], '/') + 1);
	globfree(&gl);
	return 0;
}

bool kt_dev_ttyacm_exists(void)
{
	glob_t gl;
	bool found = !glob("/dev/ttyACM*", 0, NULL, &gl);

	if (found)
		globfree(&gl);
	return found;
}

int kt_usb_speed_enum(const char *busid)
{
	static const struct { const char *mbps; int speed; } map[] = {
		{ "1.5", 1 }, { "12", 2 }, { "480", 3 }, { "5000", 5 },
		{ "10000", 6 }, { "20000", 6 },
	};
	char buf[16];
	size_t i;
	int n;

	n = kt_usb_attr(busid, "speed", buf, sizeof(buf));
	if (n < 0)
		return n;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(buf, map[i].mbps))
			return map[i].speed;
	return -EINVAL;
}

/* --- usbip-host ---------------------------------------------------------- */

int kt_usbip_match_add(const char *busid)
{
	char cmd[64];

	/* No newline: usbip-host would keep it as part of the busid. */
	snprintf(cmd, sizeof(cmd), "add %s", busid);
	return kt_sysfs_write(KT_USBIP_DRV "/match_busid", cmd);
}

bool kt_usbip_match_has(const char *busid)
{
	char buf[1024], *tok, *save;

	if (kt_sysfs_read(KT_USBIP_DRV "/match_busid", buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, busid))
			return true;
	return false;
}

int kt_usbip_status(const char *busid)
{
	char buf[16];
	int n;

	n = kt_usb_attr(busid, "usbip_status", buf, sizeof(buf));
	if (n < 0)
		return n;
	return atoi(buf);
}

/* A connected TCP pair on 127.0.0.1. */
static int tcp_pair(int fds[2])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l, c = -1, a = -1, err;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		goto fail;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		goto fail;
	close(l);
	fds[0] = a;
	fds[1] = c;
	return 0;

fail:
	err = -errno;
	if (c >= 0)
		close(c);
	close(l);
	return err;
}

/* First free vhci_hcd.0 port for this speed, from its status file. */
static int vhci_free_port(int speed)
{
	const char *hub = speed >= 5 ? "ss" : "hs";
	char buf[8192], *line, *save;
	int port = -ENOSPC;

	if (kt_sysfs_read(KT_VHCI "/status", buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char h[4];
		int p, sta;

		if (sscanf(line, "%3s %d %d", h, &p, &sta) != 3)
			continue;
		if (!strcmp(h, hub) && sta == 4 /* VDEV_ST_NULL */) {
			port = p;
			break;
		}
	}
	return port;
}

/* Bus number of vhci_hcd.0's root hub of the given speed class. */
static int vhci_bus(bool super)
{
	char path[PATH_MAX], speed[16];
	struct dirent *de;
	int bus = -ENOENT;
	DIR *d;

	d = opendir(KT_VHCI);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int n;
		char c;

		if (sscanf(de->d_name, "usb%d%c", &n, &c) != 1)
			continue;
		snprintf(path, sizeof(path), KT_VHCI "/%s/speed", de->d_name);
		if (kt_sysfs_read(path, speed, sizeof(speed)) < 0)
			continue;
		if (!strcmp(speed, "480") != super) {
			bus = n;
			break;
		}
	}
	closedir(d);
	return bus;
}

int kt_vhci_port_busid(int port, char *buf, size_t size)
{
	int bus = vhci_bus((port / 15) % 2);

	if (bus < 0)
		return bus;
	snprintf(buf, size, "%d-%d", bus, port % 15 + 1);
	return 0;
}

int kt_usbip_attach(const char *busid, struct kt_usbip_link *link)
{
	char val[64], path[PATH_MAX], num[16];
	unsigned long busnum, devnum;
	int fds[2] = { -1, -1 }, speed, port, err;

	link->port = -1;
	speed = kt_usb_speed_enum(busid);
	if (speed < 0)
		return speed;
	if (kt_usb_attr(busid, "busnum", num, sizeof(num)) < 0)
		return -ENOENT;
	busnum = strtoul(num, NULL, 10);
	if (kt_usb_attr(busid, "devnum", num, sizeof(num)) < 0)
		return -ENOENT;
	devnum = strtoul(num, NULL, 10);
	port = vhci_free_port(speed);
	if (port < 0)
		return port;
	err = tcp_pair(fds);
	if (err)
		return err;

	snprintf(path, sizeof(path), KT_USB_DEVICES "/%s/usbip_sockfd", busid);
	snprintf(val, sizeof(val), "%d", fds[0]);
	err = kt_sysfs_write(path, val);
	if (err)
		goto out;
	snprintf(val, sizeof(val), "%d %d %lu %d", port, fds[1],
		 busnum << 16 | devnum, speed);
	err = kt_sysfs_write(KT_VHCI "/attach", val);
	if (err) {
		snprintf(val, sizeof(val), "-1");
		kt_sysfs_write(path, val);
		goto out;
	}
	link->port = port;
	kt_vhci_port_busid(port, link->busid, sizeof(link->busid));
out:
	/* The kernel holds its own references to both sockets. */
	close(fds[0]);
	close(fds[1]);
	return err;
}

int kt_usbip_detach(struct kt_usbip_link *link)
{
	char val[16];
	int err;

	if (link->port < 0)
		return 0;
	snprintf(val, sizeof(val), "%d", link->port);
	err = kt_sysfs_write(KT_VHCI "/detach", val);
	link->port = -1;
	return err;
}

/* --- modules ------------------------------------------------------------- */

bool kt_module_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return access(path, F_OK) == 0;
}

int kt_module_remove(const char *name, int timeout_ms)
{
	uint64_t end = kt_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if ((errno != EAGAIN && errno != EBUSY) || kt_now_ns() > end)
			return -errno;
		kt_sleep_ms(50);
	}
}

int kt_module_insert(const char *path)
{
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		err = -errno;
	close(fd);
	return err;
}

int kt_nmb_watch_ko(char *buf, size_t size)
{
	const char *env = getenv("NMB_WATCH_KO");
	char exe[PATH_MAX];
	ssize_t n;
	int i;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return access(buf, R_OK) ? -errno : 0;
	}
	/* <repo>/build/selftests/kmod/<test> -> <repo>/kmod/nmb_watch.ko */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	for (i = 0; i < 4; i++) {
		char *slash = strrchr(exe, '/');

		if (!slash)
			return -ENOENT;
		*slash = '\0';
	}
	snprintf(buf, size, "%s/kmod/nmb_watch.ko", exe);
	return access(buf, R_OK) ? -errno : 0;
}

int kt_run(const char *cmd)
{
	int st = system(cmd);

	if (st < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

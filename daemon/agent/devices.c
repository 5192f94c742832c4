// SPDX-License-Identifier: GPL-2.0
/*
 * devices.c - imported devices as the local kernel sees them: their
 * local busid on the vhci bus, whether they are up, and their nodes.
 *
 * A device is up when it is configured and each interface is settled:
 * bound to a driver (a usb-storage/uas interface once its disk exists,
 * which comes after the asynchronous SCSI scan), or left without a
 * driver for 1 s. Nodes are the DEVNAMEs found in sysfs below the device
 * (/dev/ttyACM0, /dev/sda, ...) plus the /dev/serial/by-path and
 * /dev/disk/by-path links pointing at them where udev made some.
 *
 * When the nmb_watch module is loaded, its vhci events (add, bind,
 * unbind, remove on any vhci_hcd bus) make the agent re-check at once;
 * a 250 ms poll of sysfs covers the disks, which come without an event.
 * Without the module, the agent polls sysfs every 50 ms while an attach
 * waits; status reads sysfs on each call, so nothing else needs events.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "fileio.h"
#include "log.h"
#include "loop.h"
#include "spawn.h"
#include "usbip.h"
#include "watch.h"

#define USB_DEVICES	"/sys/bus/usb/devices"
#define VHCI_DIR	"/sys/devices/platform"
#define SETTLE_MS	1000
#define POLL_WATCH_MS	250
#define POLL_SYSFS_MS	50
#define MAX_SEEN	32

/* snprintf into an array; true if it did not fit. */
#define PATHF(buf, ...) \
	(snprintf(buf, sizeof(buf), __VA_ARGS__) >= (int)sizeof(buf))

struct devices {
	struct loop *loop;
	devices_changed_fn changed;
	void *arg;
	struct watch *watch;		/* NULL without nmb_watch */
	struct loop_fd *watch_lfd;
	struct loop_timer *poll;	/* sysfs poll while imports wait */
	/* When each device (busid and devnum) was first seen configured. */
	struct seen_dev {
		char busid[32];
		long devnum;
		uint64_t since_ms;
	} seen[MAX_SEEN];
};

static uint64_t configured_since(struct devices *d, const char *busid,
				 long devnum, bool configured)
{
	struct seen_dev *seen = d->seen;
	int free_slot = -1;

	for (int i = 0; i < MAX_SEEN; i++) {
		if (!strcmp(seen[i].busid, busid)) {
			if (!configured) {
				seen[i].busid[0] = '\0';
				return loop_now_ms();
			}
			if (seen[i].devnum != devnum) {
				/* re-enumerated since we last looked */
				seen[i].devnum = devnum;
				seen[i].since_ms = loop_now_ms();
			}
			return seen[i].since_ms;
		}
		if (!seen[i].busid[0] && free_slot < 0)
			free_slot = i;
	}
	if (!configured || free_slot < 0)
		return loop_now_ms();
	snprintf(seen[free_slot].busid, sizeof(seen[0].busid), "%s", busid);
	seen[free_slot].devnum = devnum;
	seen[free_slot].since_ms = loop_now_ms();
	return seen[free_slot].since_ms;
}

static bool has_node(json_object *nodes, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(nodes); i++)
		if (!strcmp(json_object_get_string(
				json_object_array_get_idx(nodes, i)), s))
			return true;
	return false;
}

/* Walks dir for uevent DEVNAMEs; returns true if a disk was found. */
static bool walk(const char *dir, int depth, json_object *nodes)
{
	char path[PATH_MAX], buf[1024], *p;
	struct dirent *de;
	bool disk = false;
	DIR *d;

	if (PATHF(path, "%s/uevent", dir))
		return false;
	if (!file_read_small(path, buf, sizeof(buf))) {
		if (strstr(buf, "DEVTYPE=disk\n"))
			disk = true;
		p = strstr(buf, "DEVNAME=");
		if (p && nodes) {
			p += 8;
			p[strcspn(p, "\n")] = '\0';
			if (strncmp(p, "bus/", 4) != 0 &&
			    strncmp(p, "bsg/", 4) != 0) {
				if (!PATHF(path, "/dev/%s", p) &&
				    !has_node(nodes, path))
					json_object_array_add(nodes,
						json_object_new_string(path));
			}
		}
	}
	if (depth <= 0)
		return disk;
	d = opendir(dir);
	if (!d)
		return disk;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    !strcmp(de->d_name, "power"))
			continue;
		if (PATHF(path, "%s/%s", dir, de->d_name))
			continue;
		if (walk(path, depth - 1, nodes))
			disk = true;
	}
	closedir(d);
	return disk;
}

static void add_links(const char *dir, json_object *nodes)
{
	char path[PATH_MAX], real[PATH_MAX];
	size_t n = json_object_array_length(nodes);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (PATHF(path, "%s/%s", dir, de->d_name) ||
		    !realpath(path, real))
			continue;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(real, json_object_get_string(
					json_object_array_get_idx(nodes, i))))
				json_object_array_add(nodes,
					json_object_new_string(path));
	}
	closedir(d);
}

bool devices_scan(struct devices *d, const char *busid, json_object *nodes)
{
	char dev[PATH_MAX], path[PATH_MAX], buf[64];
	bool settled = true, configured;
	uint64_t since;
	struct dirent *de;
	size_t blen = strlen(busid);
	DIR *dir;

	if (PATHF(dev, USB_DEVICES "/%s", busid) ||
	    PATHF(path, "%s/bConfigurationValue", dev))
		return false;
	configured = !file_read_line(path, buf, sizeof(buf)) && buf[0] &&
		     strcmp(buf, "0") != 0;
	if (PATHF(path, "%s/devnum", dev) || file_read_line(path, buf, sizeof(buf)))
		buf[0] = '\0';
	since = configured_since(d, busid, strtol(buf, NULL, 10), configured);
	if (!configured)
		return false;
	dir = opendir(dev);
	if (!dir)
		return false;
	while ((de = readdir(dir))) {
		char drv[PATH_MAX];
		ssize_t n;

		if (strncmp(de->d_name, busid, blen) != 0 ||
		    de->d_name[blen] != ':')
			continue;
		if (PATHF(path, "%s/%s/driver", dev, de->d_name))
			continue;
		n = readlink(path, drv, sizeof(drv) - 1);
		if (n < 0) {
			if (loop_now_ms() - since < SETTLE_MS)
				settled = false;
			continue;
		}
		drv[n] = '\0';
		if (strstr(drv, "/usb-storage") || strstr(drv, "/uas")) {
			if (!PATHF(path, "%s/%s", dev, de->d_name) &&
			    !walk(path, 8, NULL))
				settled = false;
		}
	}
	closedir(dir);
	if (nodes) {
		walk(dev, 10, nodes);
		add_links("/dev/serial/by-path", nodes);
		add_links("/dev/disk/by-path", nodes);
	}
	return settled;
}

int devices_vhci_busid(int port, char *busid, size_t size)
{
	unsigned int nports, nhcs, per, half, k, rh;
	char dir[PATH_MAX], path[PATH_MAX], buf[32];
	struct dirent *de;
	bool ss;
	DIR *d;
	int ret = usbip_vhci_geometry(&nports, &nhcs);

	if (ret)
		return ret;
	per = nports / nhcs;
	half = per / 2;
	if (!half || port < 0)
		return -EINVAL;
	k = (unsigned int)port % per;
	ss = k >= half;
	rh = ss ? k - half : k;
	snprintf(dir, sizeof(dir), VHCI_DIR "/vhci_hcd.%u",
		 (unsigned int)port / per);
	d = opendir(dir);
	if (!d)
		return -errno;
	ret = -ENOENT;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "usb", 3) != 0 || de->d_name[3] < '1' ||
		    de->d_name[3] > '9')
			continue;
		if (PATHF(path, "%s/%s/speed", dir, de->d_name) ||
		    file_read_line(path, buf, sizeof(buf)))
			continue;
		if ((strtoul(buf, NULL, 10) >= 5000) != ss)
			continue;
		snprintf(busid, size, "%s-%u", de->d_name + 3, rh + 1);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

bool devices_vhci_loaded(void)
{
	struct stat st;

	return !stat(VHCI_DIR "/vhci_hcd.0", &st);
}

struct vhci_load {
	struct spawn *modprobe;
	void (*done)(void *arg, int err);
	void *arg;
};

static void modprobe_ended(int status, int signum, void *arg)
{
	struct vhci_load *l = arg;
	void (*done)(void *arg, int err) = l->done;
	void *done_arg = l->arg;

	free(l);
	if (!devices_vhci_loaded()) {
		log_err("vhci-hcd is not loaded and 'modprobe vhci-hcd' failed (%s %d); install the usbip kernel modules",
			signum ? "signal" : "status", signum ? signum : status);
		done(done_arg, -ENODEV);
		return;
	}
	log_info("loaded vhci-hcd");
	done(done_arg, 0);
}

struct vhci_load *devices_vhci_load(struct loop *loop,
				    void (*done)(void *arg, int err),
				    void *arg)
{
	static char *const argv[] = { "modprobe", "vhci-hcd", NULL };
	struct vhci_load *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->done = done;
	l->arg = arg;
	l->modprobe = spawn_start(loop, argv, modprobe_ended, l);
	if (!l->modprobe) {
		log_err("vhci-hcd is not loaded and 'modprobe vhci-hcd' cannot run: %s; install kmod and the usbip kernel modules",
			strerror(errno));
		free(l);
		return NULL;
	}
	return l;
}

void devices_vhci_cancel(struct vhci_load *l)
{
	if (!l)
		return;
	spawn_forget(l->modprobe);
	free(l);
}

static void on_poll(struct loop_timer *t, void *arg)
{
	struct devices *d = arg;

	if (d->changed(d->arg))
		loop_timer_set(t, d->watch ? POLL_WATCH_MS : POLL_SYSFS_MS);
}

void devices_poll(struct devices *d, bool on)
{
	if (!d || !d->poll)
		return;
	if (on && !loop_timer_armed(d->poll))
		loop_timer_set(d->poll, 0);
	else if (!on)
		loop_timer_cancel(d->poll);
}

static void on_event(const struct watch_event *ev, void *arg)
{
	(void)arg;
	if (ev->source != NMB_WATCH_SOURCE_VHCI)
		return;
	log_debug("vhci event %s %s%s%s", watch_event_type_name(ev->type),
		  ev->dev.busid, ev->interface[0] ? " " : "", ev->interface);
}

static void on_watch(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct devices *d = arg;
	int ret;

	(void)lfd;
	(void)events;
	ret = watch_process(d->watch, on_event, NULL);
	if (ret && ret != -ENOBUFS && ret != -EAGAIN)
		log_warn("nmb_watch events: %s", strerror(-ret));
	d->changed(d->arg);
}

int devices_start(struct loop *loop, devices_changed_fn changed, void *arg,
		  struct devices **out)
{
	struct devices *d = calloc(1, sizeof(*d));
	int ret;

	*out = d;
	if (!d)
		return -ENOMEM;
	d->loop = loop;
	d->changed = changed;
	d->arg = arg;
	d->poll = loop_timer_new(loop, on_poll, d);
	if (!d->poll)
		return -ENOMEM;
	ret = watch_open(&d->watch);
	if (ret) {
		d->watch = NULL;
		log_info("nmb_watch is not loaded (%s): following imported devices by polling sysfs every %d ms while an attach waits",
			 strerror(-ret), POLL_SYSFS_MS);
		return 0;
	}
	ret = watch_subscribe(d->watch);
	if (!ret) {
		d->watch_lfd = loop_fd_add(loop, watch_events_fd(d->watch),
					   EPOLLIN, on_watch, d);
		if (!d->watch_lfd)
			ret = -ENOMEM;
	}
	if (ret) {
		log_warn("nmb_watch events unavailable (%s): polling sysfs instead",
			 strerror(-ret));
		watch_close(d->watch);
		d->watch = NULL;
	}
	return 0;
}

void devices_stop(struct devices *d)
{
	if (!d)
		return;
	loop_fd_del(d->watch_lfd);
	if (d->watch)
		watch_close(d->watch);
	loop_timer_free(d->poll);
	free(d);
}

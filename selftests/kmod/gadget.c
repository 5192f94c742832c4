// SPDX-License-Identifier: GPL-2.0
/*
 * gadget.c - configfs gadgets on dummy_hcd for the nmb_watch selftests:
 * one ACM function per gadget, plugged and unplugged by writing its
 * UDC file, so a test can make a "board" appear on and leave a port.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include "gadget.h"
#include "usb.h"

#define CONFIGFS	"/sys/kernel/config"
#define GADGETS		CONFIGFS "/usb_gadget"
#define PLATFORM	"/sys/devices/platform"

static int put(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return kt_sysfs_write(path, val);
}

static int mk(const char *dir, const char *sub)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static void rm(const char *dir, const char *sub)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	rmdir(path);
}

int kt_udc_count(void)
{
	char path[PATH_MAX];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/sys/class/udc/dummy_udc.%d", n);
		if (access(path, F_OK))
			return n;
		n++;
	}
}

int kt_udc_busid(int idx, char *busid, size_t size)
{
	char path[PATH_MAX], speed[16];
	struct dirent *de;
	int bus = -1;
	DIR *d;

	snprintf(path, sizeof(path), PLATFORM "/dummy_hcd.%d", idx);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int n;
		char c;

		if (sscanf(de->d_name, "usb%d%c", &n, &c) != 1)
			continue;
		/* With is_super_speed=1 there are two buses: take USB 2. */
		snprintf(path, sizeof(path), PLATFORM "/dummy_hcd.%d/%s/speed",
			 idx, de->d_name);
		if (bus < 0 || (kt_sysfs_read(path, speed, sizeof(speed)) > 0 &&
				!strcmp(speed, "480")))
			bus = n;
	}
	closedir(d);
	if (bus < 0)
		return -ENODEV;
	snprintf(busid, size, "%d-1", bus);
	return 0;
}

static void remove_tree(const char *dir)
{
	char path[PATH_MAX];

	if (access(dir, F_OK))
		return;
	put(dir, "UDC", "\n");
	snprintf(path, sizeof(path), "%s/configs/c.1/acm.usb0", dir);
	unlink(path);
	rm(dir, "configs/c.1/strings/0x409");
	rm(dir, "configs/c.1");
	rm(dir, "functions/acm.usb0");
	rm(dir, "strings/0x409");
	rmdir(dir);
}

int kt_gadget_create(struct kt_gadget *g, int idx)
{
	char path[PATH_MAX], target[PATH_MAX], val[32];
	int err;

	memset(g, 0, sizeof(*g));
	g->idx = idx;
	if (access(GADGETS, F_OK)) {
		kt_run("modprobe libcomposite");
		mount("none", CONFIGFS, "configfs", 0, NULL);
		if (access(GADGETS, F_OK))
			return -ENOENT;
	}
	snprintf(g->udc, sizeof(g->udc), "dummy_udc.%d", idx);
	snprintf(path, sizeof(path), "/sys/class/udc/%s", g->udc);
	if (access(path, F_OK))
		return -ENODEV;
	err = kt_udc_busid(idx, g->busid, sizeof(g->busid));
	if (err)
		return err;

	snprintf(g->dir, sizeof(g->dir), GADGETS "/nmbkt%d", idx);
	remove_tree(g->dir);
	g->vendor = KT_GADGET_VENDOR;
	g->product = KT_GADGET_PRODUCT + idx;
	snprintf(g->serial, sizeof(g->serial), "NMBKT-%d-%d", (int)getpid(),
		 idx);
	if (mkdir(g->dir, 0755))
		return -errno;
	g->created = true;

	snprintf(val, sizeof(val), "0x%04x", g->vendor);
	err = put(g->dir, "idVendor", val);
	snprintf(val, sizeof(val), "0x%04x", g->product);
	err = err ?: put(g->dir, "idProduct", val);
	snprintf(val, sizeof(val), "0x%04x", KT_GADGET_BCD);
	err = err ?: put(g->dir, "bcdDevice", val);
	err = err ?: put(g->dir, "bcdUSB", "0x0200");
	err = err ?: mk(g->dir, "strings/0x409");
	err = err ?: put(g->dir, "strings/0x409/manufacturer",
			 KT_GADGET_MANUFACTURER);
	err = err ?: put(g->dir, "strings/0x409/product",
			 KT_GADGET_PRODUCT_NAME);
	err = err ?: put(g->dir, "strings/0x409/serialnumber", g->serial);
	err = err ?: mk(g->dir, "configs/c.1");
	err = err ?: mk(g->dir, "configs/c.1/strings/0x409");
	err = err ?: put(g->dir, "configs/c.1/strings/0x409/configuration",
			 "acm");
	err = err ?: put(g->dir, "configs/c.1/MaxPower", "100");
	err = err ?: mk(g->dir, "functions/acm.usb0");
	if (err)
		goto fail;
	snprintf(target, sizeof(target), "%s/functions/acm.usb0", g->dir);
	snprintf(path, sizeof(path), "%s/configs/c.1/acm.usb0", g->dir);
	if (symlink(target, path)) {
		err = -errno;
		goto fail;
	}
	return 0;

fail:
	remove_tree(g->dir);
	g->created = false;
	return err;
}

int kt_gadget_plug(struct kt_gadget *g)
{
	int err = put(g->dir, "UDC", g->udc);

	if (!err)
		g->plugged = true;
	return err;
}

int kt_gadget_unplug(struct kt_gadget *g)
{
	int err = put(g->dir, "UDC", "\n");

	if (!err)
		g->plugged = false;
	return err;
}

int kt_gadget_wait(struct kt_gadget *g, bool present, int timeout_ms)
{
	if (KT_WAIT_UNTIL(kt_usb_present(g->busid) == present, timeout_ms))
		return 0;
	return -ETIMEDOUT;
}

void kt_gadget_destroy(struct kt_gadget *g)
{
	if (!g->created)
		return;
	kt_gadget_unplug(g);
	kt_gadget_wait(g, false, 5000);
	remove_tree(g->dir);
	g->created = false;
}

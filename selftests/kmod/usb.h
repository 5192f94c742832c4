/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usb.h - sysfs side of the nmb_watch selftests: read and write sysfs
 * attributes, the driver bound to a USB device or its interfaces, the
 * tty nodes cdc_acm made, usbip-host's match_busid table, the USB/IP
 * hand-off from usbip-host to vhci_hcd over a TCP loopback pair, and
 * loading and unloading modules.
 */
#ifndef NMB_KT_USB_H
#define NMB_KT_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KT_USB_DEVICES	"/sys/bus/usb/devices"
#define KT_USBIP_DRV	"/sys/bus/usb/drivers/usbip-host"
#define KT_VHCI		"/sys/devices/platform/vhci_hcd.0"

/* Poll cond every 10 ms for up to ms milliseconds; true if it held. */
#define KT_WAIT_UNTIL(cond, ms) ({					\
	uint64_t __end = kt_now_ns() + (uint64_t)(ms) * 1000000ull;	\
	bool __ok;							\
	while (!(__ok = (cond)) && kt_now_ns() < __end)			\
		kt_sleep_ms(10);					\
	__ok;								\
})

uint64_t kt_now_ns(void);
void kt_sleep_ms(int ms);

/* Read a sysfs file, trailing newline removed; length or -errno. */
int kt_sysfs_read(const char *path, char *buf, size_t size);
int kt_sysfs_write(const char *path, const char *s);
/* Attribute attr of /sys/bus/usb/devices/<name>. */
int kt_usb_attr(const char *name, const char *attr, char *buf, size_t size);
bool kt_usb_present(const char *name);
/*
 * Name of the driver bound to /sys/bus/usb/devices/<name> into buf ("" if
 * none); 0, or -ENOENT when the device is absent.
 */
int kt_usb_driver(const char *name, char *buf, size_t size);
bool kt_usb_driver_is(const char *name, const char *driver);
/* Some interface <busid>:* is bound to driver. */
bool kt_usb_iface_driver_is(const char *busid, const char *driver);
/* Number of interfaces <busid>:* that exist. */
int kt_usb_iface_count(const char *busid);
/* First tty node of an interface of busid, e.g. "ttyACM0"; 0 or -ENOENT. */
int kt_usb_tty(const char *busid, char *buf, size_t size);
/* Some /dev/ttyACM* node exists. */
bool kt_dev_ttyacm_exists(void);
/* The sysfs "speed" (Mb/s) of a device as enum usb_device_speed. */
int kt_usb_speed_enum(const char *busid);

/* usbip-host's match_busid table. */
int kt_usbip_match_add(const char *busid);
bool kt_usbip_match_has(const char *busid);
/* usbip_status of a device bound to usbip-host, or -errno. */
int kt_usbip_status(const char *busid);

/* One USB/IP connection from usbip-host (busid) to a vhci port. */
struct kt_usbip_link {
	int port;		/* vhci port number, -1 if none */
	char busid[32];
};

/* Export busid and import it on a free vhci port of the right speed. */
int kt_usbip_attach(const char *busid, struct kt_usbip_link *link);
int kt_usbip_detach(struct kt_usbip_link *link);
/* Busid the vhci port's device got ("" if none), from vhci status. */
int kt_vhci_port_busid(int port, char *buf, size_t size);

bool kt_module_loaded(const char *name);
int kt_module_remove(const char *name, int timeout_ms);
int kt_module_insert(const char *path);
/* Path of kmod/nmb_watch.ko: $NMB_WATCH_KO or next to the tests. */
int kt_nmb_watch_ko(char *buf, size_t size);
/* Run a shell command; its exit status or -errno. */
int kt_run(const char *cmd);

#endif /* NMB_KT_USB_H */

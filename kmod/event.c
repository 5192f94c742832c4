// SPDX-License-Identifier: GPL-2.0
/*
 * event.c - driver-core events on the USB bus, as netlink events.
 *
 * A bus notifier sees every USB device and interface: when it is added
 * (before any driver probes it), bound, unbound and removed. Those about
 * a watched port, or about anything on a vhci_hcd bus, are multicast to
 * the "events" group with a CLOCK_MONOTONIC timestamp.
 *
 * The driver is gone from the device when BUS_NOTIFY_UNBOUND_DRIVER is
 * sent, so its name is noted at BUS_NOTIFY_UNBIND_DRIVER and the unbind
 * event is sent, with that name, once the unbind is complete. Removal is
 * reported at BUS_NOTIFY_REMOVED_DEVICE, after the driver was released,
 * so that "remove" is always a device's last event.
 */
#include <linux/device.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/usb.h>
#include <linux/usb/hcd.h>
#include <net/genetlink.h>

#include "nmb_watch.h"

/* At most this many device nodes are listed in a bind event. */
#define MAX_DEVNAMES	8
/* Nodes sit below interfaces at depth 1 (tty) to 4 (SCSI disks). */
#define MAX_DEPTH	4

struct unbinding {
	struct list_head node;
	struct device *dev;	/* identity only */
	char driver[32];
};

static LIST_HEAD(unbindings);
static DEFINE_SPINLOCK(unbindings_lock);

/**
 * nmbw_is_usb_device() - whether a device on the USB bus is a usb_device
 * @dev: device on the USB bus
 *
 * usb_device_type is not exported; its name tells devices from
 * interfaces.
 *
 * Return: true for a usb_device.
 */
bool nmbw_is_usb_device(const struct device *dev)
{
	return dev->type && !strcmp(dev->type->name, "usb_device");
}

static bool is_usb_interface(const struct device *dev)
{
	return dev->type && !strcmp(dev->type->name, "usb_interface");
}

/**
 * nmbw_on_vhci() - whether a device sits on a vhci_hcd (USB/IP) bus
 * @udev: the device
 *
 * Return: true if its host controller driver is vhci_hcd.
 */
bool nmbw_on_vhci(const struct usb_device *udev)
{
	const struct usb_hcd *hcd = bus_to_hcd(udev->bus);

	return hcd->driver && hcd->driver->description &&
	       !strcmp(hcd->driver->description, "vhci_hcd");
}

static void note_unbinding(struct device *dev)
{
	struct unbinding *u = kzalloc(sizeof(*u), GFP_KERNEL);

	if (!u)
		return;
	u->dev = dev;
	strscpy(u->driver, dev->driver->name, sizeof(u->driver));
	spin_lock(&unbindings_lock);
	list_add(&u->node, &unbindings);
	spin_unlock(&unbindings_lock);
}

/* Pops the name noted for @dev into @buf; empty if none was noted. */
static void take_unbinding(struct device *dev, char *buf, size_t len)
{
	struct unbinding *u, *found = NULL;

	buf[0] = '\0';
	spin_lock(&unbindings_lock);
	list_for_each_entry(u, &unbindings, node) {
		if (u->dev == dev) {
			list_del(&u->node);
			found = u;
			break;
		}
	}
	spin_unlock(&unbindings_lock);
	if (found) {
		strscpy(buf, found->driver, len);
		kfree(found);
	}
}

struct devname_walk {
	struct sk_buff *skb;
	int depth;
	int count;
	int err;
};

static int put_devnames(struct device *dev, void *data)
{
	struct devname_walk *w = data;

	if (w->count >= MAX_DEVNAMES || w->err)
		return 1;
	if (MAJOR(dev->devt)) {
		w->err = nla_put_string(w->skb, NMB_WATCH_A_EVENT_DEVNAME,
					dev_name(dev));
		w->count++;
	}
	if (w->depth < MAX_DEPTH) {
		w->depth++;
		device_for_each_child(dev, w, put_devnames);
		w->depth--;
	}
	return w->err;
}

static void send_event(struct device *dev, struct usb_device *udev,
		       u32 type, u32 source, const char *driver, u64 ts)
{
	struct devname_walk walk = { .depth = 1 };
	struct sk_buff *skb;
	void *hdr;

	skb = nmbw_event_new(&hdr);
	if (!skb)
		return;
	if (nla_put_u32(skb, NMB_WATCH_A_EVENT_TYPE, type) ||
	    nla_put_u32(skb, NMB_WATCH_A_EVENT_SOURCE, source) ||
	    nla_put_u64_64bit(skb, NMB_WATCH_A_EVENT_TIMESTAMP, ts,
			      NMB_WATCH_A_EVENT_PAD) ||
	    nmbw_put_device(skb, NMB_WATCH_A_EVENT_DEVICE, udev,
			    nmbw_is_usb_device(dev) ? driver : NULL))
		goto nla_failure;
	if (is_usb_interface(dev) &&
	    nla_put_string(skb, NMB_WATCH_A_EVENT_INTERFACE, dev_name(dev)))
		goto nla_failure;
	if (driver && driver[0] &&
	    nla_put_string(skb, NMB_WATCH_A_EVENT_DRIVER, driver))
		goto nla_failure;
	if (type == NMB_WATCH_EVENT_TYPE_BIND) {
		walk.skb = skb;
		device_for_each_child(dev, &walk, put_devnames);
		if (walk.err)
			goto nla_failure;
	}
	nmbw_event_send(skb, hdr);
	return;

nla_failure:
	nlmsg_free(skb);
}

static int nmbw_bus_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	u64 ts = ktime_get_ns();
	struct device *dev = data;
	char unbound[32];
	const char *driver = NULL;
	struct usb_device *udev;
	u32 type, source;

	if (nmbw_is_usb_device(dev))
		udev = to_usb_device(dev);
	else if (is_usb_interface(dev))
		udev = interface_to_usbdev(to_usb_interface(dev));
	else
		return NOTIFY_DONE;

	if (nmbw_on_vhci(udev))
		source = NMB_WATCH_SOURCE_VHCI;
	else if (nmbw_port_watched(dev_name(&udev->dev)))
		source = NMB_WATCH_SOURCE_PORT;
	else
		return NOTIFY_DONE;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		type = NMB_WATCH_EVENT_TYPE_ADD;
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		type = NMB_WATCH_EVENT_TYPE_BIND;
		driver = dev->driver ? dev->driver->name : NULL;
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		if (dev->driver)
			note_unbinding(dev);
		return NOTIFY_DONE;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		type = NMB_WATCH_EVENT_TYPE_UNBIND;
		take_unbinding(dev, unbound, sizeof(unbound));
		driver = unbound;
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		type = NMB_WATCH_EVENT_TYPE_REMOVE;
		break;
	default:
		return NOTIFY_DONE;
	}
	send_event(dev, udev, type, source, driver, ts);
	return NOTIFY_OK;
}

static struct notifier_block nmbw_bus_nb = {
	.notifier_call = nmbw_bus_notify,
};

/**
 * nmbw_event_init() - start reporting USB bus events
 *
 * Return: 0 or a negative errno.
 */
int nmbw_event_init(void)
{
	return bus_register_notifier(nmbw_usb_bus(), &nmbw_bus_nb);
}

/**
 * nmbw_event_exit() - stop reporting and drop unbinds still noted
 */
void nmbw_event_exit(void)
{
	struct unbinding *u, *tmp;

	bus_unregister_notifier(nmbw_usb_bus(), &nmbw_bus_nb);
	list_for_each_entry_safe(u, tmp, &unbindings, node) {
		list_del(&u->node);
		kfree(u);
	}
}

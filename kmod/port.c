// SPDX-License-Identifier: GPL-2.0
/*
 * port.c - the table of watched ports and the claim driver.
 *
 * A port is watched by busid ("1-4.2"). For a port in claim mode, the
 * "nmb_watch" usb_device_driver's match() answers true, which makes the
 * generic USB driver step aside (usb_generic_driver_match() leaves a
 * device to any other driver that matches it). The device is therefore
 * never configured by the host, none of its interfaces exists, and no
 * interface driver can bind. usbip-host, which has neither id_table nor
 * match(), is then offered the device and takes it if the busid is in
 * its match_busid table. Our own probe always declines, so nmb_watch
 * never binds: a device usbip-host does not take stays without a driver
 * ("parked") until usbip-host takes it or the watch ends.
 *
 * Locking: ports_lock (spinlock) guards the table and is the only lock
 * taken from match() and from bus notifiers, which run under device
 * locks. ports_mutex serialises changes of the table together with the
 * reprobes that follow them; it is taken before any device lock.
 */
#include <linux/ctype.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "nmb_watch.h"

struct nmbw_port {
	struct list_head node;
	char busid[NMB_WATCH_BUSID_SIZE];
	bool notify_only;
	struct net *owner_net;	/* identity only, no reference */
	u32 owner_portid;
};

static LIST_HEAD(ports);
static LIST_HEAD(released);
static DEFINE_SPINLOCK(ports_lock);
static DEFINE_MUTEX(ports_mutex);

static void release_work_fn(struct work_struct *work);
static DECLARE_WORK(release_work, release_work_fn);

static struct nmbw_port *find_port(const char *busid)
{
	struct nmbw_port *p;

	lockdep_assert_held(&ports_lock);
	list_for_each_entry(p, &ports, node)
		if (!strcmp(p->busid, busid))
			return p;
	return NULL;
}

static const char *skip_number(const char *s)
{
	if (*s < '1' || *s > '9')
		return NULL;
	while (isdigit(*s))
		s++;
	return s;
}

/**
 * nmbw_busid_valid() - check a busid against bus-port[.port...]
 * @busid: NUL-terminated string
 *
 * Return: true if @busid matches [1-9][0-9]*-[1-9][0-9]*(\.[1-9][0-9]*)*
 * and fits in NMB_WATCH_BUSID_SIZE.
 */
bool nmbw_busid_valid(const char *busid)
{
	const char *s;

	if (strnlen(busid, NMB_WATCH_BUSID_SIZE) >= NMB_WATCH_BUSID_SIZE)
		return false;
	s = skip_number(busid);
	if (!s || *s++ != '-')
		return false;
	for (;;) {
		s = skip_number(s);
		if (!s)
			return false;
		if (!*s)
			return true;
		if (*s++ != '.')
			return false;
	}
}

/* Claim mode applies to real devices only: never hubs, never vhci. */
static bool nmbw_match(struct usb_device *udev)
{
	struct nmbw_port *p;
	bool claim;

	if (udev->descriptor.bDeviceClass == USB_CLASS_HUB ||
	    nmbw_on_vhci(udev))
		return false;
	spin_lock(&ports_lock);
	p = find_port(dev_name(&udev->dev));
	claim = p && !p->notify_only;
	spin_unlock(&ports_lock);
	return claim;
}

/*
 * Decline with -ENXIO: the driver core then offers the device to the
 * next driver. (-ENODEV would make usb_probe_device() fall back to the
 * generic driver, because this driver has a match function.)
 */
static int nmbw_probe(struct usb_device *udev)
{
	return -ENXIO;
}

static void nmbw_disconnect(struct usb_device *udev)
{
}

static struct usb_device_driver nmbw_driver = {
	.name = "nmb_watch",
	.match = nmbw_match,
	.probe = nmbw_probe,
	.disconnect = nmbw_disconnect,
	/* Keeps usb_probe_device() from taking a PM reference for us. */
	.supports_autosuspend = 1,
};

/**
 * nmbw_usb_bus() - the USB bus type
 *
 * usb_bus_type is not exported; the registered driver points at it.
 *
 * Return: the USB bus type.
 */
NMBW_BUS_CONST struct bus_type *nmbw_usb_bus(void)
{
	return nmbw_driver.driver.bus;
}

/**
 * nmbw_port_watched() - whether a busid is watched, in either mode
 * @busid: device name on the USB bus
 *
 * Return: true if watched.
 */
bool nmbw_port_watched(const char *busid)
{
	bool watched;

	spin_lock(&ports_lock);
	watched = find_port(busid);
	spin_unlock(&ports_lock);
	return watched;
}

/**
 * nmbw_port_get() - copy out the idx-th watched port, for dumps
 * @idx: position in the table
 * @busid: buffer of NMB_WATCH_BUSID_SIZE bytes
 * @notify_only: the port's mode
 *
 * Return: false once @idx is past the end.
 */
bool nmbw_port_get(unsigned long idx, char *busid, bool *notify_only)
{
	struct nmbw_port *p;
	bool found = false;

	spin_lock(&ports_lock);
	list_for_each_entry(p, &ports, node) {
		if (idx--)
			continue;
		strscpy(busid, p->busid, NMB_WATCH_BUSID_SIZE);
		*notify_only = p->notify_only;
		found = true;
		break;
	}
	spin_unlock(&ports_lock);
	return found;
}

static bool driver_is(struct device *dev, const char *name)
{
	struct device_driver *drv = READ_ONCE(dev->driver);

	return drv && !strcmp(drv->name, name);
}

/*
 * Bring the device on @busid, if any, in line with the table: on a
 * claimed port it must not be bound to anything but usbip-host; on any
 * other port it must not stay parked or on usbip-host. device_reprobe()
 * unbinds the current driver and probes again with the parent locked, as
 * the USB core itself does.
 */
static void settle_port(const char *busid)
{
	struct device *dev;
	bool claimed;
	int err;

	lockdep_assert_held(&ports_mutex);
	dev = bus_find_device_by_name(nmbw_usb_bus(), NULL, busid);
	if (!dev)
		return;
	if (!nmbw_is_usb_device(dev))
		goto out;

	claimed = nmbw_match(to_usb_device(dev));
	if (claimed && driver_is(dev, "usbip-host"))
		goto out;
	if (!claimed && READ_ONCE(dev->driver) &&
	    !driver_is(dev, "usbip-host"))
		goto out;

	err = device_reprobe(dev);
	if (err)
		dev_warn(dev, "reprobe after watch change failed: %d\n", err);
out:
	put_device(dev);
}

/**
 * nmbw_port_watch() - watch a port, or change the mode of one's own watch
 * @busid: validated busid
 * @notify_only: report only, do not claim
 * @net: owning socket's namespace
 * @portid: owning socket's port id
 *
 * Return: 0, -EBUSY if another socket watches the port, -ENOMEM.
 */
int nmbw_port_watch(const char *busid, bool notify_only, struct net *net,
		    u32 portid)
{
	struct nmbw_port *p, *new;
	int err = 0;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	strscpy(new->busid, busid, sizeof(new->busid));
	new->notify_only = notify_only;
	new->owner_net = net;
	new->owner_portid = portid;

	mutex_lock(&ports_mutex);
	spin_lock(&ports_lock);
	p = find_port(busid);
	if (!p) {
		list_add_tail(&new->node, &ports);
		new = NULL;
	} else if (net_eq(p->owner_net, net) && p->owner_portid == portid) {
		p->notify_only = notify_only;
	} else {
		err = -EBUSY;
	}
	spin_unlock(&ports_lock);

	if (!err)
		settle_port(busid);
	mutex_unlock(&ports_mutex);
	kfree(new);
	return err;
}

/**
 * nmbw_port_unwatch() - end a watch owned by the caller
 * @busid: validated busid
 * @net: caller's namespace
 * @portid: caller's socket port id
 *
 * The device on the port, if any, is reprobed and goes back to its
 * default drivers.
 *
 * Return: 0, -ENOENT if not watched, -EBUSY if owned by another socket.
 */
int nmbw_port_unwatch(const char *busid, struct net *net, u32 portid)
{
	struct nmbw_port *p;
	int err = 0;

	mutex_lock(&ports_mutex);
	spin_lock(&ports_lock);
	p = find_port(busid);
	if (!p)
		err = -ENOENT;
	else if (!net_eq(p->owner_net, net) || p->owner_portid != portid)
		err = -EBUSY;
	else
		list_del(&p->node);
	spin_unlock(&ports_lock);

	if (!err)
		settle_port(busid);
	mutex_unlock(&ports_mutex);
	if (!err)
		kfree(p);
	return err;
}

/* Settle and free every port on @list; ports_mutex held. */
static void release_list(struct list_head *list)
{
	struct nmbw_port *p, *tmp;

	list_for_each_entry_safe(p, tmp, list, node) {
		list_del(&p->node);
		settle_port(p->busid);
		kfree(p);
	}
}

static void release_work_fn(struct work_struct *work)
{
	LIST_HEAD(list);

	mutex_lock(&ports_mutex);
	spin_lock(&ports_lock);
	list_splice_init(&released, &list);
	spin_unlock(&ports_lock);
	release_list(&list);
	mutex_unlock(&ports_mutex);
}

/**
 * nmbw_port_release_owner() - end every watch of a closed socket
 * @net: the socket's namespace
 * @portid: the socket's port id
 *
 * Called from the netlink release notifier: the watches leave the table
 * at once (so match() stops claiming), and the devices are reprobed from
 * a work item.
 */
void nmbw_port_release_owner(struct net *net, u32 portid)
{
	struct nmbw_port *p, *tmp;
	bool any = false;

	spin_lock(&ports_lock);
	list_for_each_entry_safe(p, tmp, &ports, node) {
		if (net_eq(p->owner_net, net) && p->owner_portid == portid) {
			list_move_tail(&p->node, &released);
			any = true;
		}
	}
	spin_unlock(&ports_lock);
	if (any)
		schedule_work(&release_work);
}

/**
 * nmbw_port_init() - register the claim driver
 *
 * Return: 0 or a negative errno.
 */
int nmbw_port_init(void)
{
	return usb_register_device_driver(&nmbw_driver, THIS_MODULE);
}

/**
 * nmbw_port_exit() - end every watch and unregister the claim driver
 *
 * Runs after the netlink family and notifiers are gone, so nothing adds
 * watches any more. Devices on claimed ports go back to their default
 * drivers before the claim driver disappears.
 */
void nmbw_port_exit(void)
{
	LIST_HEAD(list);

	flush_work(&release_work);
	mutex_lock(&ports_mutex);
	spin_lock(&ports_lock);
	list_splice_init(&released, &list);
	list_splice_tail_init(&ports, &list);
	spin_unlock(&ports_lock);
	release_list(&list);
	mutex_unlock(&ports_mutex);
	usb_deregister_device_driver(&nmbw_driver);
}

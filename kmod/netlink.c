// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - the nmb_watch generic netlink family.
 *
 * WATCH and UNWATCH need CAP_NET_ADMIN, GET dumps the watched ports, and
 * the "events" group carries event.c's messages to every namespace. The
 * family runs with parallel_ops: port.c has its own locking, and a
 * reprobe (which may take long, and probes drivers) never runs under
 * the global genl mutex. Watches belong to the requesting socket; a
 * netlink notifier ends them when that socket is released.
 */
#include <linux/device.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "nmb_watch.h"

static const struct nla_policy nmbw_watch_policy[] = {
	[NMB_WATCH_A_PORT_BUSID] = { .type = NLA_NUL_STRING,
				     .len = NMB_WATCH_BUSID_SIZE - 1 },
	[NMB_WATCH_A_PORT_NOTIFY_ONLY] = { .type = NLA_FLAG },
};

static const struct nla_policy nmbw_unwatch_policy[] = {
	[NMB_WATCH_A_PORT_BUSID] = { .type = NLA_NUL_STRING,
				     .len = NMB_WATCH_BUSID_SIZE - 1 },
};

static struct genl_family nmbw_family;

/* Checks presence and syntax of the busid; returns it or NULL. */
static const char *get_busid(struct genl_info *info)
{
	struct nlattr *attr;

	if (GENL_REQ_ATTR_CHECK(info, NMB_WATCH_A_PORT_BUSID)) {
		/* 6.1's check names the attribute but sets no message. */
		NL_SET_ERR_MSG_MOD(info->extack, "missing attribute: busid");
		return NULL;
	}
	attr = info->attrs[NMB_WATCH_A_PORT_BUSID];
	if (!nmbw_busid_valid(nla_data(attr))) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "busid must be bus-port[.port...], e.g. 1-4.2");
		return NULL;
	}
	return nla_data(attr);
}

static void set_port_error(struct genl_info *info, int err)
{
	struct nlattr *attr = info->attrs[NMB_WATCH_A_PORT_BUSID];

	if (err == -EBUSY)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "port is watched by another socket");
	else if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "port is not watched");
}

static int nmbw_nl_watch_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *busid = get_busid(info);
	bool notify_only;
	int err;

	if (!busid)
		return -EINVAL;
	notify_only = nla_get_flag(info->attrs[NMB_WATCH_A_PORT_NOTIFY_ONLY]);
	err = nmbw_port_watch(busid, notify_only, genl_info_net(info),
			      info->snd_portid);
	set_port_error(info, err);
	return err;
}

static int nmbw_nl_unwatch_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *busid = get_busid(info);
	int err;

	if (!busid)
		return -EINVAL;
	err = nmbw_port_unwatch(busid, genl_info_net(info), info->snd_portid);
	set_port_error(info, err);
	return err;
}

/**
 * nmbw_put_device() - put a nest of NMB_WATCH_A_DEVICE_* attributes
 * @skb: message
 * @attrtype: type of the nest
 * @udev: the device
 * @driver: name of the driver bound to it, or NULL
 *
 * Return: 0, or -EMSGSIZE if @skb is full.
 */
int nmbw_put_device(struct sk_buff *skb, int attrtype,
		    struct usb_device *udev, const char *driver)
{
	const struct usb_device_descriptor *desc = &udev->descriptor;
	struct nlattr *nest;

	nest = nla_nest_start(skb, attrtype);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, NMB_WATCH_A_DEVICE_BUSID,
			   dev_name(&udev->dev)) ||
	    nla_put_u32(skb, NMB_WATCH_A_DEVICE_BUSNUM, udev->bus->busnum) ||
	    nla_put_u32(skb, NMB_WATCH_A_DEVICE_DEVNUM, udev->devnum) ||
	    nla_put_u16(skb, NMB_WATCH_A_DEVICE_VENDOR,
			le16_to_cpu(desc->idVendor)) ||
	    nla_put_u16(skb, NMB_WATCH_A_DEVICE_PRODUCT,
			le16_to_cpu(desc->idProduct)) ||
	    nla_put_u16(skb, NMB_WATCH_A_DEVICE_BCD_DEVICE,
			le16_to_cpu(desc->bcdDevice)) ||
	    nla_put_u32(skb, NMB_WATCH_A_DEVICE_SPEED, udev->speed))
		goto cancel;
	if (udev->manufacturer &&
	    nla_put_string(skb, NMB_WATCH_A_DEVICE_MANUFACTURER,
			   udev->manufacturer))
		goto cancel;
	if (udev->product &&
	    nla_put_string(skb, NMB_WATCH_A_DEVICE_PRODUCT_NAME,
			   udev->product))
		goto cancel;
	if (udev->serial &&
	    nla_put_string(skb, NMB_WATCH_A_DEVICE_SERIAL, udev->serial))
		goto cancel;
	if (driver && driver[0] &&
	    nla_put_string(skb, NMB_WATCH_A_DEVICE_DRIVER, driver))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* The device now on @busid, if any, as a PORT_DEVICE nest. */
static int put_port_device(struct sk_buff *skb, const char *busid)
{
	struct device *dev;
	int err = 0;

	dev = bus_find_device_by_name(nmbw_usb_bus(), NULL, busid);
	if (!dev)
		return 0;
	if (nmbw_is_usb_device(dev)) {
		device_lock(dev);
		err = nmbw_put_device(skb, NMB_WATCH_A_PORT_DEVICE,
				      to_usb_device(dev),
				      dev->driver ? dev->driver->name : NULL);
		device_unlock(dev);
	}
	put_device(dev);
	return err;
}

static int nmbw_nl_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	char busid[NMB_WATCH_BUSID_SIZE];
	unsigned long idx = cb->args[0];
	bool notify_only;
	void *hdr;

	for (; nmbw_port_get(idx, busid, &notify_only); idx++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &nmbw_family,
				  NLM_F_MULTI, NMB_WATCH_CMD_GET);
		if (!hdr)
			break;
		if (nla_put_string(skb, NMB_WATCH_A_PORT_BUSID, busid) ||
		    (notify_only &&
		     nla_put_flag(skb, NMB_WATCH_A_PORT_NOTIFY_ONLY)) ||
		    put_port_device(skb, busid)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = idx;
	return skb->len;
}

static const struct genl_ops nmbw_ops[] = {
	{
		.cmd = NMB_WATCH_CMD_WATCH,
		.doit = nmbw_nl_watch_doit,
		.policy = nmbw_watch_policy,
		.maxattr = ARRAY_SIZE(nmbw_watch_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = NMB_WATCH_CMD_UNWATCH,
		.doit = nmbw_nl_unwatch_doit,
		.policy = nmbw_unwatch_policy,
		.maxattr = ARRAY_SIZE(nmbw_unwatch_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = NMB_WATCH_CMD_GET,
		.dumpit = nmbw_nl_get_dumpit,
	},
};

static const struct genl_multicast_group nmbw_mcgrps[] = {
	{ .name = NMB_WATCH_MCGRP_EVENTS, },
};

static struct genl_family nmbw_family __ro_after_init = {
	.name = NMB_WATCH_FAMILY_NAME,
	.version = NMB_WATCH_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = nmbw_ops,
	.n_ops = ARRAY_SIZE(nmbw_ops),
	.mcgrps = nmbw_mcgrps,
	.n_mcgrps = ARRAY_SIZE(nmbw_mcgrps),
};

/**
 * nmbw_event_new() - allocate an EVENT_NTF message
 * @hdr: set to the genetlink header, for nmbw_event_send()
 *
 * Return: the message, or NULL when nobody listens or memory is short.
 */
struct sk_buff *nmbw_event_new(void **hdr)
{
	struct sk_buff *skb;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &nmbw_family, 0,
			   NMB_WATCH_CMD_EVENT_NTF);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/**
 * nmbw_event_send() - finish an event and multicast it to all namespaces
 * @skb: the message, consumed
 * @hdr: header returned by nmbw_event_new()
 */
void nmbw_event_send(struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
	genlmsg_multicast_allns(&nmbw_family, skb, 0, 0);
}

static int nmbw_netlink_notify(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC)
		nmbw_port_release_owner(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block nmbw_netlink_nb = {
	.notifier_call = nmbw_netlink_notify,
};

/**
 * nmbw_netlink_init() - register the family and the release notifier
 *
 * Return: 0 or a negative errno.
 */
int nmbw_netlink_init(void)
{
	int err;

	err = genl_register_family(&nmbw_family);
	if (err)
		return err;
	err = netlink_register_notifier(&nmbw_netlink_nb);
	if (err)
		goto err_family;
	return 0;

err_family:
	genl_unregister_family(&nmbw_family);
	return err;
}

/**
 * nmbw_netlink_exit() - unregister the release notifier and the family
 *
 * genl_unregister_family() waits for requests in flight.
 */
void nmbw_netlink_exit(void)
{
	netlink_unregister_notifier(&nmbw_netlink_nb);
	genl_unregister_family(&nmbw_family);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nmb_watch.h - boundary between the parts of the nmb_watch module:
 * port.c (the watch table and the claim driver), event.c (bus notifier
 * and event messages) and netlink.c (the generic netlink family).
 */
#ifndef _NMB_WATCH_H
#define _NMB_WATCH_H

#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <linux/usb.h>
#include <linux/nmb_watch.h>

#include "compat.h"

struct net;
struct bus_type;

/* port.c */
int nmbw_port_init(void);
void nmbw_port_exit(void);
NMBW_BUS_CONST struct bus_type *nmbw_usb_bus(void);
bool nmbw_busid_valid(const char *busid);
int nmbw_port_watch(const char *busid, bool notify_only, struct net *net,
		    u32 portid);
int nmbw_port_unwatch(const char *busid, struct net *net, u32 portid);
void nmbw_port_release_owner(struct net *net, u32 portid);
bool nmbw_port_watched(const char *busid);
bool nmbw_port_get(unsigned long idx, char *busid, bool *notify_only);

/* event.c */
int nmbw_event_init(void);
void nmbw_event_exit(void);
bool nmbw_is_usb_device(const struct device *dev);
bool nmbw_on_vhci(const struct usb_device *udev);

/* netlink.c */
int nmbw_netlink_init(void);
void nmbw_netlink_exit(void);
int nmbw_put_device(struct sk_buff *skb, int attrtype,
		    struct usb_device *udev, const char *driver);
struct sk_buff *nmbw_event_new(void **hdr);
void nmbw_event_send(struct sk_buff *skb, void *hdr);

#endif /* _NMB_WATCH_H */

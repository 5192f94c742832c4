/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usb.h - the USB devices of the places, kept on usbip-host by nmb_watch
 * and handed to the kernel on an agent's socket (usb.c).
 */
#ifndef NMB_EXPORTER_USB_H
#define NMB_EXPORTER_USB_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "list.h"
#include "usbip.h"

struct conn;
struct exporter;
struct loop_timer;
struct place;

struct usbdev {
	char busid[USBIP_BUSID_SIZE];
	struct place *place;
	struct exporter *exp;
	struct list_head waiters;	/* struct conn.wnode, FIFO */
	struct conn *owner;		/* export in progress: the lock */
	struct loop_timer *timer;	/* status re-check while busy */
	uint64_t ready_ns;		/* when it last became ready */
	bool bind_warned;		/* usbip-host refusal logged */
	uint64_t exports, reexports;	/* metrics.c */
	char last_peer[INET6_ADDRSTRLEN];	/* of the last export */
};

/* nmb_watch opened, usbip-host loaded (modprobe in the loop: ports are
 * claimed when it ends, a failure stops the loop), usb_place_start(). */
int usb_start(struct exporter *e);
void usb_stop(struct exporter *e);
/* One place's devices: claimed, watched, served; stopped and let go. */
int usb_place_start(struct exporter *e, struct place *p);
void usb_place_stop(struct exporter *e, struct place *p);
struct usbdev *usb_find(struct exporter *e, const char *busid);
/* c has sent a valid OP_REQ_IMPORT for dev: queue it and re-check. */
void usb_enqueue(struct usbdev *dev, struct conn *c);
/* Detaches c from its device (queue or export); with stop, ends it. */
void usb_conn_gone(struct conn *c, bool stop);

#endif /* NMB_EXPORTER_USB_H */

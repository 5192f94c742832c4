/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gadget.h - fake boards for the nmb_watch selftests: a configfs USB
 * gadget with one ACM function, plugged into dummy_hcd's UDC number
 * idx. Plugging writes the UDC name into the gadget's UDC file, which
 * connects the device to root port 1 of dummy_hcd.<idx>'s bus.
 */
#ifndef NMB_KT_GADGET_H
#define NMB_KT_GADGET_H

#include <stdbool.h>
#include <stdint.h>

#define KT_GADGET_VENDOR	0x1209	/* pid.codes */
#define KT_GADGET_PRODUCT	0x0001	/* + idx; pid.codes test PID */
#define KT_GADGET_BCD		0x0601
#define KT_GADGET_MANUFACTURER	"nmb selftests"
#define KT_GADGET_PRODUCT_NAME	"nmb fake board"

struct kt_gadget {
	int idx;
	char dir[256];		/* /sys/kernel/config/usb_gadget/<name> */
	char udc[32];		/* dummy_udc.<idx> */
	char busid[32];		/* where the device appears: "1-1" */
	char serial[64];
	uint16_t vendor;
	uint16_t product;
	bool created;
	bool plugged;
};

/* Number of dummy_hcd UDCs (dummy_udc.N) present. */
int kt_udc_count(void);
/* Busid the device on UDC idx gets: "<bus of dummy_hcd.idx>-1". */
int kt_udc_busid(int idx, char *busid, size_t size);

/* Create (replacing a stale one) the gadget for UDC idx. */
int kt_gadget_create(struct kt_gadget *g, int idx);
int kt_gadget_plug(struct kt_gadget *g);
int kt_gadget_unplug(struct kt_gadget *g);
/* Unplug, wait for the device to go, remove the configfs tree. */
void kt_gadget_destroy(struct kt_gadget *g);
/* Wait until /sys/bus/usb/devices/<busid> exists (or not). */
int kt_gadget_wait(struct kt_gadget *g, bool present, int timeout_ms);

#endif /* NMB_KT_GADGET_H */

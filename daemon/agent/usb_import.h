/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usb_import.h - one imported USB interface (usb_import.c).
 */
#ifndef NMB_AGENT_USB_IMPORT_H
#define NMB_AGENT_USB_IMPORT_H

#include <json-c/json.h>
#include <stdbool.h>

struct reservation;
struct usb_import;

/* part and iface are borrowed: r keeps its description while attached. */
struct usb_import *usb_import_new(struct reservation *r, const char *part,
				  const char *iface, unsigned int port_num,
				  const char *host, unsigned int port,
				  const char *busid);
void usb_import_free(struct usb_import *u);
bool usb_import_up(struct usb_import *u);
/* {"type": "USB", "port", "up", "busid", "nodes", ...} fields added to o */
void usb_import_status(struct usb_import *u, json_object *o);
const char *usb_import_iface(const struct usb_import *u);
const char *usb_import_part(const struct usb_import *u);
/* Last error for the timeout message, "" if none. */
const char *usb_import_error(const struct usb_import *u);

#endif /* NMB_AGENT_USB_IMPORT_H */

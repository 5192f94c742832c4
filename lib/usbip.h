/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usbip.h - USB/IP import PDUs (OP_REQ_IMPORT / OP_REP_IMPORT, the only
 * operation not-my-board uses) and the sysfs hand-offs of both ends:
 * usbip-host (exporter) and vhci-hcd (agent).
 *
 * Speed: the reply's speed field follows not-my-board 0.13 (wire note
 * §7) to the byte: sysfs "1.5"->1, "12"->2, "480"->3, "53.3-480"->4,
 * "5000"->5 and anything else, "10000" and "20000" included, -> 0.
 * usbip_speed_parse() gives the true speed (SuperSpeedPlus -> 6) for our
 * own use; usbip_speed_wire() folds it into the wire value. Linux 6.1's
 * vhci-hcd refuses speed 0 and 6 alike (valid_args() accepts 1..5), so
 * a SuperSpeedPlus device cannot be attached either way; we keep the
 * reference exporter's bytes rather than invent a value.
 */
#ifndef NMB_USBIP_H
#define NMB_USBIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USBIP_VERSION		0x0111
#define USBIP_OP_REQ_IMPORT	0x8003
#define USBIP_OP_REP_IMPORT	0x0003
#define USBIP_REQ_IMPORT_SIZE	40
#define USBIP_REP_IMPORT_SIZE	320
#define USBIP_BUSID_SIZE	32
#define USBIP_PATH_SIZE		256
#define USBIP_PORT		3240

/* usbip_status values (drivers/usb/usbip/usbip_common.h) */
#define USBIP_ST_AVAILABLE	1
#define USBIP_ST_USED		2
#define USBIP_ST_ERROR		3

/* The device part of OP_REP_IMPORT, in host byte order. */
struct usbip_device {
	char path[USBIP_PATH_SIZE];
	char busid[USBIP_BUSID_SIZE];
	uint32_t busnum;
	uint32_t devnum;
	uint32_t speed;
	uint16_t vendor;
	uint16_t product;
	uint16_t bcd_device;
	uint8_t dev_class;
	uint8_t dev_subclass;
	uint8_t dev_protocol;
	uint8_t configuration_value;
	uint8_t num_configurations;
	uint8_t num_interfaces;
};

/* --- PDUs ------------------------------------------------------------ */

/* True if busid is a USB port busid: [1-9][0-9]*-[1-9][0-9]*(.[1-9][0-9]*)* */
bool usbip_busid_valid(const char *busid);

void usbip_build_req_import(uint8_t pdu[USBIP_REQ_IMPORT_SIZE],
			    const char *busid);
/*
 * Checks version, code and status and extracts the busid (trailing NULs
 * removed). Returns 0, or -EPROTO for a bad header, -EINVAL for a busid
 * that is not NUL-terminated within its 32 bytes.
 */
int usbip_parse_req_import(const uint8_t pdu[USBIP_REQ_IMPORT_SIZE],
			   char busid[USBIP_BUSID_SIZE]);

void usbip_build_rep_import(uint8_t pdu[USBIP_REP_IMPORT_SIZE],
			    const struct usbip_device *dev);
/* Returns 0, or -EPROTO for a bad version/code or a non-zero status. */
int usbip_parse_rep_import(const uint8_t pdu[USBIP_REP_IMPORT_SIZE],
			   struct usbip_device *dev);

/* sysfs "speed" string -> enum usb_device_speed (10000/20000 -> 6). */
uint32_t usbip_speed_parse(const char *s);
/* enum usb_device_speed -> OP_REP_IMPORT value of §7 (6 -> 0). */
uint32_t usbip_speed_wire(uint32_t speed);

/* --- sysfs, exporter side (usbip-host) ------------------------------- */

/* Changes "/sys" for the tests; NULL restores it. */
void usbip_set_sysfs_root(const char *root);

/*
 * Fills dev from /sys/bus/usb/devices/<busid>/ with the values of §7
 * (speed already folded by usbip_speed_wire()). -ENOENT: no device.
 */
int usbip_read_device(const char *busid, struct usbip_device *dev);
/*
 * Name of the driver bound to the device, "" if none. -ENOENT: no device.
 */
int usbip_device_driver(const char *busid, char *buf, size_t size);
/* usbip_status of a device bound to usbip-host (>= 0), or -errno. */
int usbip_status(const char *busid);
/* Writes "<fd>\n" (fd -1 stops an export) to usbip_sockfd. */
int usbip_set_sockfd(const char *busid, int fd);
/* "add <busid>" / "del <busid>" to usbip-host's match_busid. */
int usbip_match_busid(const char *busid, bool add);
/* Binds the device to usbip-host / unbinds it from whatever driver. */
int usbip_host_bind(const char *busid);
int usbip_unbind(const char *busid);
/* True once usbip-host is registered (module loaded). */
bool usbip_host_loaded(void);

/* --- sysfs, agent side (vhci-hcd) ------------------------------------ */

/*
 * vhci port for the port_num-th free slot of its speed class (§7 agent
 * step 5): N ports over H controllers, P = N/H, h = P/2,
 * port = (port_num / h) * P + port_num % h, plus h for speed 5.
 * Returns the port or -EINVAL when it is >= N.
 */
int usbip_vhci_port(unsigned int nports, unsigned int nhcs,
		    unsigned int port_num, uint32_t speed);
/* nports of vhci_hcd.0 and the number of vhci_hcd.* controllers. */
int usbip_vhci_geometry(unsigned int *nports, unsigned int *nhcs);
/* devid of the attach line: (busnum << 16) | devnum. */
uint32_t usbip_devid(const struct usbip_device *dev);
/* Writes "<port> <fd> <devid> <speed>\n" to vhci_hcd.0/attach. */
int usbip_vhci_attach(int port, int fd, uint32_t devid, uint32_t speed);
/* Writes "<port>\n" to vhci_hcd.0/detach. */
int usbip_vhci_detach(int port);

#endif /* NMB_USBIP_H */

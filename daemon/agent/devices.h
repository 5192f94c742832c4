/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devices.h - imported devices as the local kernel sees them
 * (devices.c): vhci ports, local busids, whether they are up.
 */
#ifndef NMB_AGENT_DEVICES_H
#define NMB_AGENT_DEVICES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct loop;
struct devices;

/*
 * Called when imported devices may have changed (an nmb_watch event, a
 * poll); returns true while something still waits for a device, which
 * keeps the poll going.
 */
typedef bool (*devices_changed_fn)(void *arg);

int devices_start(struct loop *loop, devices_changed_fn changed, void *arg,
		  struct devices **out);
void devices_stop(struct devices *d);
/* vhci-hcd is loaded (its platform device exists). */
bool devices_vhci_loaded(void);
/*
 * Runs 'modprobe vhci-hcd' on the loop; done(arg, 0 or -ENODEV) follows
 * when it has ended. NULL if modprobe cannot start (logged).
 * devices_vhci_cancel() forgets a load: done is never called.
 */
struct vhci_load;
struct vhci_load *devices_vhci_load(struct loop *loop,
				    void (*done)(void *arg, int err),
				    void *arg);
void devices_vhci_cancel(struct vhci_load *l);
/*
 * Local busid of the device on vhci port (global numbering), from the
 * controller's root hubs in sysfs. Returns 0 or -errno.
 */
int devices_vhci_busid(int port, char *busid, size_t size);
/*
 * The device at busid: configured and every interface settled (bound,
 * disks scanned). nodes gets /dev paths (array of strings).
 */
bool devices_scan(struct devices *d, const char *busid, json_object *nodes);
/* Keep polling sysfs while something waits (without nmb_watch: always). */
void devices_poll(struct devices *d, bool on);

#endif /* NMB_AGENT_DEVICES_H */

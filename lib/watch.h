/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch.h - user-space client of the nmb_watch generic netlink family:
 * WATCH/UNWATCH/GET and the "events" multicast group, hiding all netlink.
 *
 * A struct watch owns two netlink sockets: a blocking control socket that
 * sends requests and owns the watches (they end when watch_close() closes
 * it), and, after watch_subscribe(), a non-blocking event socket whose fd
 * the caller puts in its event loop; on EPOLLIN it calls watch_process().
 */
#ifndef NMB_WATCH_H
#define NMB_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/nmb_watch.h>

#define WATCH_STR_SIZE		128
#define WATCH_DRIVER_SIZE	64
#define WATCH_MAX_DEVNAMES	16
#define WATCH_ERRMSG_SIZE	256

/* A USB device as nmb_watch reports it; absent strings are "". */
struct watch_device {
	char busid[NMB_WATCH_BUSID_SIZE];
	uint32_t busnum;
	uint32_t devnum;
	uint16_t vendor;
	uint16_t product;
	uint16_t bcd_device;
	uint32_t speed;			/* enum nmb_watch_speed */
	char manufacturer[WATCH_STR_SIZE];
	char product_name[WATCH_STR_SIZE];
	char serial[WATCH_STR_SIZE];
	char driver[WATCH_DRIVER_SIZE];	/* bound driver, "" if none */
};

/* One EVENT_NTF. */
struct watch_event {
	uint32_t type;			/* enum nmb_watch_event_type */
	uint32_t source;		/* enum nmb_watch_source */
	uint64_t timestamp_ns;		/* CLOCK_MONOTONIC */
	bool has_device;
	struct watch_device dev;
	char interface[NMB_WATCH_BUSID_SIZE + 16];	/* "" for the device */
	char driver[WATCH_DRIVER_SIZE];	/* bind/unbind: that driver */
	unsigned int n_devnames;
	char devnames[WATCH_MAX_DEVNAMES][WATCH_STR_SIZE];
};

/* One entry of the GET dump. */
struct watch_port {
	char busid[NMB_WATCH_BUSID_SIZE];
	bool notify_only;
	bool has_device;
	struct watch_device dev;
};

struct watch;

/*
 * Error reporting: functions return 0 or -errno. Where an errmsg buffer
 * (WATCH_ERRMSG_SIZE bytes) is given, it receives the kernel's extack
 * message, or "" when there is none.
 */

/*
 * Opens the control socket and resolves the family and its "events"
 * group. -ENOENT means the nmb_watch module is not loaded.
 */
int watch_open(struct watch **out);
/* Closes both sockets: every watch of this struct watch ends. */
void watch_close(struct watch *w);

/* WATCH busid, claiming it unless notify_only (needs CAP_NET_ADMIN). */
int watch_port(struct watch *w, const char *busid, bool notify_only,
	       char *errmsg);
/* UNWATCH busid. */
int watch_unwatch(struct watch *w, const char *busid, char *errmsg);

typedef void (*watch_port_cb)(const struct watch_port *port, void *arg);
/* GET dump: calls cb once per watched port. */
int watch_get(struct watch *w, watch_port_cb cb, void *arg, char *errmsg);

/*
 * Joins the "events" group on a second, non-blocking socket. Returns 0;
 * watch_events_fd() then gives its fd (-1 before).
 */
int watch_subscribe(struct watch *w);
int watch_events_fd(const struct watch *w);

typedef void (*watch_event_cb)(const struct watch_event *ev, void *arg);
/*
 * Reads every pending event and calls cb for each. Returns 0 once the
 * socket is drained, -ENOBUFS when events were lost (the caller must
 * re-read the state it keeps, e.g. from sysfs), or another -errno.
 */
int watch_process(struct watch *w, watch_event_cb cb, void *arg);

/* Parsers, exposed for tests: payload after the genl header. */
int watch_parse_event(const void *attrs, size_t len, struct watch_event *ev);
int watch_parse_port(const void *attrs, size_t len, struct watch_port *port);

const char *watch_event_type_name(uint32_t type);
const char *watch_speed_name(uint32_t speed);

#endif /* NMB_WATCH_H */

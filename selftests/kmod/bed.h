/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bed.h - the test bed every nmb_watch fixture owns: a request socket
 * (which owns the watches), an event socket subscribed to "events" with
 * its log, and up to two fake boards on dummy_hcd. Setup finds it
 * clean (no watch left by an earlier test), teardown leaves it clean.
 */
#ifndef NMB_KT_BED_H
#define NMB_KT_BED_H

#include "gadget.h"
#include "nl.h"
#include "usb.h"

/* Enumeration under TCG can be slow. */
#define KT_TIMEOUT_MS	10000
/* How long "nothing else happens" is watched for. */
#define KT_QUIET_MS	1500

struct kt_bed {
	bool absent;		/* nmb_watch is not loaded: skip */
	struct kt_nl ctl;
	struct kt_nl ev;
	struct kt_log log;
	struct kt_gadget g[2];
	int ngadgets;
};

/* 0, -ENOENT if nmb_watch is not loaded, other -errno on failure. */
int kt_bed_setup(struct kt_bed *b, int ngadgets, bool subscribe);
void kt_bed_teardown(struct kt_bed *b);
/*
 * Gadget 1, whose port is never added to usbip-host's match_busid table;
 * NULL without a second UDC or when the port is in the table. (An entry
 * cannot be taken out again: "del" keeps an entry whose device is not
 * bound, and reloading usbip-host after one of its devices was unplugged
 * may oops in stub_device_rebind() on 6.1.)
 */
#define KT_NO_PLAIN	"needs a second port outside match_busid: " \
			"modprobe dummy_hcd num=2 before usbip-host"
struct kt_gadget *kt_bed_plain(struct kt_bed *b);
/* Gadget 0 with its port added to match_busid; NULL on failure. */
struct kt_gadget *kt_bed_matched(struct kt_bed *b);

/* A match for events of the given type about busid (device events). */
#define KT_DEV_EV(t, bus, drv) ((struct kt_match){			\
	.type = NMB_WATCH_EVENT_TYPE_##t, .source = NMB_WATCH_SOURCE_PORT, \
	.busid = (bus), .scope = KT_DEVICE, .driver = (drv) })

/*
 * Setup may SKIP, but the 6.1 harness still runs the test body after a
 * SKIP in FIXTURE_SETUP: every test starts with this.
 */
#define KT_REQUIRE_BED() do {						\
	if (_metadata->skip)						\
		return;							\
} while (0)

/*
 * A TAP comment from inside a test: tests run in a forked child that
 * ends with _exit(), so stdout must be flushed by hand.
 */
#define KT_NOTE(fmt, ...) do {						\
	ksft_print_msg(fmt, ##__VA_ARGS__);				\
	fflush(stdout);							\
} while (0)

/* Print the event log as TAP comments when a check failed. */
#define KT_LOG_ON_FAIL(b) do {						\
	if (!_metadata->passed)						\
		kt_log_print(&(b)->log, stderr);			\
} while (0)

#endif /* NMB_KT_BED_H */

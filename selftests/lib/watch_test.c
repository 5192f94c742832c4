// SPDX-License-Identifier: GPL-2.0
/*
 * watch_test.c - unit tests of lib/watch: nmb_watch event and dump
 * messages parsed, and watch_open without the module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "tap.h"
#include "watch.h"

static void test_watch_parse(void)
{
	char buf[4096];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *nest;
	struct watch_event ev;
	struct watch_port port;
	size_t len;

	mnl_attr_put_u32(nlh, NMB_WATCH_A_EVENT_TYPE, NMB_WATCH_EVENT_TYPE_BIND);
	mnl_attr_put_u32(nlh, NMB_WATCH_A_EVENT_SOURCE, NMB_WATCH_SOURCE_PORT);
	mnl_attr_put_u64(nlh, NMB_WATCH_A_EVENT_TIMESTAMP, 12345);
	nest = mnl_attr_nest_start(nlh, NMB_WATCH_A_EVENT_DEVICE);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_DEVICE_BUSID, "1-1");
	mnl_attr_put_u32(nlh, NMB_WATCH_A_DEVICE_BUSNUM, 1);
	mnl_attr_put_u32(nlh, NMB_WATCH_A_DEVICE_DEVNUM, 4);
	mnl_attr_put_u16(nlh, NMB_WATCH_A_DEVICE_VENDOR, 0x1d6b);
	mnl_attr_put_u32(nlh, NMB_WATCH_A_DEVICE_SPEED, 3);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_DEVICE_SERIAL, "abc");
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_EVENT_DRIVER, "usbip-host");
	mnl_attr_put_strz(nlh, NMB_WATCH_A_EVENT_DEVNAME, "ttyACM0");
	mnl_attr_put_strz(nlh, NMB_WATCH_A_EVENT_DEVNAME, "ttyACM1");
	len = mnl_nlmsg_get_payload_len(nlh);
	ok(watch_parse_event(mnl_nlmsg_get_payload(nlh), len, &ev) == 0 &&
	   ev.type == NMB_WATCH_EVENT_TYPE_BIND && ev.timestamp_ns == 12345 &&
	   !strcmp(ev.dev.busid, "1-1") && ev.dev.devnum == 4 &&
	   ev.dev.vendor == 0x1d6b && !strcmp(ev.dev.serial, "abc") &&
	   !strcmp(ev.driver, "usbip-host") && ev.n_devnames == 2 &&
	   !strcmp(ev.devnames[1], "ttyACM1"), "event parsed");
	/* truncated: cut inside the nest */
	ok(watch_parse_event(mnl_nlmsg_get_payload(nlh), 30, &ev) != 0 ||
	   !ev.has_device, "truncated event refused");

	nlh = mnl_nlmsg_put_header(buf);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, "2-1.3");
	mnl_attr_put(nlh, NMB_WATCH_A_PORT_NOTIFY_ONLY, 0, NULL);
	ok(watch_parse_port(mnl_nlmsg_get_payload(nlh),
			    mnl_nlmsg_get_payload_len(nlh), &port) == 0 &&
	   !strcmp(port.busid, "2-1.3") && port.notify_only &&
	   !port.has_device, "dump entry parsed");
}

static void test_watch_open(void)
{
	struct watch *w = NULL;
	int err = watch_open(&w);

	if (err == 0) {
		ok(true, "# SKIP nmb_watch is loaded here");
		watch_close(w);
		return;
	}
	ok(err == -ENOENT, "watch_open without the module: ENOENT (%d)", err);
}

int main(void)
{
	printf("TAP version 13\n");
	test_watch_parse();
	test_watch_open();
	return tap_done();
}

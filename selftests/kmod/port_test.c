// SPDX-License-Identifier: GPL-2.0
/*
 * port_test.c - nmb_watch with fake boards on dummy_hcd: every event of a
 * watched port, the GET device nest against sysfs, the guarantee (a
 * claimed device goes to usbip-host and cdc_acm never binds, where an
 * unwatched port gets cdc_acm), parking, reprobe on WATCH, notify-only,
 * release by UNWATCH and by closing the socket, the usbip-host to
 * vhci_hcd hand-off and its vhci events, and events in other netns.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "bed.h"

FIXTURE(port) {
	struct kt_bed b;
};

FIXTURE_SETUP(port)
{
	int err = kt_bed_setup(&self->b, 2, true);

	if (err == -ENOENT)
		SKIP(return, "nmb_watch is not loaded");
	ASSERT_EQ(0, err) TH_LOG("test bed: %s", strerror(-err));
	ASSERT_LE(1, self->b.ngadgets) TH_LOG("no dummy_udc: load dummy_hcd");
}

FIXTURE_TEARDOWN(port)
{
	KT_LOG_ON_FAIL(&self->b);
	kt_bed_teardown(&self->b);
}

static unsigned long attr_ul(const char *busid, const char *attr, int base)
{
	char buf[64];

	if (kt_usb_attr(busid, attr, buf, sizeof(buf)) < 0)
		return ~0ul;
	return strtoul(buf, NULL, base);
}

static void attr_str(const char *busid, const char *attr, char *buf,
		     size_t size)
{
	if (kt_usb_attr(busid, attr, buf, size) < 0)
		snprintf(buf, size, "<none>");
}

/* A device nest against sysfs and the gadget; driver NULL: none bound. */
static void check_dev(struct __test_metadata *_metadata,
		      const struct kt_dev *d, const char *busid,
		      const struct kt_gadget *g, const char *driver)
{
	char s[KT_STR_SIZE];
	int a;

	EXPECT_FALSE(d->malformed);
	for (a = NMB_WATCH_A_DEVICE_BUSID; a <= NMB_WATCH_A_DEVICE_SERIAL; a++)
		EXPECT_TRUE(KT_HAS(d, a)) TH_LOG("device attribute %d missing",
						 a);
	EXPECT_STREQ(busid, d->busid);
	EXPECT_EQ(attr_ul(busid, "busnum", 10), d->busnum);
	EXPECT_EQ(attr_ul(busid, "devnum", 10), d->devnum);
	EXPECT_EQ(attr_ul(busid, "idVendor", 16), d->vendor);
	EXPECT_EQ(attr_ul(busid, "idProduct", 16), d->product);
	EXPECT_EQ(attr_ul(busid, "bcdDevice", 16), d->bcd_device);
	EXPECT_EQ(kt_usb_speed_enum(busid), (int)d->speed);
	attr_str(busid, "manufacturer", s, sizeof(s));
	EXPECT_STREQ(s, d->manufacturer);
	attr_str(busid, "product", s, sizeof(s));
	EXPECT_STREQ(s, d->product_name);
	attr_str(busid, "serial", s, sizeof(s));
	EXPECT_STREQ(s, d->serial);
	/* And sysfs agrees with what the gadget was made with. */
	EXPECT_EQ(g->vendor, d->vendor);
	EXPECT_EQ(g->product, d->product);
	EXPECT_EQ(KT_GADGET_BCD, d->bcd_device);
	EXPECT_STREQ(g->serial, d->serial);
	EXPECT_STREQ(KT_GADGET_MANUFACTURER, d->manufacturer);
	EXPECT_STREQ(KT_GADGET_PRODUCT_NAME, d->product_name);
	EXPECT_EQ(NMB_WATCH_SPEED_HIGH, (int)d->speed);
	if (driver) {
		EXPECT_TRUE(KT_HAS(d, NMB_WATCH_A_DEVICE_DRIVER))
			TH_LOG("%s: no driver attribute", busid);
		EXPECT_STREQ(driver, d->driver);
	} else {
		EXPECT_FALSE(KT_HAS(d, NMB_WATCH_A_DEVICE_DRIVER))
			TH_LOG("driver \"%s\" reported", d->driver);
	}
}

/* The common attributes of an event. */
static void check_event(struct __test_metadata *_metadata,
			const struct kt_event *ev, uint32_t source,
			uint64_t after)
{
	EXPECT_FALSE(ev->malformed);
	EXPECT_TRUE((ev->has & (1u << NMB_WATCH_A_EVENT_TYPE)) != 0);
	EXPECT_TRUE((ev->has & (1u << NMB_WATCH_A_EVENT_SOURCE)) != 0);
	EXPECT_TRUE((ev->has & (1u << NMB_WATCH_A_EVENT_TIMESTAMP)) != 0);
	EXPECT_TRUE((ev->has & (1u << NMB_WATCH_A_EVENT_DEVICE)) != 0);
	EXPECT_EQ(source, ev->source);
	/* CLOCK_MONOTONIC, between the action and the receipt. */
	EXPECT_LE(after, ev->ts);
	EXPECT_LE(ev->ts, ev->rx_ns);
	if (ev->type == NMB_WATCH_EVENT_TYPE_BIND ||
	    ev->type == NMB_WATCH_EVENT_TYPE_UNBIND) {
		EXPECT_NE(0, ev->driver[0]) TH_LOG("no driver attribute");
	} else {
		EXPECT_EQ(0, ev->driver[0])
			TH_LOG("%s with a driver", kt_type_name(ev->type));
		EXPECT_EQ(0, ev->ndevnames);
	}
}

/* "add, bind usbip-host, ..." for a TAP comment. */
static const char *sequence(const struct kt_log *log)
{
	static char buf[512];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < log->n && len < sizeof(buf) - 64; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s%s%s",
				i ? ", " : "", kt_type_name(log->ev[i].type),
				log->ev[i].driver[0] ? " " : "",
				log->ev[i].driver);
	return buf;
}

static int wait_ev(struct kt_bed *b, struct kt_match m, int from)
{
	return kt_log_wait(&b->ev, &b->log, &m, from, KT_TIMEOUT_MS);
}

/* Plug g on an unwatched port and wait for cdc_acm to bind. */
static void plug_default(struct __test_metadata *_metadata,
			 struct kt_gadget *g)
{
	char tty[32];

	ASSERT_EQ(0, kt_gadget_plug(g));
	ASSERT_TRUE(KT_WAIT_UNTIL(kt_usb_iface_driver_is(g->busid, "cdc_acm"),
				  KT_TIMEOUT_MS))
		TH_LOG("%s: cdc_acm did not bind", g->busid);
	EXPECT_TRUE(kt_usb_driver_is(g->busid, "usb"));
	EXPECT_TRUE(KT_WAIT_UNTIL(!kt_usb_tty(g->busid, tty, sizeof(tty)),
				  KT_TIMEOUT_MS));
}

/* g's device is back on its default drivers (within a few seconds). */
static void expect_default(struct __test_metadata *_metadata,
			   struct kt_gadget *g)
{
	char drv[64] = "", tty[32];

	EXPECT_TRUE(KT_WAIT_UNTIL(kt_usb_driver_is(g->busid, "usb") &&
				  kt_usb_iface_driver_is(g->busid, "cdc_acm"),
				  5000)) {
		kt_usb_driver(g->busid, drv, sizeof(drv));
		TH_LOG("%s: driver \"%s\", %d interfaces", g->busid, drv,
		       kt_usb_iface_count(g->busid));
	}
	EXPECT_TRUE(KT_WAIT_UNTIL(!kt_usb_tty(g->busid, tty, sizeof(tty)),
				  5000));
}

/* g's device sits on usbip-host, available, with no interface driver. */
static void expect_usbip_host(struct __test_metadata *_metadata,
			      struct kt_gadget *g)
{
	char drv[64] = "", tty[32];

	kt_usb_driver(g->busid, drv, sizeof(drv));
	EXPECT_STREQ("usbip-host", drv);
	EXPECT_EQ(1, kt_usbip_status(g->busid));
	EXPECT_EQ(0, kt_usb_iface_count(g->busid));
	EXPECT_FALSE(kt_usb_iface_driver_is(g->busid, "cdc_acm"));
	EXPECT_NE(0, kt_usb_tty(g->busid, tty, sizeof(tty)));
}

TEST_F_TIMEOUT(port, events_of_a_claimed_port, 120)
{
	struct kt_bed *b = &self->b;
	struct kt_port ports[4];
	struct kt_gadget *g;
	int add, bind, unbind, rm, n;
	uint64_t t0, t1;
	struct kt_err e;

	KT_REQUIRE_BED();
	g = kt_bed_matched(b);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	t0 = kt_now_ns();
	ASSERT_EQ(0, kt_gadget_plug(g));
	add = wait_ev(b, KT_DEV_EV(ADD, g->busid, NULL), 0);
	ASSERT_LE(0, add);
	bind = wait_ev(b, KT_DEV_EV(BIND, g->busid, "usbip-host"), 0);
	ASSERT_LE(0, bind);
	EXPECT_LT(add, bind);

	check_event(_metadata, &b->log.ev[add], NMB_WATCH_SOURCE_PORT, t0);
	check_dev(_metadata, &b->log.ev[add].dev, g->busid, g, NULL);
	check_event(_metadata, &b->log.ev[bind], NMB_WATCH_SOURCE_PORT, t0);
	check_dev(_metadata, &b->log.ev[bind].dev, g->busid, g, "usbip-host");
	EXPECT_LE(b->log.ev[add].ts, b->log.ev[bind].ts);
	expect_usbip_host(_metadata, g);

	/* GET: the device nest matches sysfs. */
	n = kt_get(&b->ctl, ports, 4);
	ASSERT_EQ(1, n);
	EXPECT_FALSE(ports[0].malformed);
	EXPECT_STREQ(g->busid, ports[0].busid);
	EXPECT_FALSE(ports[0].notify_only);
	ASSERT_TRUE(ports[0].has_device);
	check_dev(_metadata, &ports[0].dev, g->busid, g, "usbip-host");

	t1 = kt_now_ns();
	ASSERT_EQ(0, kt_gadget_unplug(g));
	unbind = wait_ev(b, KT_DEV_EV(UNBIND, g->busid, "usbip-host"), bind);
	rm = wait_ev(b, KT_DEV_EV(REMOVE, g->busid, NULL), bind);
	ASSERT_LE(0, unbind);
	ASSERT_LE(0, rm);
	check_event(_metadata, &b->log.ev[unbind], NMB_WATCH_SOURCE_PORT, t1);
	check_event(_metadata, &b->log.ev[rm], NMB_WATCH_SOURCE_PORT, t1);
	EXPECT_STREQ(g->busid, b->log.ev[rm].dev.busid);

	/* Exactly one of each, nothing about interfaces or other sources. */
	kt_log_drain(&b->ev, &b->log, 500);
	EXPECT_EQ(1, kt_log_count(&b->log, &KT_DEV_EV(ADD, g->busid, NULL)));
	EXPECT_EQ(1, kt_log_count(&b->log, &KT_DEV_EV(BIND, g->busid, NULL)));
	EXPECT_EQ(1, kt_log_count(&b->log,
				  &KT_DEV_EV(UNBIND, g->busid, NULL)));
	EXPECT_EQ(1, kt_log_count(&b->log,
				  &KT_DEV_EV(REMOVE, g->busid, NULL)));
	EXPECT_EQ(4, b->log.n);
	EXPECT_EQ(0, b->log.overruns);
	/* remove comes after the unbind: it is the device's last event. */
	EXPECT_LT(unbind, rm);
	EXPECT_EQ(b->log.n - 1, rm);
	EXPECT_LE(b->log.ev[unbind].ts, b->log.ev[rm].ts);
	KT_NOTE("claimed port %s: %s\n", g->busid, sequence(&b->log));

	/* The watch outlives its device. */
	n = kt_get(&b->ctl, ports, 4);
	ASSERT_EQ(1, n);
	EXPECT_FALSE(ports[0].has_device);
}

TEST_F_TIMEOUT(port, guarantee_claimed_vs_unwatched, 120)
{
	struct kt_match any_if = { .busid = NULL, .scope = KT_IFACE };
	struct kt_match foreign = { .type = NMB_WATCH_EVENT_TYPE_BIND };
	struct kt_bed *b = &self->b;
	char tty[32] = "", drv[64] = "";
	struct kt_gadget *g;
	struct kt_err e;
	int i;

	KT_REQUIRE_BED();
	g = kt_bed_matched(b);
	ASSERT_NE(NULL, g);
	any_if.busid = g->busid;
	foreign.busid = g->busid;

	/* Unwatched (even with match_busid set): cdc_acm takes it. */
	plug_default(_metadata, g);
	EXPECT_EQ(0, kt_usb_tty(g->busid, tty, sizeof(tty)));
	/*
	 * device_add() shows the tty in sysfs before devtmpfs has made its
	 * node: wait for /dev too.
	 */
	EXPECT_TRUE(KT_WAIT_UNTIL(kt_dev_ttyacm_exists(), 5000));
	kt_log_drain(&b->ev, &b->log, 300);
	EXPECT_EQ(0, b->log.n) TH_LOG("events for an unwatched port");
	ASSERT_EQ(0, kt_gadget_unplug(g));
	ASSERT_EQ(0, kt_gadget_wait(g, false, KT_TIMEOUT_MS));
	ASSERT_TRUE(KT_WAIT_UNTIL(!kt_dev_ttyacm_exists(), 5000));
	kt_log_drain(&b->ev, &b->log, 300);

	/* Claimed: usbip-host, and nothing else ever. */
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	ASSERT_EQ(0, kt_gadget_plug(g));
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(BIND, g->busid, "usbip-host"), 0));
	kt_log_drain(&b->ev, &b->log, KT_QUIET_MS);
	expect_usbip_host(_metadata, g);
	EXPECT_FALSE(kt_dev_ttyacm_exists());
	EXPECT_EQ(-1, kt_log_find(&b->log, &any_if, 0))
		TH_LOG("an interface of a claimed device was seen");
	for (i = 0; i < b->log.n; i++)
		if (kt_match_event(&b->log.ev[i], &foreign))
			EXPECT_STREQ("usbip-host", b->log.ev[i].driver);
	EXPECT_EQ(1, kt_log_count(&b->log, &foreign));
	kt_usb_driver(g->busid, drv, sizeof(drv));
	KT_NOTE("guarantee: unwatched %s: usb + cdc_acm (%s); claimed: driver %s, usbip_status %d, %d interfaces, cdc_acm binds %d\n",
		       g->busid, tty, drv, kt_usbip_status(g->busid),
		       kt_usb_iface_count(g->busid),
		       kt_log_count(&b->log, &(struct kt_match){
				.type = NMB_WATCH_EVENT_TYPE_BIND,
				.driver = "cdc_acm" }));
}

TEST_F_TIMEOUT(port, parked_without_match_busid, 120)
{
	struct kt_match bind = { .type = NMB_WATCH_EVENT_TYPE_BIND };
	struct kt_bed *b = &self->b;
	struct kt_port ports[4];
	struct kt_gadget *g;
	char drv[64] = "?";
	struct kt_err e;
	int add;

	KT_REQUIRE_BED();
	g = kt_bed_plain(b);
	if (!g)
		SKIP(return, KT_NO_PLAIN);
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	ASSERT_EQ(0, kt_gadget_plug(g));
	add = wait_ev(b, KT_DEV_EV(ADD, g->busid, NULL), 0);
	ASSERT_LE(0, add);
	check_dev(_metadata, &b->log.ev[add].dev, g->busid, g, NULL);
	kt_log_drain(&b->ev, &b->log, KT_QUIET_MS);

	/* No driver at all, no interfaces, no bind event. */
	ASSERT_TRUE(kt_usb_present(g->busid));
	EXPECT_EQ(0, kt_usb_driver(g->busid, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	EXPECT_EQ(0, kt_usb_iface_count(g->busid));
	EXPECT_EQ(-1, kt_log_find(&b->log, &bind, 0));
	EXPECT_FALSE(kt_dev_ttyacm_exists());
	ASSERT_EQ(1, kt_get(&b->ctl, ports, 4));
	ASSERT_TRUE(ports[0].has_device);
	check_dev(_metadata, &ports[0].dev, g->busid, g, NULL);
}

TEST_F_TIMEOUT(port, watch_reprobes_present_device, 120)
{
	struct kt_bed *b = &self->b;
	struct kt_gadget *g;
	int unbind, bind;
	struct kt_err e;

	KT_REQUIRE_BED();
	g = kt_bed_matched(b);
	ASSERT_NE(NULL, g);
	plug_default(_metadata, g);

	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	bind = wait_ev(b, KT_DEV_EV(BIND, g->busid, "usbip-host"), 0);
	ASSERT_LE(0, bind);
	unbind = kt_log_find(&b->log, &KT_DEV_EV(UNBIND, g->busid, "usb"), 0);
	EXPECT_LE(0, unbind) TH_LOG("no unbind of \"usb\"");
	EXPECT_LT(unbind, bind);
	/* The interfaces went too: their cdc_acm unbind was reported. */
	EXPECT_LE(0, kt_log_find(&b->log, &(struct kt_match){
			.type = NMB_WATCH_EVENT_TYPE_UNBIND,
			.busid = g->busid, .scope = KT_IFACE,
			.driver = "cdc_acm" }, 0));
	kt_log_drain(&b->ev, &b->log, KT_QUIET_MS);
	expect_usbip_host(_metadata, g);
	EXPECT_FALSE(kt_dev_ttyacm_exists());
}

TEST_F_TIMEOUT(port, notify_only_then_claim_then_unwatch, 120)
{
	struct kt_bed *b = &self->b;
	struct kt_port ports[4];
	struct kt_gadget *g;
	struct kt_event *ev;
	char tty[32] = "";
	struct kt_err e;
	uint64_t t0;
	int i;

	KT_REQUIRE_BED();
	g = kt_bed_matched(b);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, true, &e)) TH_LOG("%s",
								      e.msg);
	t0 = kt_now_ns();
	ASSERT_EQ(0, kt_gadget_plug(g));
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(ADD, g->busid, NULL), 0));
	i = wait_ev(b, (struct kt_match){ .type = NMB_WATCH_EVENT_TYPE_BIND,
					  .busid = g->busid,
					  .scope = KT_IFACE,
					  .driver = "cdc_acm" }, 0);
	ASSERT_LE(0, i);
	ev = &b->log.ev[i];
	check_event(_metadata, ev, NMB_WATCH_SOURCE_PORT, t0);
	EXPECT_EQ(0, strncmp(ev->iface, g->busid, strlen(g->busid)));
	EXPECT_EQ(':', ev->iface[strlen(g->busid)]);
	ASSERT_LE(1, ev->ndevnames) TH_LOG("bind of cdc_acm without devname");
	EXPECT_EQ(0, strncmp(ev->devname[0], "ttyACM", 6));
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(BIND, g->busid, "usb"), 0));
	EXPECT_EQ(0, kt_usb_tty(g->busid, tty, sizeof(tty)));
	EXPECT_STREQ(tty, ev->devname[0]);
	expect_default(_metadata, g);
	ASSERT_EQ(1, kt_get(&b->ctl, ports, 4));
	EXPECT_TRUE(ports[0].notify_only);
	ASSERT_TRUE(ports[0].has_device);
	check_dev(_metadata, &ports[0].dev, g->busid, g, "usb");

	/* The same socket claims the port: the device is reprobed. */
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(BIND, g->busid, "usbip-host"), 0));
	kt_log_drain(&b->ev, &b->log, 300);
	expect_usbip_host(_metadata, g);
	ASSERT_EQ(1, kt_get(&b->ctl, ports, 4));
	EXPECT_FALSE(ports[0].notify_only);

	/* UNWATCH hands it back to its default drivers. */
	ASSERT_EQ(0, kt_unwatch(&b->ctl, g->busid, &e)) TH_LOG("%s", e.msg);
	expect_default(_metadata, g);
	EXPECT_EQ(0, kt_get(&b->ctl, ports, 4));
}

TEST_F_TIMEOUT(port, unwatch_releases_parked_device, 120)
{
	struct kt_bed *b = &self->b;
	struct kt_gadget *g;
	char drv[64] = "?";
	struct kt_err e;

	KT_REQUIRE_BED();
	g = kt_bed_plain(b);
	if (!g)
		SKIP(return, KT_NO_PLAIN);
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	ASSERT_EQ(0, kt_gadget_plug(g));
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(ADD, g->busid, NULL), 0));
	kt_log_drain(&b->ev, &b->log, KT_QUIET_MS);
	ASSERT_EQ(0, kt_usb_driver(g->busid, drv, sizeof(drv)));
	ASSERT_STREQ("", drv) TH_LOG("not parked");

	ASSERT_EQ(0, kt_unwatch(&b->ctl, g->busid, &e)) TH_LOG("%s", e.msg);
	expect_default(_metadata, g);
	EXPECT_EQ(0, kt_count_watches());
}

TEST_F_TIMEOUT(port, socket_close_releases_watches, 120)
{
	struct kt_bed *b = &self->b;
	struct kt_gadget *parked, *claimed;
	char drv[64] = "?";
	struct kt_err e;

	KT_REQUIRE_BED();
	parked = kt_bed_plain(b);
	if (!parked)
		SKIP(return, KT_NO_PLAIN);
	claimed = kt_bed_matched(b);
	ASSERT_NE(NULL, claimed);
	ASSERT_EQ(0, kt_watch(&b->ctl, parked->busid, false, &e));
	ASSERT_EQ(0, kt_watch(&b->ctl, "7-7", true, &e));
	ASSERT_EQ(0, kt_watch(&b->ctl, claimed->busid, false, &e));
	ASSERT_EQ(0, kt_gadget_plug(parked));
	ASSERT_EQ(0, kt_gadget_plug(claimed));
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(ADD, parked->busid, NULL), 0));
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(BIND, claimed->busid, "usbip-host"),
			     0));
	kt_log_drain(&b->ev, &b->log, KT_QUIET_MS);
	ASSERT_EQ(0, kt_usb_driver(parked->busid, drv, sizeof(drv)));
	ASSERT_STREQ("", drv);
	EXPECT_EQ(3, kt_count_watches());

	/* The owner goes away (an exporter crash looks the same). */
	kt_nl_close(&b->ctl);
	EXPECT_EQ(0, kt_wait_no_watches(5000));
	expect_default(_metadata, parked);
	expect_default(_metadata, claimed);
}

TEST_F_TIMEOUT(port, vhci_events, 180)
{
	struct kt_match vif = { .source = NMB_WATCH_SOURCE_VHCI,
				.scope = KT_IFACE };
	struct kt_bed *b = &self->b;
	struct kt_usbip_link link;
	char tty[32] = "", path[96];
	struct kt_gadget *g;
	struct kt_event *ev;
	int add, bind, ifbind, i;
	uint64_t t0, t1;
	struct stat st;
	struct kt_err e;

	KT_REQUIRE_BED();
	ASSERT_TRUE(access(KT_VHCI "/attach", W_OK) == 0)
		TH_LOG("vhci_hcd is not loaded");
	g = kt_bed_matched(b);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	ASSERT_EQ(0, kt_gadget_plug(g));
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(BIND, g->busid, "usbip-host"), 0));
	ASSERT_EQ(1, kt_usbip_status(g->busid));

	t0 = kt_now_ns();
	ASSERT_EQ(0, kt_usbip_attach(g->busid, &link));
	vif.busid = link.busid;
	add = wait_ev(b, (struct kt_match){ .type = NMB_WATCH_EVENT_TYPE_ADD,
			  .source = NMB_WATCH_SOURCE_VHCI,
			  .busid = link.busid, .scope = KT_DEVICE }, 0);
	ASSERT_LE(0, add) TH_LOG("no vhci add for %s", link.busid);
	bind = wait_ev(b, (struct kt_match){ .type = NMB_WATCH_EVENT_TYPE_BIND,
			   .source = NMB_WATCH_SOURCE_VHCI,
			   .busid = link.busid, .scope = KT_DEVICE,
			   .driver = "usb" }, 0);
	ASSERT_LE(0, bind);
	vif.type = NMB_WATCH_EVENT_TYPE_BIND;
	vif.driver = "cdc_acm";
	ifbind = wait_ev(b, vif, 0);
	ASSERT_LE(0, ifbind);
	EXPECT_LT(add, ifbind);

	ev = &b->log.ev[add];
	check_event(_metadata, ev, NMB_WATCH_SOURCE_VHCI, t0);
	EXPECT_EQ(g->vendor, ev->dev.vendor);
	EXPECT_EQ(g->product, ev->dev.product);
	EXPECT_STREQ(g->serial, ev->dev.serial);
	EXPECT_EQ(attr_ul(link.busid, "devnum", 10), ev->dev.devnum);
	EXPECT_EQ(attr_ul(link.busid, "busnum", 10), ev->dev.busnum);
	check_event(_metadata, &b->log.ev[bind], NMB_WATCH_SOURCE_VHCI, t0);
	ev = &b->log.ev[ifbind];
	check_event(_metadata, ev, NMB_WATCH_SOURCE_VHCI, t0);
	EXPECT_EQ(0, strncmp(ev->iface, link.busid, strlen(link.busid)));
	ASSERT_LE(1, ev->ndevnames);
	EXPECT_EQ(0, strncmp(ev->devname[0], "ttyACM", 6));
	EXPECT_EQ(0, kt_usb_tty(link.busid, tty, sizeof(tty)));
	EXPECT_STREQ(tty, ev->devname[0]);
	snprintf(path, sizeof(path), "/dev/%s", ev->devname[0]);
	EXPECT_TRUE(KT_WAIT_UNTIL(stat(path, &st) == 0, 2000))
		TH_LOG("%s does not exist", path);
	EXPECT_TRUE(kt_usb_driver_is(link.busid, "usb"));
	EXPECT_TRUE(kt_usb_iface_driver_is(link.busid, "cdc_acm"));

	/*
	 * Exported: in use, and still no local driver on the port. The
	 * importer's SET_CONFIGURATION creates the interfaces here too,
	 * but usbip-host owns the port, so no interface driver binds.
	 */
	EXPECT_EQ(2, kt_usbip_status(g->busid));
	EXPECT_TRUE(kt_usb_driver_is(g->busid, "usbip-host"));
	EXPECT_FALSE(kt_usb_iface_driver_is(g->busid, "cdc_acm"));
	EXPECT_EQ(-1, kt_log_find(&b->log, &(struct kt_match){
			.type = NMB_WATCH_EVENT_TYPE_BIND,
			.busid = g->busid, .scope = KT_IFACE }, 0))
		TH_LOG("an interface of the exported device got a driver");
	KT_NOTE("vhci: %s exported, imported as %s (port %d), %s\n",
		       g->busid, link.busid, link.port, tty);

	t1 = kt_now_ns();
	ASSERT_EQ(0, kt_usbip_detach(&link));
	vif.type = NMB_WATCH_EVENT_TYPE_UNBIND;
	i = wait_ev(b, vif, ifbind);
	EXPECT_LE(0, i) TH_LOG("no vhci unbind of cdc_acm");
	vif.type = NMB_WATCH_EVENT_TYPE_REMOVE;
	vif.driver = NULL;
	i = wait_ev(b, vif, ifbind);
	EXPECT_LE(0, i) TH_LOG("no vhci interface remove");
	i = wait_ev(b, (struct kt_match){ .type = NMB_WATCH_EVENT_TYPE_UNBIND,
			.source = NMB_WATCH_SOURCE_VHCI, .busid = link.busid,
			.scope = KT_DEVICE, .driver = "usb" }, bind);
	EXPECT_LE(0, i) TH_LOG("no vhci unbind of usb");
	i = wait_ev(b, (struct kt_match){ .type = NMB_WATCH_EVENT_TYPE_REMOVE,
			.source = NMB_WATCH_SOURCE_VHCI, .busid = link.busid,
			.scope = KT_DEVICE }, bind);
	ASSERT_LE(0, i) TH_LOG("no vhci remove");
	check_event(_metadata, &b->log.ev[i], NMB_WATCH_SOURCE_VHCI, t1);
	EXPECT_FALSE(kt_usb_present(link.busid));
	/* usbip-host gets its device back, available again. */
	EXPECT_TRUE(KT_WAIT_UNTIL(kt_usbip_status(g->busid) == 1, 5000));
	EXPECT_FALSE(kt_usb_iface_driver_is(g->busid, "cdc_acm"));
}

TEST_F_TIMEOUT(port, events_reach_other_netns, 120)
{
	struct kt_bed *b = &self->b;
	struct kt_gadget *g;
	int ready[2], res[2], st, got = -1;
	struct kt_err e;
	char c = 0;
	pid_t pid;

	KT_REQUIRE_BED();
	g = kt_bed_matched(b);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(res));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kt_log log = { 0 };
		struct kt_nl nl;
		int r = -1;

		if (!unshare(CLONE_NEWNET) && !kt_nl_open(&nl) &&
		    !kt_nl_subscribe(&nl)) {
			c = 1;
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			r = kt_log_wait(&nl, &log, &KT_DEV_EV(ADD, g->busid,
							      NULL),
					0, KT_TIMEOUT_MS) >= 0;
		} else if (write(ready[1], &c, 1) != 1) {
			_exit(1);
		}
		if (write(res[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(1, c) TH_LOG("child could not subscribe in a new netns");
	ASSERT_EQ(0, kt_gadget_plug(g));
	ASSERT_LE(0, wait_ev(b, KT_DEV_EV(ADD, g->busid, NULL), 0));
	ASSERT_EQ((ssize_t)sizeof(got), read(res[0], &got, sizeof(got)));
	waitpid(pid, &st, 0);
	EXPECT_EQ(1, got) TH_LOG("no event in the other network namespace");
}

TEST_HARNESS_MAIN

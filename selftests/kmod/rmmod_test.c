// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod_test.c - unloading nmb_watch while it holds watches, a parked
 * device and a device claimed for usbip-host: rmmod succeeds, the
 * devices go back to their default drivers, the owner's socket closes
 * cleanly afterwards, and the module loads again with no watch left.
 * It reloads the module, so run it last.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"

#include "bed.h"

FIXTURE(rmmod) {
	struct kt_bed b;
	char ko[512];
};

FIXTURE_SETUP(rmmod)
{
	int err = kt_bed_setup(&self->b, 2, true);

	if (err == -ENOENT)
		SKIP(return, "nmb_watch is not loaded");
	ASSERT_EQ(0, err) TH_LOG("test bed: %s", strerror(-err));
	ASSERT_LE(1, self->b.ngadgets);
	ASSERT_EQ(0, kt_nmb_watch_ko(self->ko, sizeof(self->ko)))
		TH_LOG("set NMB_WATCH_KO to the module's path");
}

FIXTURE_TEARDOWN(rmmod)
{
	/* Whatever happened, leave the module loaded for later suites. */
	if (!self->b.absent && !kt_module_loaded("nmb_watch"))
		kt_module_insert(self->ko);
	kt_bed_teardown(&self->b);
}

static void expect_default(struct __test_metadata *_metadata,
			   struct kt_gadget *g)
{
	char drv[64] = "";

	EXPECT_TRUE(KT_WAIT_UNTIL(kt_usb_driver_is(g->busid, "usb") &&
				  kt_usb_iface_driver_is(g->busid, "cdc_acm"),
				  5000)) {
		kt_usb_driver(g->busid, drv, sizeof(drv));
		TH_LOG("%s: driver \"%s\" after rmmod", g->busid, drv);
	}
}

TEST_F_TIMEOUT(rmmod, rmmod_with_watches_present, 120)
{
	struct kt_bed *b = &self->b;
	struct kt_gadget *parked, *claimed;
	struct kt_port ports[4];
	char drv[64] = "?";
	struct kt_nl nl;
	struct kt_err e;
	int err;

	KT_REQUIRE_BED();
	parked = kt_bed_plain(b);
	if (!parked)
		SKIP(return, KT_NO_PLAIN);
	claimed = kt_bed_matched(b);
	ASSERT_NE(NULL, claimed);
	ASSERT_EQ(0, kt_watch(&b->ctl, parked->busid, false, &e));
	ASSERT_EQ(0, kt_watch(&b->ctl, "8-1.2", true, &e));
	ASSERT_EQ(0, kt_gadget_plug(parked));
	ASSERT_LE(0, kt_log_wait(&b->ev, &b->log,
				 &KT_DEV_EV(ADD, parked->busid, NULL), 0,
				 KT_TIMEOUT_MS));
	ASSERT_EQ(0, kt_watch(&b->ctl, claimed->busid, false, &e));
	ASSERT_EQ(0, kt_gadget_plug(claimed));
	ASSERT_LE(0, kt_log_wait(&b->ev, &b->log,
				 &KT_DEV_EV(BIND, claimed->busid, "usbip-host"),
				 0, KT_TIMEOUT_MS));
	kt_log_drain(&b->ev, &b->log, KT_QUIET_MS);
	ASSERT_EQ(0, kt_usb_driver(parked->busid, drv, sizeof(drv)));
	ASSERT_STREQ("", drv) TH_LOG("not parked");

	/* Both sockets stay open across the unload. */
	err = kt_module_remove("nmb_watch", 5000);
	ASSERT_EQ(0, err) TH_LOG("rmmod nmb_watch: %s", strerror(-err));
	EXPECT_FALSE(kt_module_loaded("nmb_watch"));
	expect_default(_metadata, parked);
	expect_default(_metadata, claimed);
	EXPECT_EQ(-ENOENT, kt_nl_open(&nl));
	kt_nl_close(&b->ctl);
	kt_nl_close(&b->ev);

	/* Loads again, with nothing left from before. */
	err = kt_module_insert(self->ko);
	ASSERT_EQ(0, err) TH_LOG("insmod %s: %s", self->ko, strerror(-err));
	ASSERT_EQ(0, kt_nl_open(&b->ctl));
	EXPECT_EQ(0, kt_get(&b->ctl, ports, 4));
	/* The unloaded module's devices stay where they are. */
	kt_sleep_ms(500);
	EXPECT_TRUE(kt_usb_driver_is(parked->busid, "usb"));
	/* And it works: watch the parked port again, it is reprobed. */
	ASSERT_EQ(0, kt_watch(&b->ctl, parked->busid, false, &e))
		TH_LOG("%s", e.msg);
	EXPECT_TRUE(KT_WAIT_UNTIL(kt_usb_driver(parked->busid, drv,
						sizeof(drv)) == 0 &&
				  !drv[0] &&
				  !kt_usb_iface_count(parked->busid), 5000))
		TH_LOG("%s: driver \"%s\" after WATCH", parked->busid, drv);
	EXPECT_EQ(0, kt_unwatch(&b->ctl, parked->busid, &e));
	expect_default(_metadata, parked);
}

TEST_HARNESS_MAIN

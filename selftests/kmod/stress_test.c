// SPDX-License-Identifier: GPL-2.0
/*
 * stress_test.c - nmb_watch under repetition: 200 plug/unplug cycles on
 * a claimed port that usbip-host takes, 100 on a claimed port it does
 * not take (the device stays parked), with every event counted and no
 * watch leaked, and the plug-to-event latency (printed, never asserted:
 * see make bench).
 *
 * NMB_TEST_SUBSET=no-usbip-host-stress skips the 200 usbip-host cycles.
 * selftests/kmod/settings sets it for the kernel run under one TCG
 * thread, where usbip_core's event handler races with usbip-host's
 * disconnect (see the settings file).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "bed.h"

#define CYCLES		200
#define PARKED_CYCLES	100
#define LAT_PLUGS	20

FIXTURE(stress) {
	struct kt_bed b;
};

FIXTURE_SETUP(stress)
{
	int err = kt_bed_setup(&self->b, 1, true);

	if (err == -ENOENT)
		SKIP(return, "nmb_watch is not loaded");
	ASSERT_EQ(0, err) TH_LOG("test bed: %s", strerror(-err));
	ASSERT_EQ(1, self->b.ngadgets) TH_LOG("no dummy_udc: load dummy_hcd");
}

FIXTURE_TEARDOWN(stress)
{
	if (!_metadata->passed && self->b.log.n < 64)
		kt_log_print(&self->b.log, stderr);
	kt_bed_teardown(&self->b);
}

/* Two gadgets: the second one's port is not in usbip-host's table. */
FIXTURE(parked_stress) {
	struct kt_bed b;
};

FIXTURE_SETUP(parked_stress)
{
	int err = kt_bed_setup(&self->b, 2, true);

	if (err == -ENOENT)
		SKIP(return, "nmb_watch is not loaded");
	ASSERT_EQ(0, err) TH_LOG("test bed: %s", strerror(-err));
}

FIXTURE_TEARDOWN(parked_stress)
{
	if (!_metadata->passed && self->b.log.n < 64)
		kt_log_print(&self->b.log, stderr);
	kt_bed_teardown(&self->b);
}

/*
 * cycles plugs and unplugs of g on a claimed port. With usbip, each plug
 * ends bound to usbip-host (add, bind, unbind, remove); without, the
 * device stays parked (add, remove). Every event is counted, timestamps
 * go forward, and the watch is still the only one at the end.
 */
static void plug_cycles(struct __test_metadata *_metadata, struct kt_bed *b,
			struct kt_gadget *g, int cycles, bool usbip)
{
	int i, cnt[NMB_WATCH_EVENT_TYPE_REMOVE + 1] = { 0 };
	int from = 0, bad = 0, n;
	struct kt_port ports[4];
	struct kt_err e;
	uint64_t t0;

	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	t0 = kt_now_ns();
	for (i = 0; i < cycles; i++) {
		int up, rm;

		ASSERT_EQ(0, kt_gadget_plug(g)) TH_LOG("cycle %d", i);
		if (usbip)
			up = kt_log_wait(&b->ev, &b->log,
					 &KT_DEV_EV(BIND, g->busid,
						    "usbip-host"),
					 from, KT_TIMEOUT_MS);
		else
			up = kt_log_wait(&b->ev, &b->log,
					 &KT_DEV_EV(ADD, g->busid, NULL),
					 from, KT_TIMEOUT_MS);
		ASSERT_LE(0, up) TH_LOG("cycle %d: no %s: %d", i,
					usbip ? "bind" : "add", up);
		ASSERT_EQ(0, kt_gadget_unplug(g)) TH_LOG("cycle %d", i);
		rm = kt_log_wait(&b->ev, &b->log,
				 &KT_DEV_EV(REMOVE, g->busid, NULL), up,
				 KT_TIMEOUT_MS);
		ASSERT_LE(0, rm) TH_LOG("cycle %d: no remove: %d", i, rm);
		ASSERT_EQ(0, kt_gadget_wait(g, false, KT_TIMEOUT_MS))
			TH_LOG("plug %d", i);
		from = b->log.n;
		/* GET in the middle of it all still shows one watch. */
		if (i % 50 == 25)
			ASSERT_EQ(1, kt_get(&b->ctl, ports, 4));
	}
	kt_log_drain(&b->ev, &b->log, 500);
	KT_NOTE("%d plug/unplug cycles (%s) in %.1f s, %d events\n", cycles,
		usbip ? "usbip-host" : "parked", (kt_now_ns() - t0) / 1e9,
		b->log.n);

	for (i = 0; i < b->log.n; i++) {
		const struct kt_event *ev = &b->log.ev[i];

		if (ev->malformed || ev->source != NMB_WATCH_SOURCE_PORT ||
		    strcmp(ev->dev.busid, g->busid) != 0 || ev->iface[0] ||
		    ev->type < NMB_WATCH_EVENT_TYPE_ADD ||
		    ev->type > NMB_WATCH_EVENT_TYPE_REMOVE) {
			bad++;
			continue;
		}
		cnt[ev->type]++;
		if (i && ev->ts < b->log.ev[i - 1].ts)
			bad++;	/* timestamps go forward */
	}
	EXPECT_EQ(0, b->log.overruns);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(cycles, cnt[NMB_WATCH_EVENT_TYPE_ADD]);
	EXPECT_EQ(usbip ? cycles : 0, cnt[NMB_WATCH_EVENT_TYPE_BIND]);
	EXPECT_EQ(usbip ? cycles : 0, cnt[NMB_WATCH_EVENT_TYPE_UNBIND]);
	EXPECT_EQ(cycles, cnt[NMB_WATCH_EVENT_TYPE_REMOVE]);

	n = kt_get(&b->ctl, ports, 4);
	ASSERT_EQ(1, n);
	EXPECT_STREQ(g->busid, ports[0].busid);
	EXPECT_FALSE(ports[0].has_device);
	EXPECT_EQ(0, kt_unwatch(&b->ctl, g->busid, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, kt_get(&b->ctl, ports, 4));
	/* The port works normally afterwards. */
	ASSERT_EQ(0, kt_gadget_plug(g));
	EXPECT_TRUE(KT_WAIT_UNTIL(kt_usb_iface_driver_is(g->busid, "cdc_acm"),
				  KT_TIMEOUT_MS));
}

TEST_F_TIMEOUT(stress, plug_unplug_200_cycles, 900)
{
	const char *subset = getenv("NMB_TEST_SUBSET");
	struct kt_gadget *g;

	KT_REQUIRE_BED();
	if (subset && !strcmp(subset, "no-usbip-host-stress"))
		SKIP(return,
		     "NMB_TEST_SUBSET=no-usbip-host-stress: usbip_core's event handler can touch a usbip-host device after its disconnect freed it (see selftests/kmod/settings)");
	g = kt_bed_matched(&self->b);
	ASSERT_NE(NULL, g);
	plug_cycles(_metadata, &self->b, g, CYCLES, true);
}

TEST_F_TIMEOUT(parked_stress, plug_unplug_100_cycles, 600)
{
	struct kt_gadget *g;

	KT_REQUIRE_BED();
	g = kt_bed_plain(&self->b);
	if (!g)
		SKIP(return, KT_NO_PLAIN);
	plug_cycles(_metadata, &self->b, g, PARKED_CYCLES, false);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_ms(uint64_t *v, int n)
{
	const int mid = n / 2;

	qsort(v, n, sizeof(*v), cmp_u64);
	if (n % 2)
		return (double)v[mid] / 1e6;
	return ((double)v[mid - 1] + (double)v[mid]) / 2e6;
}

/* One TAP comment: median, min and max of LAT_PLUGS samples (sorts v). */
static void report(const char *what, uint64_t *v, const char *how)
{
	double median = median_ms(v, LAT_PLUGS);

	KT_NOTE("%s latency: median %.2f ms over %d plugs (min %.2f, max %.2f) [%s]\n",
		what, median, LAT_PLUGS, (double)v[0] / 1e6,
		(double)v[LAT_PLUGS - 1] / 1e6, how);
}

TEST_F_TIMEOUT(stress, plug_to_event_latency, 300)
{
	uint64_t kern[LAT_PLUGS], recv[LAT_PLUGS], bind[LAT_PLUGS];
	uint64_t deliver[LAT_PLUGS];
	struct kt_bed *b = &self->b;
	struct kt_gadget *g;
	struct kt_err e;
	int i, from = 0;

	KT_REQUIRE_BED();
	g = kt_bed_matched(b);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kt_watch(&b->ctl, g->busid, false, &e)) TH_LOG("%s",
								       e.msg);
	for (i = 0; i < LAT_PLUGS; i++) {
		const struct kt_event *add, *bnd;
		uint64_t t0;
		int a, bi;

		t0 = kt_now_ns();
		ASSERT_EQ(0, kt_gadget_plug(g)) TH_LOG("plug %d", i);
		a = kt_log_wait(&b->ev, &b->log,
				&KT_DEV_EV(ADD, g->busid, NULL), from,
				KT_TIMEOUT_MS);
		ASSERT_LE(0, a) TH_LOG("plug %d", i);
		bi = kt_log_wait(&b->ev, &b->log,
				 &KT_DEV_EV(BIND, g->busid, "usbip-host"), a,
				 KT_TIMEOUT_MS);
		ASSERT_LE(0, bi) TH_LOG("plug %d", i);
		add = &b->log.ev[a];
		bnd = &b->log.ev[bi];
		/* The event's clock is CLOCK_MONOTONIC. */
		ASSERT_LE(t0, add->ts) TH_LOG("plug %d", i);
		ASSERT_LE(add->ts, add->rx_ns) TH_LOG("plug %d", i);
		kern[i] = add->ts - t0;
		recv[i] = add->rx_ns - t0;
		deliver[i] = add->rx_ns - add->ts;
		bind[i] = bnd->rx_ns - t0;
		ASSERT_EQ(0, kt_gadget_unplug(g)) TH_LOG("plug %d", i);
		ASSERT_LE(0, kt_log_wait(&b->ev, &b->log,
					 &KT_DEV_EV(REMOVE, g->busid, NULL),
					 bi, KT_TIMEOUT_MS))
			TH_LOG("plug %d", i);
		ASSERT_EQ(0, kt_gadget_wait(g, false, KT_TIMEOUT_MS))
			TH_LOG("plug %d", i);
		from = b->log.n;
	}
	report("plug-to-event", kern, "UDC write -> add event timestamp");
	report("plug-to-receipt", recv, "UDC write -> add event received");
	report("event-to-receipt", deliver,
	       "add event timestamp -> received");
	report("plug-to-usbip-host", bind, "UDC write -> bind event received");
	EXPECT_EQ(0, b->log.overruns);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * bed.c - set-up and tear-down of the nmb_watch test bed (see bed.h).
 */
#include <errno.h>
#include <string.h>

#include "bed.h"

int kt_bed_setup(struct kt_bed *b, int ngadgets, bool subscribe)
{
	int err, i, udcs;

	memset(b, 0, sizeof(*b));
	if (!kt_module_loaded("nmb_watch")) {
		b->absent = true;
		return -ENOENT;
	}
	err = kt_nl_open(&b->ctl);
	if (err)
		return err;
	if (subscribe) {
		err = kt_nl_open(&b->ev);
		err = err ?: kt_nl_subscribe(&b->ev);
		err = err ?: kt_nl_set_rcvbuf(&b->ev, 4 << 20);
		if (err)
			return err;
	}
	/* Watches of an earlier test's socket end asynchronously. */
	err = kt_wait_no_watches(5000);
	if (err)
		return -EEXIST;
	udcs = kt_udc_count();
	if (ngadgets > udcs)
		ngadgets = udcs;
	for (i = 0; i < ngadgets; i++) {
		err = kt_gadget_create(&b->g[i], i);
		if (err)
			return err;
		b->ngadgets++;
		if (kt_gadget_wait(&b->g[i], false, 5000))
			return -EEXIST;
	}
	return 0;
}

static void unwatch_all(struct kt_bed *b)
{
	struct kt_port ports[64];
	int i, n;

	if (!b->ctl.sk)
		return;
	n = kt_get(&b->ctl, ports, 64);
	for (i = 0; i < n; i++)
		kt_unwatch(&b->ctl, ports[i].busid, NULL);
}

void kt_bed_teardown(struct kt_bed *b)
{
	int i;

	if (b->absent)
		return;
	for (i = 0; i < b->ngadgets; i++)
		kt_gadget_destroy(&b->g[i]);
	unwatch_all(b);
	kt_nl_close(&b->ctl);
	kt_nl_close(&b->ev);
	kt_log_free(&b->log);
	kt_wait_no_watches(5000);
}

struct kt_gadget *kt_bed_plain(struct kt_bed *b)
{
	struct kt_gadget *g;

	/* Port 0 is the one the tests add to match_busid. */
	if (b->ngadgets < 2)
		return NULL;
	g = &b->g[1];
	return kt_usbip_match_has(g->busid) ? NULL : g;
}

struct kt_gadget *kt_bed_matched(struct kt_bed *b)
{
	if (!b->ngadgets || kt_usbip_match_add(b->g[0].busid) ||
	    !kt_usbip_match_has(b->g[0].busid))
		return NULL;
	return &b->g[0];
}

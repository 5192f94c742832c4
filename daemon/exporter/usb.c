// SPDX-License-Identifier: GPL-2.0
/*
 * usb.c - USB devices of the places, kept on usbip-host by nmb_watch
 * (claim mode) and handed to the kernel on the agent's socket (wire note
 * §7, exporter steps 3 to 6).
 *
 * Each busid has a FIFO of waiting imports and at most one owner (the
 * export in progress). nmb_watch events about the busid, and each new
 * import, re-check the device: bind it to usbip-host if it has no
 * driver, and serve the head of the FIFO once usbip_status is 1.
 * While an export runs, usbip_status has no event of its own: a
 * 200 ms timer re-reads it until it is 1 again (then the lock is free).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "exporter.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "spawn.h"
#include "usb.h"
#include "watch.h"

#define BUSY_RECHECK_MS	200

/* Calls fn on every device of the running places; stops at non-zero. */
static int for_each_dev(struct exporter *e,
			int (*fn)(struct usbdev *d, void *arg), void *arg)
{
	size_t i, j, k;
	int ret;

	for (i = 0; i < e->cfg.n_places; i++) {
		struct place *p = e->cfg.places[i];

		for (j = 0; j < p->n_parts; j++)
			for (k = 0; k < p->parts[j].n_usb; k++) {
				struct usbdev *d = p->parts[j].usb[k].dev;

				ret = d ? fn(d, arg) : 0;
				if (ret)
					return ret;
			}
	}
	return 0;
}

struct busid_match {
	const char *busid;
	struct usbdev *found;
};

static int match_busid(struct usbdev *d, void *arg)
{
	struct busid_match *m = arg;

	if (strcmp(d->busid, m->busid) != 0)
		return 0;
	m->found = d;
	return 1;
}

struct usbdev *usb_find(struct exporter *e, const char *busid)
{
	struct busid_match m = { busid, NULL };

	for_each_dev(e, match_busid, &m);
	return m.found;
}

static void release_owner(struct usbdev *d, const char *why)
{
	struct conn *c = d->owner;

	log_info("place %s: busid %s: export to %s ended (%s)",
		 d->place->name, d->busid, c->peer, why);
	d->owner = NULL;
	c->dev = NULL;
	conn_end(c);
}

/* c cannot be served: logged, closed; the device stays free. */
static void refuse(struct usbdev *d, struct conn *c, const char *what,
		   int err)
{
	log_warn("place %s: busid %s: %s %s: %s; closed", d->place->name,
		 d->busid, what, c->peer, strerror(-err));
	c->dev = NULL;
	conn_end(c);
}

static void serve(struct usbdev *d)
{
	struct conn *c = list_first_entry(&d->waiters, struct conn, wnode);
	uint8_t pdu[USBIP_REP_IMPORT_SIZE];
	struct usbip_device info;
	ssize_t n;
	int err;

	list_del_init(&c->wnode);
	err = usbip_read_device(d->busid, &info);
	if (err) {
		refuse(d, c, "cannot read the device for", err);
		return;
	}
	loop_fd_del(c->lfd);
	c->lfd = NULL;
	err = usbip_set_sockfd(d->busid, c->fd);
	if (err) {
		refuse(d, c, "usbip-host refused the socket of", err);
		return;
	}
	usbip_build_rep_import(pdu, &info);
	n = send(c->fd, pdu, sizeof(pdu), MSG_NOSIGNAL);
	if (n != (ssize_t)sizeof(pdu))
		log_warn("place %s: busid %s: reply to %s not sent whole (%zd)",
			 d->place->name, d->busid, c->peer, n);
	/*
	 * c->fd stays open (closed with c): stopping the export shuts this
	 * socket down, see stop_export().
	 */
	c->state = CONN_USB_EXPORTED;
	d->owner = c;
	exp_metrics_exported(d, c->peer);
	log_notice("place %s: busid %s: exported to %s (%.1f ms after it could be, mono=%.3f ms)",
		   d->place->name, d->busid, c->peer,
		   (double)(loop_now_ns() - (c->queued_ns > d->ready_ns ?
					     c->queued_ns : d->ready_ns)) / 1e6,
		   (double)loop_now_ns() / 1e6);
}

/* Re-checks the device: see the file comment. */
static void kick(struct usbdev *d)
{
	char drv[64] = "";
	int err, st;

	if (d->exp->stopping)
		return;
	loop_timer_cancel(d->timer);
	err = usbip_device_driver(d->busid, drv, sizeof(drv));
	if (d->owner) {
		st = err ? err : usbip_status(d->busid);
		if (st == -ENOENT)
			release_owner(d, "device gone");
		else if (st == USBIP_ST_AVAILABLE)
			release_owner(d, "usbip_status is 1 again");
		else if (!err && strcmp(drv, "usbip-host") != 0)
			release_owner(d, "usbip-host let go of the device");
		if (d->owner) {
			loop_timer_set(d->timer, BUSY_RECHECK_MS);
			return;
		}
	}
	if (err == -ENOENT)
		return;		/* absent: an add event will come */
	if (err) {
		log_warn("place %s: busid %s: cannot read its driver: %s",
			 d->place->name, d->busid, strerror(-err));
		return;
	}
	if (strcmp(drv, "usbip-host") != 0) {
		if (drv[0]) {
			log_notice("place %s: busid %s: bound to %s; moving it to usbip-host",
				   d->place->name, d->busid, drv);
			err = usbip_unbind(d->busid);
			if (err && err != -ENOENT)
				log_warn("place %s: busid %s: cannot unbind %s: %s",
					 d->place->name, d->busid, drv,
					 strerror(-err));
		}
		err = usbip_host_bind(d->busid);
		/*
		 * On an add event the kernel is still probing: our bind waits
		 * for the hub's lock, by which time nmb_watch's claim had
		 * usbip-host take the device, and the driver core says EBUSY.
		 * The bind event follows; only a parked device needs us.
		 */
		if (err == -EBUSY) {
			log_debug("place %s: busid %s: already being bound",
				  d->place->name, d->busid);
			return;
		}
		if (err && !d->bind_warned)
			log_err("place %s: busid %s: usbip-host refuses the device: %s%s",
				d->place->name, d->busid, strerror(-err),
				err == -ENODEV ? "; its match_busid entry was deleted while the device was exported (e.g. by 'usbip unbind'): reload usbip-host ('modprobe -r usbip-host; modprobe usbip-host') and restart the exporter" : "");
		d->bind_warned = err != 0;
		return;		/* the bind event re-checks */
	}
	st = usbip_status(d->busid);
	if (st != USBIP_ST_AVAILABLE) {
		if (!list_empty(&d->waiters))
			loop_timer_set(d->timer, BUSY_RECHECK_MS);
		return;
	}
	if (!d->ready_ns) {
		d->ready_ns = loop_now_ns();
		log_debug("place %s: busid %s: ready, usbip_status 1 (mono=%.3f ms)",
			  d->place->name, d->busid, (double)d->ready_ns / 1e6);
	}
	if (!list_empty(&d->waiters)) {
		serve(d);
		d->ready_ns = 0;
		if (!d->owner && !list_empty(&d->waiters))
			kick(d);
		else if (d->owner)
			loop_timer_set(d->timer, BUSY_RECHECK_MS);
	}
}

static int kick_one(struct usbdev *d, void *arg)
{
	(void)arg;
	kick(d);
	return 0;
}

static void on_timer(struct loop_timer *t, void *arg)
{
	(void)t;
	kick(arg);
}

void usb_enqueue(struct usbdev *d, struct conn *c)
{
	c->dev = d;
	c->state = CONN_USB_WAIT;
	c->queued_ns = loop_now_ns();
	list_add_tail(&c->wnode, &d->waiters);
	log_info("place %s: peer %s: import of %s queued", d->place->name,
		 c->peer, d->busid);
	kick(d);
}

/*
 * Ends the export to c by shutting its socket down, as an agent that
 * detaches does: usbip-host's receiver reads EOF and queues the
 * teardown itself. Writing "-1" to usbip_sockfd instead queues a second
 * teardown from outside; when it lands while usbip-host still resets
 * the device after the agent's own hang-up, its shutdown runs again
 * after the reset and cuts the next agent's connection, leaving
 * usbip_status at 2 with no socket (usbip_event.c clears the shutdown
 * bit before the reset). A socket from an earlier run has no fd here:
 * only then "-1".
 */
static void stop_export(struct usbdev *d, struct conn *c)
{
	int err = 0;

	c->killed = true;
	if (c->fd >= 0) {
		if (shutdown(c->fd, SHUT_RDWR) < 0 && errno != ENOTCONN)
			err = -errno;
	} else {
		err = usbip_set_sockfd(d->busid, -1);
		if (err == -EINVAL)	/* not in use any more */
			err = 0;
	}
	if (err)
		log_warn("place %s: busid %s: cannot stop the export to %s: %s",
			 d->place->name, d->busid, c->peer, strerror(-err));
	else
		log_notice("place %s: busid %s: export to %s stopped",
			   d->place->name, d->busid, c->peer);
}

void usb_conn_gone(struct conn *c, bool stop)
{
	struct usbdev *d = c->dev;

	if (!d)
		return;
	if (d->owner != c) {
		list_del_init(&c->wnode);
		c->dev = NULL;
		return;
	}
	if (!stop) {
		d->owner = NULL;
		c->dev = NULL;
		if (!d->exp->stopping)
			loop_timer_set(d->timer, 0);
		return;
	}
	stop_export(d, c);
}

static void on_event(const struct watch_event *ev, void *arg)
{
	struct exporter *e = arg;
	struct usbdev *d;

	if (ev->source != NMB_WATCH_SOURCE_PORT)
		return;
	d = usb_find(e, ev->dev.busid);
	if (!d)
		return;
	log_debug("busid %s: %s%s%s%s%s", d->busid,
		  watch_event_type_name(ev->type), ev->interface[0] ? " " : "",
		  ev->interface, ev->driver[0] ? " driver=" : "", ev->driver);
	kick(d);
}

static void on_watch(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct exporter *e = arg;
	int err;

	(void)lfd;
	(void)events;
	err = watch_process(e->watch, on_event, e);
	if (err == -ENOBUFS) {
		log_warn("nmb_watch events were lost; re-checking every device");
		for_each_dev(e, kick_one, NULL);
	} else if (err) {
		log_err("reading nmb_watch events: %s", strerror(-err));
	}
}

static int claim(struct exporter *e, struct usbdev *d);

static int claim_one(struct usbdev *d, void *arg)
{
	return claim(arg, d);
}

/*
 * modprobe has ended: claim the ports of every device allocated
 * meanwhile. A failure stops the exporter (loop_run() returns it).
 */
static void modprobe_ended(int status, int signum, void *arg)
{
	struct exporter *e = arg;
	int err;

	e->modprobe = NULL;
	if (!usbip_host_loaded()) {
		log_err("usbip-host is not loaded and 'modprobe usbip-host' failed (%s %d); install the kernel's usbip modules",
			signum ? "signal" : "status", signum ? signum : status);
		loop_fail(e->loop, -ENOENT);
		return;
	}
	err = for_each_dev(e, claim_one, e);
	if (err)
		loop_fail(e->loop, err);
}

/* The ports are claimed once modprobe has ended, in the loop. */
static int modprobe_usbip_host(struct exporter *e)
{
	static char *const argv[] = { "modprobe", "usbip-host", NULL };

	if (usbip_host_loaded())
		return 0;
	e->modprobe = spawn_start(e->loop, argv, modprobe_ended, e);
	if (!e->modprobe) {
		log_err("usbip-host is not loaded and 'modprobe usbip-host' cannot run: %s; install kmod and the kernel's usbip modules",
			strerror(errno));
		return -ENOENT;
	}
	return 0;
}

/* nmb_watch open and subscribed, 'modprobe usbip-host' started if
 * needed: once, at the first USB interface (at start, or in a place a
 * reload adds). Devices are claimed once usbip-host is there. */
static int watch_start(struct exporter *e)
{
	int err;

	if (e->watch || e->test_no_watch)
		return 0;
	err = watch_open(&e->watch);
	if (err == -ENOENT) {
		log_err("nmb_watch is not loaded: run 'modprobe nmb_watch'");
		return err;
	}
	if (err) {
		log_err("cannot open the nmb_watch netlink family: %s",
			strerror(-err));
		return err;
	}
	err = watch_subscribe(e->watch);
	if (err) {
		log_err("cannot join the nmb_watch events group: %s",
			strerror(-err));
		return err;
	}
	e->watch_lfd = loop_fd_add(e->loop, watch_events_fd(e->watch),
				   EPOLLIN, on_watch, e);
	if (!e->watch_lfd)
		return -errno;
	return modprobe_usbip_host(e);
}

static int claim(struct exporter *e, struct usbdev *d)
{
	char msg[WATCH_ERRMSG_SIZE];
	int err;

	err = usbip_match_busid(d->busid, true);
	if (err) {
		log_err("place %s: busid %s: cannot add it to usbip-host's match_busid: %s",
			d->place->name, d->busid, strerror(-err));
		return err;
	}
	err = watch_port(e->watch, d->busid, false, msg);
	if (err) {
		log_err("place %s: busid %s: cannot watch the port: %s%s%s%s",
			d->place->name, d->busid, strerror(-err),
			msg[0] ? " (" : "", msg, msg[0] ? ")" : "");
		if (err == -EBUSY)
			log_err("another process watches it; is another exporter running?");
		if (err == -EPERM)
			log_err("watching needs CAP_NET_ADMIN; run as root");
		return err;
	}
	/* An export left by an earlier exporter has no agent here. */
	if (usbip_status(d->busid) == USBIP_ST_USED) {
		log_notice("place %s: busid %s: stopping an export left by an earlier run",
			   d->place->name, d->busid);
		usbip_set_sockfd(d->busid, -1);
	}
	kick(d);
	return 0;
}

int usb_place_start(struct exporter *e, struct place *p)
{
	size_t j, k;
	int err;

	if (!place_n_usb(p))
		return 0;
	err = watch_start(e);
	if (err)
		return err;
	for (j = 0; j < p->n_parts; j++)
		for (k = 0; k < p->parts[j].n_usb; k++) {
			struct usb_if *u = &p->parts[j].usb[k];
			struct usbdev *d = calloc(1, sizeof(*d));

			if (!d)
				return -ENOMEM;
			snprintf(d->busid, sizeof(d->busid), "%s", u->busid);
			d->place = p;
			d->exp = e;
			INIT_LIST_HEAD(&d->waiters);
			u->dev = d;
			d->timer = loop_timer_new(e->loop, on_timer, d);
			if (!d->timer)
				return -ENOMEM;
			/* else claimed when modprobe has ended */
			if (e->watch && !e->modprobe) {
				err = claim(e, d);
				if (err)
					return err;
			}
		}
	return 0;
}

int usb_start(struct exporter *e)
{
	size_t i;
	int err;

	for (i = 0; i < e->cfg.n_places; i++) {
		err = usb_place_start(e, e->cfg.places[i]);
		if (err)
			return err;
	}
	return 0;
}
/*
 * After "-1" usbip-host tears the connection down in its own work item.
 * Unbinding it meanwhile (which closing the watches does) races that
 * teardown, and 6.1's usbip-core then oopses in its event handler: wait
 * until usbip_status says available again (§7 exporter step 6), or the
 * device is gone, for at most STOP_WAIT_MS.
 */
#define STOP_WAIT_MS	3000

static void wait_available(struct usbdev *d)
{
	uint64_t end = loop_now_ms() + STOP_WAIT_MS;
	int st;

	while ((st = usbip_status(d->busid)) >= 0 &&
	       st != USBIP_ST_AVAILABLE && loop_now_ms() < end)
		usleep(10000);
	if (st >= 0 && st != USBIP_ST_AVAILABLE)
		log_warn("place %s: busid %s: usbip-host still busy after %d ms; giving the device back anyway",
			 d->place->name, d->busid, STOP_WAIT_MS);
}

/* Stops d's export and its waiters; d is let go (unwatched) and freed. */
static void dev_stop(struct exporter *e, struct usbdev *d)
{
	char msg[WATCH_ERRMSG_SIZE] = "";
	bool stopping = e->stopping;

	e->stopping = true;	/* no re-check while d goes */
	if (d->owner && !d->owner->killed)
		stop_export(d, d->owner);
	if (d->owner)	/* stopped now, or cut by the allow-list */
		wait_available(d);
	if (d->owner)
		release_owner(d, stopping ? "exporter stopping" :
			      "place removed from the configuration");
	while (!list_empty(&d->waiters))
		conn_end(list_first_entry(&d->waiters, struct conn, wnode));
	e->stopping = stopping;
	/*
	 * The match_busid entry stays. On 6.1 "del" cannot remove an entry
	 * whose device usbip-host has held (stub_main.c): while it is bound
	 * the entry becomes "removed" for good, so usbip-host refuses the
	 * port until it is reloaded; after the unbind "del" does nothing.
	 * An entry left alone is harmless: without a claim the generic USB
	 * driver takes the device first, and the next start's "add" finds
	 * it in place. Ending the watch gives the device its default driver
	 * back (closing the socket does it for all at exit).
	 */
	if (!stopping && e->watch && !e->modprobe &&
	    watch_unwatch(e->watch, d->busid, msg))
		log_warn("place %s: busid %s: cannot end the watch: %s",
			 d->place->name, d->busid, msg[0] ? msg : "?");
	loop_timer_free(d->timer);
	free(d);
}

void usb_place_stop(struct exporter *e, struct place *p)
{
	size_t j, k;

	for (j = 0; j < p->n_parts; j++)
		for (k = 0; k < p->parts[j].n_usb; k++) {
			struct usb_if *u = &p->parts[j].usb[k];

			if (u->dev)
				dev_stop(e, u->dev);
			u->dev = NULL;
		}
}

void usb_stop(struct exporter *e)
{
	size_t i;

	e->stopping = true;
	spawn_forget(e->modprobe);
	e->modprobe = NULL;
	for (i = 0; i < e->cfg.n_places; i++)
		usb_place_stop(e, e->cfg.places[i]);
	loop_fd_del(e->watch_lfd);
	e->watch_lfd = NULL;
	/* Closing the socket ends the watches: default drivers come back. */
	watch_close(e->watch);
	e->watch = NULL;
}

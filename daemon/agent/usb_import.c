// SPDX-License-Identifier: GPL-2.0
/*
 * usb_import.c - one imported USB interface (wire note §7, agent side):
 * CONNECT tunnel, OP_REQ_IMPORT / OP_REP_IMPORT, hand-off to vhci-hcd on
 * the port that port_num gives, then at once the next import request,
 * which the exporter holds until the device is free again: a board that
 * re-enumerates comes back on the same vhci port by itself.
 *
 * Speed: the reply's speed is the kernel's enum usb_device_speed, except
 * that not-my-board's exporters send 0 for SuperSpeedPlus ("10000",
 * "20000"; §7). A device that answers an import is enumerated, so its
 * speed is never really unknown: 0 can only mean SuperSpeedPlus, and so
 * can 6 (what nmb-exporter may send). vhci-hcd (Linux 6.1 valid_args())
 * accepts only 1..5 and has SuperSpeed root hubs, so both are attached as
 * SuperSpeed (5), on the SuperSpeed half of the port (§7 step 5). The
 * device then runs at 5 Gb/s on the virtual bus, which is what USB/IP can
 * carry anyway.
 *
 * Timing: before the first success each attempt may wait 1, 2, 4 ... 30
 * s for the reply; after an error the next attempt follows after 1, 2,
 * 4 ... 30 s. The request queued after a success has no timeout (TCP
 * keepalive 7/5/3 s finds a dead exporter).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "attach.h"
#include "devices.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "places.h"
#include "reservation.h"
#include "sockopt.h"
#include "tunnel.h"
#include "usb_import.h"
#include "usbip.h"

#define USB_TARGET		"usb.not-my-board.localhost:3240"
#define BACKOFF_MAX_S		30
#define PORT_BUSY_RETRY_MS	100
#define PORT_BUSY_MAX_MS	10000

enum state { IDLE, TUNNEL, REPLY, PORT_WAIT, BACKOFF };

struct usb_import {
	struct reservation *r;
	/* the names belong to r's import description, which outlives u */
	const char *part, *iface;
	char *host, *busid;
	unsigned int port_num, port;
	enum state state;
	struct vhci_load *vhci;		/* modprobe vhci-hcd running */
	struct tunnel *tun;
	int fd;
	struct loop_fd *lfd;
	uint8_t rep[USBIP_REP_IMPORT_SIZE];
	size_t rep_len;
	struct usbip_device dev;
	struct loop_timer *timer;
	unsigned int backoff_s, timeout_s;
	uint64_t port_wait_ms;
	bool ever, attached;
	int vport;
	char lbusid[32];
	char err[300];
	uint64_t t_request_ms;
	uint64_t t_back_ms;		/* the device came back: re-attach */
	unsigned int n_attach;
};

static void start(struct usb_import *u);

static void reset(struct usb_import *u)
{
	devices_vhci_cancel(u->vhci);
	u->vhci = NULL;
	tunnel_cancel(u->tun);
	u->tun = NULL;
	loop_fd_del(u->lfd);
	u->lfd = NULL;
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	u->rep_len = 0;
	loop_timer_cancel(u->timer);
	u->state = IDLE;
}

static unsigned int next_backoff(unsigned int s)
{
	return !s ? 1 : s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : s * 2;
}

static void fail(struct usb_import *u, const char *msg)
{
	reset(u);
	u->backoff_s = next_backoff(u->backoff_s);
	snprintf(u->err, sizeof(u->err), "%s", msg);
	log_warn("%s: %s.%s: %s; retrying in %u s", u->r->name, u->part,
		 u->iface, msg, u->backoff_s);
	u->state = BACKOFF;
	loop_timer_set(u->timer, u->backoff_s * 1000ULL);
}

static uint32_t vhci_speed(uint32_t wire)
{
	return wire == 0 || wire == 6 ? 5 : wire;
}

/* Hands the socket to vhci-hcd; -EAGAIN while the port is still busy. */
static int attach(struct usb_import *u)
{
	struct agent *a = u->r->agent;
	unsigned int nports, nhcs;
	uint32_t speed = vhci_speed(u->dev.speed);
	char msg[300];
	int ret;

	ret = usbip_vhci_geometry(&nports, &nhcs);
	if (ret) {
		fail(u, "vhci-hcd is not available (modprobe vhci-hcd)");
		return ret;
	}
	u->vport = usbip_vhci_port(nports, nhcs, u->port_num, speed);
	if (u->vport < 0) {
		snprintf(msg, sizeof(msg),
			 "port_num %u is beyond the %u vhci ports of this host",
			 u->port_num, nports);
		fail(u, msg);
		return -EINVAL;
	}
	ret = usbip_vhci_attach(u->vport, u->fd, usbip_devid(&u->dev), speed);
	if (ret == -EBUSY) {
		/*
		 * Usually the previous connection on this port is still
		 * being torn down after a board reboot.
		 */
		if (u->port_wait_ms < PORT_BUSY_MAX_MS)
			return -EAGAIN;
		snprintf(msg, sizeof(msg),
			 "vhci port %d (port_num %u) stays in use: another import? (usbip port)",
			 u->vport, u->port_num);
		fail(u, msg);
		return ret;
	}
	if (ret) {
		snprintf(msg, sizeof(msg), "vhci attach on port %d failed: %s",
			 u->vport, strerror(-ret));
		fail(u, msg);
		return ret;
	}
	close(u->fd);
	u->fd = -1;
	u->attached = true;
	u->ever = true;
	u->backoff_s = 0;
	u->err[0] = '\0';
	u->n_attach++;
	agent_metrics_attached(a, u->n_attach > 1, u->n_attach > 1 &&
			       u->t_back_ms ? loop_now_ms() - u->t_back_ms : 0);
	if (devices_vhci_busid(u->vport, u->lbusid, sizeof(u->lbusid)))
		u->lbusid[0] = '\0';
	log_notice("%s: %s.%s: %s %04x:%04x from %s attached on vhci port %d (port_num %u, local busid %s) %llu ms after the request%s",
		   u->r->name, u->part, u->iface, u->busid, u->dev.vendor,
		   u->dev.product, u->host, u->vport, u->port_num,
		   u->lbusid[0] ? u->lbusid : "?",
		   (unsigned long long)(loop_now_ms() - u->t_request_ms),
		   u->n_attach > 1 ? " (re-attach)" : "");
	devices_poll(a->devices, true);
	return 0;
}

static void try_attach(struct usb_import *u)
{
	int ret = attach(u);

	if (ret == -EAGAIN) {
		u->state = PORT_WAIT;
		u->port_wait_ms += PORT_BUSY_RETRY_MS;
		loop_timer_set(u->timer, PORT_BUSY_RETRY_MS);
		return;
	}
	if (ret)
		return;
	reset(u);
	u->port_wait_ms = 0;
	/*
	 * At once the next request, held by the exporter until the device
	 * is free again.
	 */
	start(u);
	attach_update(u->r);
}

static void on_reply(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct usb_import *u = arg;
	char msg[300];
	ssize_t n;
	int ret;

	(void)lfd;
	(void)events;
	n = recv(u->fd, u->rep + u->rep_len, sizeof(u->rep) - u->rep_len, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		snprintf(msg, sizeof(msg), "import of %s from %s: %s",
			 u->busid, u->host, strerror(errno));
		return fail(u, msg);
	}
	if (n == 0) {
		snprintf(msg, sizeof(msg),
			 "the exporter %s closed the import of %s (not exported there, or refused)",
			 u->host, u->busid);
		return fail(u, msg);
	}
	u->rep_len += (size_t)n;
	if (u->rep_len < sizeof(u->rep))
		return;
	ret = usbip_parse_rep_import(u->rep, &u->dev);
	if (ret) {
		snprintf(msg, sizeof(msg),
			 "the exporter %s sent a bad OP_REP_IMPORT for %s",
			 u->host, u->busid);
		return fail(u, msg);
	}
	loop_fd_del(u->lfd);
	u->lfd = NULL;
	loop_timer_cancel(u->timer);
	if (u->attached && u->vport >= 0) {
		/*
		 * The old device is gone (that is why the exporter could
		 * answer); vhci frees its port, see PORT_WAIT.
		 */
		u->attached = false;
		u->t_back_ms = loop_now_ms();
	}
	try_attach(u);
}

static void on_tunnel(void *arg, int err, const char *msg, int fd,
		      const char *early, size_t early_len)
{
	struct usb_import *u = arg;
	uint8_t req[USBIP_REQ_IMPORT_SIZE];

	u->tun = NULL;
	if (err)
		return fail(u, msg);
	u->fd = fd;
	if (early_len) {
		(void)early;
		return fail(u, "the exporter sent data before the import request");
	}
	sock_keepalive(fd, 7, 5, 3);	/* §7 agent step 2 */
	usbip_build_req_import(req, u->busid);
	if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return fail(u, "cannot send the import request");
	u->state = REPLY;
	u->t_request_ms = loop_now_ms();
	u->lfd = loop_fd_add(u->r->agent->loop, fd, EPOLLIN, on_reply, u);
	if (!u->lfd)
		return fail(u, "out of memory");
}

static void on_timer(struct loop_timer *t, void *arg)
{
	struct usb_import *u = arg;
	char msg[300];

	(void)t;
	switch (u->state) {
	case BACKOFF:
		start(u);
		break;
	case PORT_WAIT:
		try_attach(u);
		break;
	default:
		/* Attempt timeout, before the first success only. */
		snprintf(msg, sizeof(msg),
			 "no import reply from %s for %s within %u s (device absent or busy at the exporter?)",
			 u->host, u->busid, u->timeout_s);
		reset(u);
		snprintf(u->err, sizeof(u->err), "%s", msg);
		log_info("%s: %s.%s: %s; asking again", u->r->name, u->part,
			 u->iface, msg);
		start(u);
		break;
	}
}

static void open_tunnel(struct usb_import *u)
{
	u->state = TUNNEL;
	u->tun = tunnel_open(u->r->agent, u->host, u->port, USB_TARGET,
			     u->r->secret, places_relay_tls(u->r->place),
			     on_tunnel, u);
	if (!u->tun) {
		fail(u, "cannot open a tunnel to the exporter");
		return;
	}
	if (!u->ever) {
		u->timeout_s = next_backoff(u->timeout_s);
		loop_timer_set(u->timer, u->timeout_s * 1000ULL);
	}
}

static void vhci_loaded(void *arg, int err)
{
	struct usb_import *u = arg;

	u->vhci = NULL;
	if (err)
		fail(u, "cannot load vhci-hcd: modprobe vhci-hcd failed");
	else
		open_tunnel(u);
}

static void start(struct usb_import *u)
{
	if (devices_vhci_loaded()) {
		open_tunnel(u);
		return;
	}
	u->state = TUNNEL;
	u->vhci = devices_vhci_load(u->r->agent->loop, vhci_loaded, u);
	if (!u->vhci)
		fail(u, "cannot load vhci-hcd: modprobe vhci-hcd cannot run");
}

struct usb_import *usb_import_new(struct reservation *r, const char *part,
				  const char *iface, unsigned int port_num,
				  const char *host, unsigned int port,
				  const char *busid)
{
	struct usb_import *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->r = r;
	u->fd = -1;
	u->vport = -1;
	u->port_num = port_num;
	u->port = port;
	u->part = part;
	u->iface = iface;
	u->host = strdup(host);
	u->busid = strdup(busid ? busid : "");
	u->timer = loop_timer_new(r->agent->loop, on_timer, u);
	if (!u->host || !u->busid || !u->timer) {
		usb_import_free(u);
		return NULL;
	}
	start(u);
	return u;
}

void usb_import_free(struct usb_import *u)
{
	int ret;

	if (!u)
		return;
	reset(u);
	if (u->attached && u->vport >= 0) {
		ret = usbip_vhci_detach(u->vport);
		if (ret && ret != -EINVAL)
			log_warn("%s: %s.%s: vhci detach of port %d failed: %s",
				 u->r->name, u->part, u->iface, u->vport,
				 strerror(-ret));
	}
	loop_timer_free(u->timer);
	free(u->host);
	free(u->busid);
	free(u);
}

bool usb_import_up(struct usb_import *u)
{
	return u->attached && u->lbusid[0] &&
	       devices_scan(u->r->agent->devices, u->lbusid, NULL);
}

void usb_import_status(struct usb_import *u, json_object *o)
{
	json_object *nodes = json_object_new_array();
	bool up = u->attached && u->lbusid[0] &&
		  devices_scan(u->r->agent->devices, u->lbusid, nodes);

	json_object_object_add(o, "up", json_object_new_boolean(up));
	json_object_object_add(o, "busid", u->attached && u->lbusid[0] ?
			       json_object_new_string(u->lbusid) : NULL);
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "remote_busid",
			       json_object_new_string(u->busid));
	json_object_object_add(o, "vhci_port", u->vport >= 0 ?
			       json_object_new_int(u->vport) : NULL);
	if (u->err[0])
		json_object_object_add(o, "error",
				       json_object_new_string(u->err));
}

const char *usb_import_iface(const struct usb_import *u)
{
	return u->iface;
}

const char *usb_import_part(const struct usb_import *u)
{
	return u->part;
}

const char *usb_import_error(const struct usb_import *u)
{
	return u->err;
}

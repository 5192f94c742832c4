// SPDX-License-Identifier: GPL-2.0
/*
 * attach.c - a reservation's interfaces on this machine: attach starts
 * one usb_import per USB interface and one tcp_forward per TCP
 * interface of the place it holds, detach stops them. nmbctl's attach
 * waits here until every USB device is up (or its timeout). The status
 * objects of agent-api.rst are made here too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "attach.h"
#include "devices.h"
#include "jsonrpc.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "match.h"
#include "part_power.h"
#include "places.h"
#include "reservation.h"
#include "tcp_forward.h"
#include "unixrpc.h"
#include "usb_import.h"

struct attach_wait {
	struct reservation *r;
	struct rpc_req *req;
	struct loop_timer *timer;
	struct list_head node;		/* in r->waiters */
};

static struct attach_wait *first_waiter(struct reservation *r)
{
	return list_first_entry_or_null(&r->waiters, struct attach_wait,
					node);
}

static void wait_free(struct attach_wait *w)
{
	list_del(&w->node);
	loop_timer_free(w->timer);
	free(w);
}

static void wait_end(struct attach_wait *w, json_object *result,
		     const char *kind, const char *msg)
{
	struct rpc_req *req = w->req;

	wait_free(w);
	rpc_req_on_cancel(req, NULL, NULL);
	if (kind)
		unixrpc_error(req, kind, "%s", msg);
	else
		rpc_reply(req, result);
}

static json_object *exported_part(struct reservation *r, size_t i)
{
	json_object *parts;

	if (!json_object_object_get_ex(r->place, "parts", &parts))
		return NULL;
	return json_object_array_get_idx(parts, (size_t)r->assign[i]);
}

static json_object *exported_iface(json_object *part, const char *type,
				   const char *name)
{
	json_object *map, *o;

	if (!json_object_object_get_ex(part, type, &map) ||
	    !json_object_object_get_ex(map, name, &o))
		return NULL;
	return o;
}

static int start_tcp(struct reservation *r, const char *part,
		     const struct match_iface *t, json_object *e,
		     const char *host, unsigned int port, char *err,
		     size_t errlen)
{
	json_object *h = NULL, *pt = NULL;
	char target[320];
	int ret;

	json_object_object_get_ex(e, "host", &h);
	json_object_object_get_ex(e, "port", &pt);
	snprintf(target, sizeof(target), "%s:%d", json_object_get_string(h),
		 json_object_get_int(pt));
	ret = tcp_forward_new(r, part, t->name, t->port, host, port, target,
			      &r->tcp[r->ntcp], err, errlen);
	if (!ret)
		r->ntcp++;
	return ret;
}

static int start_usb(struct reservation *r, const char *part,
		     const struct match_iface *u, json_object *e,
		     const char *host, unsigned int port)
{
	json_object *b = NULL;

	json_object_object_get_ex(e, "usbid", &b);
	r->usb[r->nusb] = usb_import_new(r, part, u->name, u->port, host, port,
					 json_object_get_string(b));
	if (!r->usb[r->nusb])
		return -ENOMEM;
	r->nusb++;
	return 0;
}

/* Starts r's TCP forwards (usb false) or USB imports of its place. */
static int start_ifaces(struct reservation *r, bool usb, const char *host,
			unsigned int port, char *err, size_t errlen)
{
	const struct match_import *imp = r->imp;

	for (size_t i = 0; i < imp->nparts; i++) {
		const struct match_part *p = &imp->parts[i];
		json_object *ep = exported_part(r, i);
		size_t n = usb ? p->nusb : p->ntcp;

		for (size_t k = 0; k < n; k++) {
			const struct match_iface *f = usb ? &p->usb[k] :
							    &p->tcp[k];
			json_object *e = exported_iface(ep, usb ? "usb" : "tcp",
							f->name);
			int ret = usb ? start_usb(r, p->name, f, e, host, port) :
				  start_tcp(r, p->name, f, e, host, port, err,
					    errlen);

			if (ret && usb)
				snprintf(err, errlen,
					 "%s.%s: cannot start the USB import (see the agent's log)",
					 p->name, f->name);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int attach_start(struct reservation *r, char *err, size_t errlen)
{
	const struct match_import *imp = r->imp;
	const char *host;
	json_object *v;
	unsigned int port;
	size_t nusb = 0, ntcp = 0;
	int ret;

	if (r->attached)
		return 0;
	if (!r->place_id || !r->place) {
		snprintf(err, errlen, "'%s' is not reserved yet", r->name);
		return -ENOENT;
	}
	json_object_object_get_ex(r->place, "port", &v);
	port = (unsigned int)json_object_get_int(v);
	host = places_host(r->agent, r->place);
	for (size_t i = 0; i < imp->nparts; i++) {
		nusb += imp->parts[i].nusb;
		ntcp += imp->parts[i].ntcp;
	}
	r->usb = calloc(nusb + 1, sizeof(struct usb_import *));
	r->tcp = calloc(ntcp + 1, sizeof(struct tcp_forward *));
	if (!r->usb || !r->tcp) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	r->attached = true;
	/* the listeners first: a port in use fails before any import */
	ret = start_ifaces(r, false, host, port, err, errlen);
	if (!ret)
		ret = start_ifaces(r, true, host, port, err, errlen);
	if (ret)
		goto fail;
	log_notice("%s: attaching to place %s (%zu USB, %zu TCP)", r->name,
		   log_esc(r->place_name), r->nusb, r->ntcp);
	return 0;
fail:
	attach_stop(r);
	return ret;
}

void attach_stop(struct reservation *r)
{
	if (r->attached || r->usb || r->tcp) {
		for (size_t i = 0; i < r->nusb; i++)
			usb_import_free(r->usb[i]);
		for (size_t i = 0; i < r->ntcp; i++)
			tcp_forward_free(r->tcp[i]);
		free(r->usb);
		free(r->tcp);
		r->usb = NULL;
		r->tcp = NULL;
		r->nusb = r->ntcp = 0;
		if (r->attached)
			log_notice("%s: detached", r->name);
		r->attached = false;
	}
	while (!list_empty(&r->waiters))
		wait_end(first_waiter(r), NULL, "unavailable",
			 "detached while attaching");
}

/* --- status objects (agent-api.rst) ----------------------------------- */

static json_object *iface_status(struct reservation *r, const char *part,
				 const char *iface, const char *type,
				 unsigned int port)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "place", json_object_new_string(r->name));
	json_object_object_add(o, "part", json_object_new_string(part));
	json_object_object_add(o, "interface", json_object_new_string(iface));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "attached",
			       json_object_new_boolean(r->attached));
	json_object_object_add(o, "port", json_object_new_int((int32_t)port));
	return o;
}

/*
 * Every interface status object has the same keys, whatever its type
 * (the schema in agent-api.rst): those that do not apply are null.
 */
static void complete_status(json_object *o, json_object *list)
{
	static const char *const keys[] = {
		"up", "busid", "nodes", "remote_busid", "vhci_port",
		"connections", "target", "error", "power", "power_reason",
		"power_since", NULL,
	};
	json_object *v;

	for (const char *const *k = keys; *k; k++)
		if (!json_object_object_get_ex(o, *k, &v))
			json_object_object_add(o, *k, NULL);
	json_object_array_add(list, o);
}

/* The status objects of r's USB (usb) or TCP interfaces. */
static void ifaces_status(struct reservation *r, bool usb, json_object *list)
{
	size_t n = 0;

	for (size_t i = 0; i < r->imp->nparts; i++) {
		const struct match_part *p = &r->imp->parts[i];
		size_t nk = usb ? p->nusb : p->ntcp;

		for (size_t k = 0; k < nk; k++, n++) {
			const struct match_iface *f = usb ? &p->usb[k] :
							    &p->tcp[k];
			json_object *o = iface_status(r, p->name, f->name,
						      usb ? "USB" : "TCP",
						      f->port);
			bool live = r->attached && n < (usb ? r->nusb : r->ntcp);

			if (live && usb)
				usb_import_status(r->usb[n], o);
			else if (live)
				tcp_forward_status(r->tcp[n], o);
			else
				json_object_object_add(o, "up",
						json_object_new_boolean(false));
			if (!live && usb)
				json_object_object_add(o, "nodes",
						       json_object_new_array());
			part_power_status(r, i, o);
			complete_status(o, list);
		}
	}
}

void attach_status(struct reservation *r, json_object *list)
{
	ifaces_status(r, true, list);
	ifaces_status(r, false, list);
}

json_object *attach_status_all(struct agent *a)
{
	json_object *list = json_object_new_array();
	struct reservation *r;

	list_for_each_entry(r, &a->res, node)
		attach_status(r, list);
	return list;
}

/* --- nmbctl's attach, waiting for the devices ------------------------ */

static bool all_up(struct reservation *r)
{
	for (size_t i = 0; i < r->nusb; i++)
		if (!usb_import_up(r->usb[i]))
			return false;
	return true;
}

void attach_update(struct reservation *r)
{
	json_object *list;

	if (list_empty(&r->waiters) || !all_up(r))
		return;
	while (!list_empty(&r->waiters)) {
		list = json_object_new_array();
		attach_status(r, list);
		wait_end(first_waiter(r), list, NULL, NULL);
	}
}

bool attach_update_all(void *agent)
{
	struct agent *a = agent;
	struct reservation *r, *next;
	bool waiting = false;

	list_for_each_entry_safe(r, next, &a->res, node)
		attach_update(r);
	list_for_each_entry(r, &a->res, node)
		if (!list_empty(&r->waiters))
			waiting = true;
	return waiting;
}

static void wait_timeout(struct loop_timer *t, void *arg)
{
	struct attach_wait *w = arg;
	struct reservation *r = w->r;
	char msg[700];

	(void)t;
	snprintf(msg, sizeof(msg), "%s: attach timed out", r->name);
	for (size_t i = 0; i < r->nusb; i++) {
		struct usb_import *u = r->usb[i];
		const char *e = usb_import_error(u);

		if (usb_import_up(u))
			continue;
		snprintf(msg, sizeof(msg),
			 "%s: part %s, interface %s (USB) did not come up%s%s; the import keeps trying: check the board, or detach",
			 r->name, usb_import_part(u), usb_import_iface(u),
			 e[0] ? ": " : "", e);
		break;
	}
	log_warn("%s", msg);
	wait_end(w, NULL, "timeout", msg);
}

static void wait_cancel(struct rpc_req *req, void *data)
{
	(void)req;
	wait_free(data);
}

void attach_req(struct reservation *r, struct rpc_req *req,
		unsigned int timeout_s)
{
	struct attach_wait *w;
	char err[600];
	int ret;

	if (!r->place_id)
		return unixrpc_error(req, "not-found",
				     "'%s' is still waiting for a place",
				     r->name);
	ret = attach_start(r, err, sizeof(err));
	if (ret)
		return unixrpc_error(req, ret == -EADDRINUSE ? "conflict" :
				     "unavailable", "%s: %s", r->name, err);
	devices_poll(r->agent->devices, true);
	w = calloc(1, sizeof(*w));
	if (!w)
		return unixrpc_error(req, "internal", "out of memory");
	w->r = r;
	w->req = req;
	w->timer = loop_timer_new(r->agent->loop, wait_timeout, w);
	if (!w->timer) {
		free(w);
		return unixrpc_error(req, "internal", "out of memory");
	}
	loop_timer_set(w->timer, timeout_s * 1000ULL);
	list_add(&w->node, &r->waiters);
	rpc_req_on_cancel(req, wait_cancel, w);
	attach_update(r);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * reservation.c - the agent's reservations: port conflicts, attach and
 * detach of their interfaces, attach waiters, auto_return, and what
 * happens when the server takes a reservation away.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "loop.h"
#include "unixrpc.h"

struct attach_wait {
	struct reservation *r;
	struct rpc_req *req;
	struct loop_timer *timer;
	struct attach_wait *next;
};

struct reservation *res_find(const char *name)
{
	for (struct reservation *r = agent.res; r; r = r->next)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

static bool ports_clash(const struct match_import *a,
			const struct match_import *b, bool usb,
			unsigned int *port)
{
	for (size_t i = 0; i < a->nparts; i++) {
		const struct match_part *pa = &a->parts[i];
		size_t na = usb ? pa->nusb : pa->ntcp;

		for (size_t k = 0; k < na; k++) {
			unsigned int p = usb ? pa->usb[k].port :
					       pa->tcp[k].port;

			for (size_t j = 0; j < b->nparts; j++) {
				const struct match_part *pb = &b->parts[j];
				size_t nb = usb ? pb->nusb : pb->ntcp;

				for (size_t m = 0; m < nb; m++) {
					if ((usb ? pb->usb[m].port :
					     pb->tcp[m].port) == p) {
						*port = p;
						return true;
					}
				}
			}
		}
	}
	return false;
}

int res_check_ports(const struct match_import *imp, const char *name,
		    char *err, size_t errlen)
{
	unsigned int port;

	for (struct reservation *r = agent.res; r; r = r->next) {
		if (!strcmp(r->name, name))
			continue;
		for (int usb = 1; usb >= 0; usb--) {
			if (!ports_clash(imp, r->imp, usb, &port))
				continue;
			snprintf(err, errlen,
				 "%s %u of '%s' is already used by reservation '%s'; change it in one of them or return '%s'",
				 usb ? "USB port_num" : "TCP local_port", port,
				 name, r->name, r->name);
			return -EBUSY;
		}
	}
	return 0;
}

struct reservation *res_new(const char *name, const char *text,
			    struct match_import *imp)
{
	struct reservation *r = calloc(1, sizeof(*r)), **tail;

	if (!r)
		return NULL;
	r->name = strdup(name);
	r->text = strdup(text);
	if (!r->name || !r->text) {
		free(r->name);
		free(r->text);
		free(r);
		return NULL;
	}
	r->imp = imp;
	for (tail = &agent.res; *tail; tail = &(*tail)->next)
		;
	*tail = r;
	return r;
}

static void wait_end(struct attach_wait *w, json_object *result,
		     const char *kind, const char *msg)
{
	struct attach_wait **pp;

	for (pp = &w->r->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	rpc_req_on_cancel(w->req, NULL, NULL);
	if (kind)
		unixrpc_error(w->req, kind, "%s", msg);
	else
		rpc_reply(w->req, result);
	loop_timer_free(w->timer);
	free(w);
}

static void fail_waiters(struct reservation *r, const char *kind,
			 const char *msg)
{
	while (r->waiters)
		wait_end(r->waiters, NULL, kind, msg);
}

/*
 * A reserve withdrawn (nmbctl went away, return while queued) may have
 * been granted before the server saw the cancel: that grant still comes
 * in, and the place goes straight back, or it would be held for good.
 */
static void late_grant(void *data, json_object *result,
		       const struct rpc_err *err)
{
	struct rpc_chan *ch = hub_chan();
	json_object *params;
	int id;

	(void)data;
	if (err || !json_object_is_type(result, json_type_int))
		return;
	id = json_object_get_int(result);
	log_notice("place id %d was granted after its reserve was withdrawn; returning it",
		   id);
	if (!ch)
		return;
	params = json_object_new_array();
	json_object_array_add(params, json_object_new_int(id));
	rpc_call(ch, "return_reservation", params, NULL, NULL);
}

void res_free(struct reservation *r)
{
	struct reservation **pp;

	res_detach(r);
	fail_waiters(r, "not-found", "the reservation is gone");
	if (r->req) {
		rpc_req_on_cancel(r->req, NULL, NULL);
		unixrpc_error(r->req, "unavailable",
			      "%s: the reservation was dropped while queued",
			      r->name);
		r->req = NULL;
	}
	for (pp = &agent.res; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	queue_end(r);
	if (r->call)
		rpc_call_withdraw(r->call, late_grant, NULL);
	places_cancel(r->pr);
	json_object_put(r->regain_place);
	loop_timer_free(r->regain);
	loop_timer_free(r->auto_return);
	match_import_free(r->imp);
	json_object_put(r->place);
	free(r->assign);
	free(r->name);
	free(r->text);
	free(r->pin);
	free(r->place_name);
	free(r);
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

int res_attach(struct reservation *r, char *err, size_t errlen)
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
	host = places_host(r->place);
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
	for (size_t i = 0; i < imp->nparts; i++) {
		const struct match_part *p = &imp->parts[i];
		json_object *ep = exported_part(r, i);

		for (size_t k = 0; k < p->ntcp; k++) {
			json_object *e = exported_iface(ep, "tcp",
							p->tcp[k].name), *h, *pt;
			char target[320];

			json_object_object_get_ex(e, "host", &h);
			json_object_object_get_ex(e, "port", &pt);
			snprintf(target, sizeof(target), "%s:%d",
				 json_object_get_string(h),
				 json_object_get_int(pt));
			ret = tcp_forward_new(r, p->name, p->tcp[k].name,
					      p->tcp[k].port, host, port,
					      target, &r->tcp[r->ntcp], err,
					      errlen);
			if (ret)
				goto fail;
			r->ntcp++;
		}
	}
	for (size_t i = 0; i < imp->nparts; i++) {
		const struct match_part *p = &imp->parts[i];
		json_object *ep = exported_part(r, i);

		for (size_t k = 0; k < p->nusb; k++) {
			json_object *e = exported_iface(ep, "usb",
							p->usb[k].name), *b;

			json_object_object_get_ex(e, "usbid", &b);
			r->usb[r->nusb] = usb_import_new(r, p->name,
					p->usb[k].name, p->usb[k].port, host,
					port, json_object_get_string(b));
			if (!r->usb[r->nusb]) {
				snprintf(err, errlen,
					 "%s.%s: cannot start the USB import (see the agent's log)",
					 p->name, p->usb[k].name);
				ret = -ENOMEM;
				goto fail;
			}
			r->nusb++;
		}
	}
	log_notice("%s: attaching to place %s (%zu USB, %zu TCP)", r->name,
		   log_esc(r->place_name), r->nusb, r->ntcp);
	return 0;
fail:
	res_detach(r);
	return ret;
}

void res_detach(struct reservation *r)
{
	if (!r->attached && !r->usb && !r->tcp)
		return;
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
	fail_waiters(r, "unavailable", "detached while attaching");
}

static void auto_return(struct loop_timer *t, void *arg)
{
	struct reservation *r = arg;

	(void)t;
	log_notice("%s: auto_return after %u s: returning place %s", r->name,
		   r->imp->auto_return_s, log_esc(r->place_name));
	res_return(r, "auto_return");
}

void res_placed(struct reservation *r, int place_id, json_object *place)
{
	json_object *n;

	json_object *old = r->place;

	r->place_id = place_id;
	r->place = json_object_get(place);
	json_object_put(old);
	free(r->assign);
	r->assign = calloc(r->imp->nparts + 1, sizeof(int));
	if (r->assign)
		match_place(r->imp, r->place, r->assign);
	json_object_object_get_ex(place, "name", &n);
	free(r->place_name);
	r->place_name = strdup(n ? json_object_get_string(n) : "?");
	if (r->imp->auto_return_s && !r->auto_return) {
		r->auto_return = loop_timer_new(agent.loop, auto_return, r);
		if (r->auto_return)
			loop_timer_set(r->auto_return,
				       r->imp->auto_return_s * 1000ULL);
	}
	if (r->imp->auto_return_s)
		log_notice("%s: reserved place %s (id %d), auto_return in %u s",
			   r->name, log_esc(r->place_name), place_id,
			   r->imp->auto_return_s);
	else
		log_notice("%s: reserved place %s (id %d)", r->name,
			   log_esc(r->place_name), place_id);
}

struct returning {
	char *name;
	struct rpc_req *req;	/* nmbctl's return_reservation, or NULL */
};

static void returning_cancel(struct rpc_req *req, void *data)
{
	struct returning *ret = data;

	(void)req;
	ret->req = NULL;
}

static void returned(void *data, json_object *result,
		     const struct rpc_err *err)
{
	struct returning *ret = data;

	(void)result;
	if (err && err->code != RPC_CONNECTION_CLOSED)
		log_warn("%s: the server refused the return: %s", ret->name,
			 log_esc(err->message));
	if (ret->req) {
		rpc_req_on_cancel(ret->req, NULL, NULL);
		rpc_reply(ret->req, NULL);
	}
	free(ret->name);
	free(ret);
}

void res_return_req(struct reservation *r, const char *why,
		    struct rpc_req *req)
{
	struct rpc_chan *ch = hub_chan();
	struct returning *ret = NULL;
	json_object *params;

	if (r->place_id && ch && !r->lost)
		ret = calloc(1, sizeof(*ret));
	if (ret) {
		params = json_object_new_array();
		json_object_array_add(params,
				      json_object_new_int(r->place_id));
		ret->name = strdup(r->name);
		ret->req = req;
		log_info("%s: returning place %s (%s)", r->name,
			 log_esc(r->place_name), why);
		if (rpc_call(ch, "return_reservation", params, returned,
			     ret)) {
			if (req)
				rpc_req_on_cancel(req, returning_cancel, ret);
			req = NULL;
		} else {
			free(ret->name);
			free(ret);
		}
	}
	res_free(r);
	if (req)
		rpc_reply(req, NULL);
}

void res_return(struct reservation *r, const char *why)
{
	res_return_req(r, why, NULL);
}

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
static void complete_status(json_object *o)
{
	static const char *const keys[] = {
		"up", "busid", "nodes", "remote_busid", "vhci_port",
		"connections", "target", "error", NULL,
	};
	json_object *v;

	for (const char *const *k = keys; *k; k++)
		if (!json_object_object_get_ex(o, *k, &v))
			json_object_object_add(o, *k, NULL);
}

void res_status(struct reservation *r, json_object *list)
{
	size_t u = 0, t = 0;

	for (size_t i = 0; i < r->imp->nparts; i++) {
		const struct match_part *p = &r->imp->parts[i];

		for (size_t k = 0; k < p->nusb; k++) {
			json_object *o = iface_status(r, p->name,
						      p->usb[k].name, "USB",
						      p->usb[k].port);

			if (r->attached && u < r->nusb) {
				usb_import_status(r->usb[u++], o);
			} else {
				json_object_object_add(o, "up",
						json_object_new_boolean(false));
				json_object_object_add(o, "nodes",
						json_object_new_array());
			}
			complete_status(o);
			json_object_array_add(list, o);
		}
	}
	for (size_t i = 0; i < r->imp->nparts; i++) {
		const struct match_part *p = &r->imp->parts[i];

		for (size_t k = 0; k < p->ntcp; k++) {
			json_object *o = iface_status(r, p->name,
						      p->tcp[k].name, "TCP",
						      p->tcp[k].port);

			if (r->attached && t < r->ntcp)
				tcp_forward_status(r->tcp[t++], o);
			else
				json_object_object_add(o, "up",
						json_object_new_boolean(false));
			complete_status(o);
			json_object_array_add(list, o);
		}
	}
}

static bool all_up(struct reservation *r)
{
	for (size_t i = 0; i < r->nusb; i++)
		if (!usb_import_up(r->usb[i]))
			return false;
	return true;
}

void res_update(struct reservation *r)
{
	json_object *list;

	if (!r->waiters || !all_up(r))
		return;
	while (r->waiters) {
		list = json_object_new_array();
		res_status(r, list);
		wait_end(r->waiters, list, NULL, NULL);
	}
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
	struct attach_wait *w = data, **pp;

	(void)req;
	for (pp = &w->r->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	loop_timer_free(w->timer);
	free(w);
}

void res_wait_attach(struct reservation *r, struct rpc_req *req,
		     unsigned int timeout_s)
{
	struct attach_wait *w = calloc(1, sizeof(*w));

	if (!w)
		return unixrpc_error(req, "internal", "out of memory");
	w->r = r;
	w->req = req;
	w->timer = loop_timer_new(agent.loop, wait_timeout, w);
	if (!w->timer) {
		free(w);
		return unixrpc_error(req, "internal", "out of memory");
	}
	loop_timer_set(w->timer, timeout_s * 1000ULL);
	w->next = r->waiters;
	r->waiters = w;
	rpc_req_on_cancel(req, wait_cancel, w);
	res_update(r);
}

/* --- getting the place back after the server lost it --------------- */

#define REGAIN_MS	1000

static void regain_try(struct loop_timer *t, void *arg);

static void regain_later(struct reservation *r)
{
	if (!r->regain)
		r->regain = loop_timer_new(agent.loop, regain_try, r);
	if (r->regain)
		loop_timer_set(r->regain, REGAIN_MS);
}

static void regain_done(void *data, json_object *result,
			const struct rpc_err *err)
{
	struct reservation *r = data;
	json_object *place = r->regain_place;
	char msg[300];

	r->call = NULL;
	r->regain_place = NULL;
	if (err) {
		if (err->code != RPC_CONNECTION_CLOSED)
			log_info("%s: place %s not back yet: %s", r->name,
				 log_esc(r->place_name), log_esc(err->message));
		json_object_put(place);
		return regain_later(r);
	}
	res_placed(r, json_object_get_int(result), place);
	json_object_put(place);
	if (r->reattach && res_attach(r, msg, sizeof(msg)))
		log_warn("%s: cannot attach again: %s", r->name, msg);
	r->reattach = false;
}

static void regain_places(void *arg, json_object *places, const char *err)
{
	struct reservation *r = arg;
	struct rpc_chan *ch = hub_chan();
	json_object *params, *ids, *v;

	r->pr = NULL;
	if (!places || !ch) {
		if (err)
			log_info("%s: %s", r->name, err);
		return regain_later(r);
	}
	for (size_t i = 0; i < json_object_array_length(places); i++) {
		json_object *p = json_object_array_get_idx(places, i);

		if (!json_object_object_get_ex(p, "name", &v) ||
		    strcmp(json_object_get_string(v), r->place_name) != 0 ||
		    !match_place(r->imp, p, NULL) ||
		    !json_object_object_get_ex(p, "id", &v))
			continue;
		ids = json_object_new_array();
		json_object_array_add(ids, json_object_get(v));
		params = json_object_new_object();
		json_object_object_add(params, "candidate_ids", ids);
		if (agent.feat_lease && r->imp->auto_return_s &&
		    r->auto_return && loop_timer_armed(r->auto_return))
			json_object_object_add(params, "lease",
				json_object_new_int((int32_t)
						    r->imp->auto_return_s));
		r->regain_place = json_object_get(p);
		r->call = rpc_call(ch, "reserve", params, regain_done, r);
		if (!r->call) {
			json_object_put(r->regain_place);
			r->regain_place = NULL;
			break;
		}
		log_info("%s: place %s is back as id %d; reserving it again",
			 r->name, r->place_name, json_object_get_int(v));
		return;
	}
	regain_later(r);
}

static void regain_try(struct loop_timer *t, void *arg)
{
	struct reservation *r = arg;

	(void)t;
	if (r->call || r->pr)
		return;
	r->pr = places_fetch(regain_places, r);
	if (!r->pr)
		regain_later(r);
}

void res_lost(int place_id, const char *why)
{
	struct reservation *r, *next;
	struct rpc_chan *ch = hub_chan();

	for (r = agent.res; r; r = next) {
		next = r->next;
		if (!r->place_id || (place_id && r->place_id != place_id))
			continue;
		if (!strcmp(why, "lease") || !strcmp(why, "forced")) {
			log_warn("%s: the server took back place %s (%s); detaching. Reserve it again to continue",
				 r->name, r->place_name ? r->place_name : "?",
				 why);
			r->lost = true;
			res_return(r, why);
			continue;
		}
		/*
		 * The exporter went away for good, or the server forgot our
		 * session: the reservation is gone there. Keep it here and
		 * reserve the same place again as soon as it is back (an
		 * exporter restart gives it a new id), then attach again.
		 */
		log_warn("%s: place %s lost at the server (%s); reserving it again when it is back",
			 r->name, r->place_name ? r->place_name : "?", why);
		if (!strcmp(why, "gone") && ch) {
			json_object *params = json_object_new_array();

			json_object_array_add(params,
					      json_object_new_int(r->place_id));
			rpc_call(ch, "return_reservation", params, NULL, NULL);
		}
		r->reattach = r->attached || r->reattach;
		res_detach(r);
		r->place_id = 0;
		r->queued_ms = loop_now_ms();
		regain_later(r);
	}
}

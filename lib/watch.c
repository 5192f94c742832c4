// SPDX-License-Identifier: GPL-2.0
/*
 * watch.c - nmb_watch generic netlink client on libmnl: family and group
 * resolution through nlctrl, WATCH/UNWATCH/GET with extack messages, and
 * event parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "watch.h"

#define EVENT_RCVBUF	(1 << 20)

/* libmnl's mnl_attr_for_each_payload() hard-codes the name "attr". */
#define for_each_attr(a, p, l)						\
	for ((a) = (const void *)(p);					\
	     mnl_attr_ok((a), (int)((const char *)(p) + (l) -		\
				    (const char *)(a)));		\
	     (a) = mnl_attr_next(a))

struct watch {
	struct mnl_socket *ctl;
	struct mnl_socket *ev;
	uint16_t family;
	uint32_t events_group;
	uint32_t seq;
	char buf[65536];	/* above any netlink message size */
};

/* Called with each data message of a reply; returns 0 or -errno. */
typedef int (*reply_cb)(const struct nlmsghdr *nlh, void *arg);

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	size_t len = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	if (len && s[len - 1] == '\0')
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static void extack_msg(const struct nlmsghdr *nlh, char *errmsg)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *a;

	if (!errmsg || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	off = MNL_ALIGN(off);
	if (mnl_nlmsg_get_payload_len(nlh) <= off)
		return;
	for_each_attr(a, (const char *)e + off,
		      mnl_nlmsg_get_payload_len(nlh) - off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			copy_str(errmsg, WATCH_ERRMSG_SIZE, a);
	}
}

/* Reads the reply to seq: 0, or the first error (-errno) it carries. */
static int recv_reply(struct watch *w, struct mnl_socket *s, uint32_t seq,
		      reply_cb cb, void *arg, char *errmsg)
{
	uint32_t portid = mnl_socket_get_portid(s);
	int err = 0;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s, w->buf, sizeof(w->buf));
		const struct nlmsghdr *nlh = (const void *)w->buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
					return -EBADMSG;
				if (e->error)
					extack_msg(nlh, errmsg);
				return err ? err : e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				const int *e = mnl_nlmsg_get_payload(nlh);

				if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) &&
				    *e < 0) {
					extack_msg(nlh, errmsg);
					return *e;
				}
				return err;
			}
			if (cb && !err)
				err = cb(nlh, arg);
			if (!(nlh->nlmsg_flags & NLM_F_MULTI))
				return err;
		}
	}
}

static struct nlmsghdr *put_genl(struct watch *w, uint16_t type, uint16_t flags,
				 uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(w->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++w->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static int request(struct watch *w, struct nlmsghdr *nlh, reply_cb cb,
		   void *arg, char *errmsg)
{
	if (errmsg)
		errmsg[0] = '\0';
	if (mnl_socket_sendto(w->ctl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return recv_reply(w, w->ctl, nlh->nlmsg_seq, cb, arg, errmsg);
}

static void parse_groups(struct watch *w, const struct nlattr *nest)
{
	const struct nlattr *grp;

	mnl_attr_for_each_nested(grp, nest) {
		const struct nlattr *a;
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
				 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, NMB_WATCH_MCGRP_EVENTS))
			w->events_group = id;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct watch *w = arg;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			w->family = mnl_attr_get_u16(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			parse_groups(w, a);
	}
	return 0;
}

static int open_socket(struct mnl_socket **out, int flags)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_GENERIC,
						SOCK_CLOEXEC | flags);
	int one = 1;

	if (!s)
		return -errno;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(s);
		return err;
	}
	/* Both are best effort: old kernels lack them. */
	mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
	*out = s;
	return 0;
}

int watch_open(struct watch **out)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct nlmsghdr *nlh;
	int err;

	if (!w)
		return -ENOMEM;
	w->seq = (uint32_t)time(NULL);
	err = open_socket(&w->ctl, 0);
	if (err) {
		free(w);
		return err;
	}
	nlh = put_genl(w, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NMB_WATCH_FAMILY_NAME);
	err = request(w, nlh, family_cb, w, NULL);
	if (!err && (!w->family || !w->events_group))
		err = -EPROTO;
	if (err) {
		watch_close(w);
		return err;
	}
	*out = w;
	return 0;
}

void watch_close(struct watch *w)
{
	if (!w)
		return;
	if (w->ev)
		mnl_socket_close(w->ev);
	if (w->ctl)
		mnl_socket_close(w->ctl);
	free(w);
}

static struct nlmsghdr *put_port_cmd(struct watch *w, uint8_t cmd,
				     uint16_t flags)
{
	return put_genl(w, w->family, flags, cmd, NMB_WATCH_FAMILY_VERSION);
}

int watch_port(struct watch *w, const char *busid, bool notify_only,
	       char *errmsg)
{
	struct nlmsghdr *nlh = put_port_cmd(w, NMB_WATCH_CMD_WATCH, NLM_F_ACK);

	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, busid);
	if (notify_only)
		mnl_attr_put(nlh, NMB_WATCH_A_PORT_NOTIFY_ONLY, 0, NULL);
	return request(w, nlh, NULL, NULL, errmsg);
}

int watch_unwatch(struct watch *w, const char *busid, char *errmsg)
{
	struct nlmsghdr *nlh = put_port_cmd(w, NMB_WATCH_CMD_UNWATCH,
					    NLM_F_ACK);

	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, busid);
	return request(w, nlh, NULL, NULL, errmsg);
}

static int parse_device(const struct nlattr *nest, struct watch_device *d)
{
	const struct nlattr *a;

	memset(d, 0, sizeof(*d));
	mnl_attr_for_each_nested(a, nest) {
		uint16_t type = mnl_attr_get_type(a);
		enum mnl_attr_data_type t = MNL_TYPE_U32;

		switch (type) {
		case NMB_WATCH_A_DEVICE_VENDOR:
		case NMB_WATCH_A_DEVICE_PRODUCT:
		case NMB_WATCH_A_DEVICE_BCD_DEVICE:
			t = MNL_TYPE_U16;
			break;
		case NMB_WATCH_A_DEVICE_BUSID:
		case NMB_WATCH_A_DEVICE_MANUFACTURER:
		case NMB_WATCH_A_DEVICE_PRODUCT_NAME:
		case NMB_WATCH_A_DEVICE_SERIAL:
		case NMB_WATCH_A_DEVICE_DRIVER:
			t = MNL_TYPE_STRING;
			break;
		}
		if (mnl_attr_validate(a, t) < 0)
			return -EBADMSG;
		switch (type) {
		case NMB_WATCH_A_DEVICE_BUSID:
			copy_str(d->busid, sizeof(d->busid), a);
			break;
		case NMB_WATCH_A_DEVICE_BUSNUM:
			d->busnum = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_DEVICE_DEVNUM:
			d->devnum = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_DEVICE_VENDOR:
			d->vendor = mnl_attr_get_u16(a);
			break;
		case NMB_WATCH_A_DEVICE_PRODUCT:
			d->product = mnl_attr_get_u16(a);
			break;
		case NMB_WATCH_A_DEVICE_BCD_DEVICE:
			d->bcd_device = mnl_attr_get_u16(a);
			break;
		case NMB_WATCH_A_DEVICE_SPEED:
			d->speed = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_DEVICE_MANUFACTURER:
			copy_str(d->manufacturer, sizeof(d->manufacturer), a);
			break;
		case NMB_WATCH_A_DEVICE_PRODUCT_NAME:
			copy_str(d->product_name, sizeof(d->product_name), a);
			break;
		case NMB_WATCH_A_DEVICE_SERIAL:
			copy_str(d->serial, sizeof(d->serial), a);
			break;
		case NMB_WATCH_A_DEVICE_DRIVER:
			copy_str(d->driver, sizeof(d->driver), a);
			break;
		}
	}
	return 0;
}

int watch_parse_port(const void *attrs, size_t len, struct watch_port *p)
{
	const struct nlattr *a;
	int err;

	memset(p, 0, sizeof(*p));
	for_each_attr(a, attrs, len) {
		switch (mnl_attr_get_type(a)) {
		case NMB_WATCH_A_PORT_BUSID:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) < 0)
				return -EBADMSG;
			copy_str(p->busid, sizeof(p->busid), a);
			break;
		case NMB_WATCH_A_PORT_NOTIFY_ONLY:
			p->notify_only = true;
			break;
		case NMB_WATCH_A_PORT_DEVICE:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
				return -EBADMSG;
			err = parse_device(a, &p->dev);
			if (err)
				return err;
			p->has_device = true;
			break;
		}
	}
	return p->busid[0] ? 0 : -EBADMSG;
}

int watch_parse_event(const void *attrs, size_t len, struct watch_event *ev)
{
	const struct nlattr *a;
	int err;

	memset(ev, 0, sizeof(*ev));
	for_each_attr(a, attrs, len) {
		uint16_t type = mnl_attr_get_type(a);

		switch (type) {
		case NMB_WATCH_A_EVENT_TYPE:
		case NMB_WATCH_A_EVENT_SOURCE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			if (type == NMB_WATCH_A_EVENT_TYPE)
				ev->type = mnl_attr_get_u32(a);
			else
				ev->source = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_EVENT_TIMESTAMP:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			ev->timestamp_ns = mnl_attr_get_u64(a);
			break;
		case NMB_WATCH_A_EVENT_DEVICE:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
				return -EBADMSG;
			err = parse_device(a, &ev->dev);
			if (err)
				return err;
			ev->has_device = true;
			break;
		case NMB_WATCH_A_EVENT_INTERFACE:
		case NMB_WATCH_A_EVENT_DRIVER:
		case NMB_WATCH_A_EVENT_DEVNAME:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) < 0)
				return -EBADMSG;
			if (type == NMB_WATCH_A_EVENT_INTERFACE)
				copy_str(ev->interface, sizeof(ev->interface), a);
			else if (type == NMB_WATCH_A_EVENT_DRIVER)
				copy_str(ev->driver, sizeof(ev->driver), a);
			else if (ev->n_devnames < WATCH_MAX_DEVNAMES)
				copy_str(ev->devnames[ev->n_devnames++],
					 WATCH_STR_SIZE, a);
			break;
		}
	}
	if (!ev->type || !ev->has_device)
		return -EBADMSG;
	return 0;
}

struct get_ctx {
	watch_port_cb cb;
	void *arg;
};

static int get_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct get_ctx *ctx = arg;
	struct watch_port p;
	size_t hdr = sizeof(struct genlmsghdr);

	if (mnl_nlmsg_get_payload_len(nlh) < hdr)
		return -EBADMSG;
	if (watch_parse_port((const char *)mnl_nlmsg_get_payload(nlh) + hdr,
			     mnl_nlmsg_get_payload_len(nlh) - hdr, &p) == 0)
		ctx->cb(&p, ctx->arg);
	return 0;
}

int watch_get(struct watch *w, watch_port_cb cb, void *arg, char *errmsg)
{
	struct get_ctx ctx = { cb, arg };
	struct nlmsghdr *nlh = put_port_cmd(w, NMB_WATCH_CMD_GET,
					    NLM_F_DUMP | NLM_F_ACK);

	return request(w, nlh, get_cb, &ctx, errmsg);
}

int watch_subscribe(struct watch *w)
{
	int rcvbuf = EVENT_RCVBUF;
	int err;

	if (w->ev)
		return 0;
	err = open_socket(&w->ev, SOCK_NONBLOCK);
	if (err)
		return err;
	setsockopt(mnl_socket_get_fd(w->ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		   sizeof(rcvbuf));
	if (mnl_socket_setsockopt(w->ev, NETLINK_ADD_MEMBERSHIP,
				  &w->events_group,
				  sizeof(w->events_group)) < 0) {
		err = -errno;
		mnl_socket_close(w->ev);
		w->ev = NULL;
		return err;
	}
	return 0;
}

int watch_events_fd(const struct watch *w)
{
	return w->ev ? mnl_socket_get_fd(w->ev) : -1;
}

int watch_process(struct watch *w, watch_event_cb cb, void *arg)
{
	struct watch_event *ev = malloc(sizeof(*ev));
	int err = 0;

	if (!ev)
		return -ENOMEM;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(w->ev, w->buf, sizeof(w->buf));
		const struct nlmsghdr *nlh = (const void *)w->buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				err = -errno;
			break;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
			size_t hdr = sizeof(*g);

			if (nlh->nlmsg_type != w->family ||
			    mnl_nlmsg_get_payload_len(nlh) < hdr ||
			    g->cmd != NMB_WATCH_CMD_EVENT_NTF)
				continue;
			if (watch_parse_event((const char *)g + hdr,
					      mnl_nlmsg_get_payload_len(nlh) - hdr,
					      ev) == 0)
				cb(ev, arg);
		}
	}
	free(ev);
	return err;
}

const char *watch_event_type_name(uint32_t type)
{
	static const char *const names[] = {
		[NMB_WATCH_EVENT_TYPE_ADD] = "add",
		[NMB_WATCH_EVENT_TYPE_BIND] = "bind",
		[NMB_WATCH_EVENT_TYPE_UNBIND] = "unbind",
		[NMB_WATCH_EVENT_TYPE_REMOVE] = "remove",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}

const char *watch_speed_name(uint32_t speed)
{
	static const char *const names[] = {
		[NMB_WATCH_SPEED_UNKNOWN] = "unknown",
		[NMB_WATCH_SPEED_LOW] = "low",
		[NMB_WATCH_SPEED_FULL] = "full",
		[NMB_WATCH_SPEED_HIGH] = "high",
		[NMB_WATCH_SPEED_WIRELESS] = "wireless",
		[NMB_WATCH_SPEED_SUPER] = "super",
		[NMB_WATCH_SPEED_SUPER_PLUS] = "super-plus",
	};

	if (speed < sizeof(names) / sizeof(names[0]))
		return names[speed];
	return "unknown";
}

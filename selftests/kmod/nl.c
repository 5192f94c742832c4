// SPDX-License-Identifier: GPL-2.0
/*
 * nl.c - libmnl plumbing of the nmb_watch selftests: resolve the family
 * and its "events" group through nlctrl, send requests with extended
 * ACKs enabled (NETLINK_EXT_ACK, NETLINK_CAP_ACK) and parse the error
 * TLVs, dump GET, and parse EVENT_NTF messages into struct kt_event.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "nl.h"

#define BUFSZ	32768

uint64_t kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	snprintf(dst, size, "%s", mnl_attr_get_str(a));
}

/* --- receiving ----------------------------------------------------------- */

static int wait_readable(struct kt_nl *nl, int timeout_ms)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(nl->sk),
			      .events = POLLIN };
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n;
}

static int err_attr_cb(const struct nlattr *a, void *data)
{
	struct kt_err *e = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			copy_str(e->msg, sizeof(e->msg), a);
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			e->bad_off = mnl_attr_get_u32(a);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			e->miss_type = mnl_attr_get_u32(a);
		break;
	case NLMSGERR_ATTR_POLICY:
		e->policy = true;
		break;
	}
	return MNL_CB_OK;
}

static void parse_error(const struct nlmsghdr *nlh, struct kt_err *e)
{
	const struct nlmsgerr *ne = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*ne);

	e->error = ne->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += ne->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_parse(nlh, off, err_attr_cb, e);
}

/*
 * Read replies to request seq: data messages go to cb, NLMSG_ERROR and
 * NLMSG_DONE end the exchange. Messages of other sequences (events) are
 * dropped: subscribe a separate socket for those.
 */
static int recv_reply(struct kt_nl *nl, uint32_t seq, mnl_cb_t cb,
		      void *data, struct kt_err *e)
{
	static char buf[BUFSZ];
	struct kt_err local;

	if (!e)
		e = &local;
	memset(e, 0, sizeof(*e));
	for (;;) {
		const struct nlmsghdr *nlh;
		int len, n;

		n = wait_readable(nl, 5000);
		if (n <= 0)
			return n ? n : -ETIMEDOUT;
		len = (int)mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		if (len < 0) {
			if (errno == ENOBUFS)
				continue;
			return -errno;
		}
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq ||
			    nlh->nlmsg_pid != nl->portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				parse_error(nlh, e);
				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				const int *err = mnl_nlmsg_get_payload(nlh);

				if (mnl_nlmsg_get_payload_len(nlh) >=
				    sizeof(int))
					e->error = *err;
				return e->error;
			}
			if (cb && cb(nlh, data) < 0)
				return -EBADMSG;
		}
	}
}

/* --- nlctrl -------------------------------------------------------------- */

struct family_info {
	uint16_t id;
	uint32_t version;
	uint32_t mcgrp;
	int nmcgrps;
	int64_t op_flags[NMB_WATCH_CMD_MAX + 2];
};

static int mcgrp_cb(const struct nlattr *grp, struct family_info *fi)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = mnl_attr_get_u32(a);
	}
	if (name && !strcmp(name, NMB_WATCH_MCGRP_EVENTS))
		fi->mcgrp = id;
	fi->nmcgrps++;
	return MNL_CB_OK;
}

static void op_cb(const struct nlattr *op, struct family_info *fi)
{
	const struct nlattr *a;
	int64_t flags = 0;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, op) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_OP_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_OP_FLAGS &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			flags = mnl_attr_get_u32(a);
	}
	if (id < sizeof(fi->op_flags) / sizeof(fi->op_flags[0]))
		fi->op_flags[id] = flags;
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *grp;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			fi->id = mnl_attr_get_u16(a);
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			fi->version = mnl_attr_get_u32(a);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		mnl_attr_for_each_nested(grp, a)
			mcgrp_cb(grp, fi);
		break;
	case CTRL_ATTR_OPS:
		mnl_attr_for_each_nested(grp, a)
			op_cb(grp, fi);
		break;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      data);
}

static int resolve(struct kt_nl *nl)
{
	char buf[KT_MSG_SIZE];
	struct family_info fi = { 0 };
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;
	size_t i;
	int err;

	for (i = 0; i < sizeof(fi.op_flags) / sizeof(fi.op_flags[0]); i++)
		fi.op_flags[i] = -1;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NMB_WATCH_FAMILY_NAME);
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	err = recv_reply(nl, nlh->nlmsg_seq, family_cb, &fi, NULL);
	if (err)
		return err;
	if (!fi.id)
		return -ENOENT;
	nl->family = fi.id;
	nl->version = fi.version;
	nl->mcgrp = fi.mcgrp;
	nl->nmcgrps = fi.nmcgrps;
	memcpy(nl->op_flags, fi.op_flags, sizeof(nl->op_flags));
	return 0;
}

/* --- socket -------------------------------------------------------------- */

int kt_nl_open(struct kt_nl *nl)
{
	int one = 1;
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	if (mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one,
				  sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one,
				  sizeof(one)) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (uint32_t)time(NULL);
	err = resolve(nl);
	if (err) {
		kt_nl_close(nl);
		return err;
	}
	return 0;

fail:
	err = -errno;
	kt_nl_close(nl);
	return err;
}

int kt_nl_subscribe(struct kt_nl *nl)
{
	int grp = (int)nl->mcgrp;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return -errno;
	return 0;
}

int kt_nl_set_rcvbuf(struct kt_nl *nl, int bytes)
{
	int fd = mnl_socket_get_fd(nl->sk);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
		       sizeof(bytes)) < 0)
		return -errno;
	return 0;
}

void kt_nl_close(struct kt_nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	nl->sk = NULL;
}

/* --- requests ------------------------------------------------------------ */

struct nlmsghdr *kt_nl_msg(struct kt_nl *nl, void *buf, uint8_t cmd,
			   uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = NMB_WATCH_FAMILY_VERSION;
	return nlh;
}

int kt_nl_transact(struct kt_nl *nl, struct nlmsghdr *nlh, struct kt_err *e)
{
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return recv_reply(nl, nlh->nlmsg_seq, NULL, NULL, e);
}

int kt_watch(struct kt_nl *nl, const char *busid, bool notify_only,
	     struct kt_err *e)
{
	char buf[KT_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_WATCH,
			NLM_F_REQUEST | NLM_F_ACK);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, busid);
	if (notify_only)
		mnl_attr_put(nlh, NMB_WATCH_A_PORT_NOTIFY_ONLY, 0, NULL);
	return kt_nl_transact(nl, nlh, e);
}

int kt_unwatch(struct kt_nl *nl, const char *busid, struct kt_err *e)
{
	char buf[KT_MSG_SIZE];
	struct nlmsghdr *nlh;

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_UNWATCH,
			NLM_F_REQUEST | NLM_F_ACK);
	mnl_attr_put_strz(nlh, NMB_WATCH_A_PORT_BUSID, busid);
	return kt_nl_transact(nl, nlh, e);
}

/* --- parsing ------------------------------------------------------------- */

static bool valid(const struct nlattr *a, enum mnl_attr_data_type t)
{
	return mnl_attr_validate(a, t) == 0;
}

static void parse_dev(const struct nlattr *nest, struct kt_dev *d)
{
	const struct nlattr *a;

	memset(d, 0, sizeof(*d));
	mnl_attr_for_each_nested(a, nest) {
		uint16_t type = mnl_attr_get_type(a);
		bool ok = true;

		switch (type) {
		case NMB_WATCH_A_DEVICE_BUSID:
			if ((ok = valid(a, MNL_TYPE_NUL_STRING)))
				copy_str(d->busid, sizeof(d->busid), a);
			break;
		case NMB_WATCH_A_DEVICE_BUSNUM:
			if ((ok = valid(a, MNL_TYPE_U32)))
				d->busnum = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_DEVICE_DEVNUM:
			if ((ok = valid(a, MNL_TYPE_U32)))
				d->devnum = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_DEVICE_VENDOR:
			if ((ok = valid(a, MNL_TYPE_U16)))
				d->vendor = mnl_attr_get_u16(a);
			break;
		case NMB_WATCH_A_DEVICE_PRODUCT:
			if ((ok = valid(a, MNL_TYPE_U16)))
				d->product = mnl_attr_get_u16(a);
			break;
		case NMB_WATCH_A_DEVICE_BCD_DEVICE:
			if ((ok = valid(a, MNL_TYPE_U16)))
				d->bcd_device = mnl_attr_get_u16(a);
			break;
		case NMB_WATCH_A_DEVICE_SPEED:
			if ((ok = valid(a, MNL_TYPE_U32)))
				d->speed = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_DEVICE_MANUFACTURER:
			if ((ok = valid(a, MNL_TYPE_NUL_STRING)))
				copy_str(d->manufacturer,
					 sizeof(d->manufacturer), a);
			break;
		case NMB_WATCH_A_DEVICE_PRODUCT_NAME:
			if ((ok = valid(a, MNL_TYPE_NUL_STRING)))
				copy_str(d->product_name,
					 sizeof(d->product_name), a);
			break;
		case NMB_WATCH_A_DEVICE_SERIAL:
			if ((ok = valid(a, MNL_TYPE_NUL_STRING)))
				copy_str(d->serial, sizeof(d->serial), a);
			break;
		case NMB_WATCH_A_DEVICE_DRIVER:
			if ((ok = valid(a, MNL_TYPE_NUL_STRING)))
				copy_str(d->driver, sizeof(d->driver), a);
			break;
		default:
			ok = false;	/* not in the ABI */
		}
		if (ok)
			d->has |= 1u << type;
		else
			d->malformed = true;
	}
}

struct get_ctx {
	struct kt_port *ports;
	int max;
	int n;
};

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *ctx = data;
	struct kt_port p = { 0 };
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case NMB_WATCH_A_PORT_BUSID:
			if (valid(a, MNL_TYPE_NUL_STRING))
				copy_str(p.busid, sizeof(p.busid), a);
			else
				p.malformed = true;
			break;
		case NMB_WATCH_A_PORT_NOTIFY_ONLY:
			if (mnl_attr_get_payload_len(a))
				p.malformed = true;
			p.notify_only = true;
			break;
		case NMB_WATCH_A_PORT_DEVICE:
			if (!valid(a, MNL_TYPE_NESTED)) {
				p.malformed = true;
				break;
			}
			p.has_device = true;
			parse_dev(a, &p.dev);
			break;
		default:
			p.malformed = true;
		}
	}
	if (ctx->n < ctx->max)
		ctx->ports[ctx->n] = p;
	ctx->n++;
	return MNL_CB_OK;
}

int kt_get(struct kt_nl *nl, struct kt_port *ports, int max)
{
	char buf[KT_MSG_SIZE];
	struct get_ctx ctx = { ports, max, 0 };
	struct nlmsghdr *nlh;
	int err;

	nlh = kt_nl_msg(nl, buf, NMB_WATCH_CMD_GET,
			NLM_F_REQUEST | NLM_F_DUMP);
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	err = recv_reply(nl, nlh->nlmsg_seq, get_cb, &ctx, NULL);
	if (err)
		return err;
	return ctx.n < max ? ctx.n : max;
}

int kt_count_watches(void)
{
	struct kt_port ports[64];
	struct kt_nl nl;
	int n;

	n = kt_nl_open(&nl);
	if (n)
		return n;
	n = kt_get(&nl, ports, 64);
	kt_nl_close(&nl);
	return n;
}

int kt_wait_no_watches(int timeout_ms)
{
	uint64_t end = kt_now_ns() + timeout_ms * 1000000ull;
	struct timespec ts = { 0, 20000000L };	/* 20 ms */

	for (;;) {
		int n = kt_count_watches();

		if (n == 0)
			return 0;
		if (kt_now_ns() > end)
			return n < 0 ? n : -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}

/* --- events -------------------------------------------------------------- */

static void parse_event(const struct nlmsghdr *nlh, struct kt_event *ev)
{
	const struct nlattr *a;

	memset(ev, 0, sizeof(*ev));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		uint16_t type = mnl_attr_get_type(a);
		bool ok = true;

		switch (type) {
		case NMB_WATCH_A_EVENT_TYPE:
			if ((ok = valid(a, MNL_TYPE_U32)))
				ev->type = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_EVENT_SOURCE:
			if ((ok = valid(a, MNL_TYPE_U32)))
				ev->source = mnl_attr_get_u32(a);
			break;
		case NMB_WATCH_A_EVENT_TIMESTAMP:
			if ((ok = valid(a, MNL_TYPE_U64)))
				ev->ts = mnl_attr_get_u64(a);
			break;
		case NMB_WATCH_A_EVENT_PAD:
			break;
		case NMB_WATCH_A_EVENT_DEVICE:
			if ((ok = valid(a, MNL_TYPE_NESTED))) {
				parse_dev(a, &ev->dev);
				ok = !ev->dev.malformed;
			}
			break;
		case NMB_WATCH_A_EVENT_INTERFACE:
			if ((ok = valid(a, MNL_TYPE_NUL_STRING)))
				copy_str(ev->iface, sizeof(ev->iface), a);
			break;
		case NMB_WATCH_A_EVENT_DRIVER:
			if ((ok = valid(a, MNL_TYPE_NUL_STRING)))
				copy_str(ev->driver, sizeof(ev->driver), a);
			break;
		case NMB_WATCH_A_EVENT_DEVNAME:
			if ((ok = valid(a, MNL_TYPE_NUL_STRING)) &&
			    ev->ndevnames < KT_DEVNAMES)
				copy_str(ev->devname[ev->ndevnames++],
					 sizeof(ev->devname[0]), a);
			break;
		default:
			ok = false;
		}
		if (ok)
			ev->has |= 1u << type;
		else
			ev->malformed = true;
	}
}

int kt_nl_event(struct kt_nl *nl, struct kt_event *ev, int timeout_ms)
{
	static char buf[BUFSZ];
	static int left;
	static const struct nlmsghdr *next;
	static struct kt_nl *owner;

	if (owner != nl)
		left = 0;
	owner = nl;
	for (;;) {
		int len, n;

		/* Messages left over from the last datagram first. */
		while (left > 0 && mnl_nlmsg_ok(next, left)) {
			const struct nlmsghdr *nlh = next;

			next = mnl_nlmsg_next(nlh, &left);
			if (nlh->nlmsg_type != nl->family)
				continue;
			parse_event(nlh, ev);
			ev->rx_ns = kt_now_ns();
			if (((const struct genlmsghdr *)
			     mnl_nlmsg_get_payload(nlh))->cmd !=
			    NMB_WATCH_CMD_EVENT_NTF)
				ev->malformed = true;
			return 1;
		}
		n = wait_readable(nl, timeout_ms);
		if (n <= 0)
			return n;
		len = (int)mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		left = len;
		next = (const struct nlmsghdr *)buf;
	}
}

void kt_log_free(struct kt_log *log)
{
	free(log->ev);
	memset(log, 0, sizeof(*log));
}

static int log_push(struct kt_log *log, const struct kt_event *ev)
{
	if (log->n == log->cap) {
		int cap = log->cap ? log->cap * 2 : 64;
		struct kt_event *p = realloc(log->ev, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		log->ev = p;
		log->cap = cap;
	}
	log->ev[log->n++] = *ev;
	return 0;
}

bool kt_match_event(const struct kt_event *ev, const struct kt_match *m)
{
	if (m->type && ev->type != m->type)
		return false;
	if (m->source && ev->source != m->source)
		return false;
	if (m->busid && strcmp(ev->dev.busid, m->busid) != 0)
		return false;
	if (m->scope == KT_DEVICE && ev->iface[0])
		return false;
	if (m->scope == KT_IFACE && !ev->iface[0])
		return false;
	if (m->driver && strcmp(ev->driver, m->driver) != 0)
		return false;
	return true;
}

int kt_log_find(const struct kt_log *log, const struct kt_match *m, int from)
{
	int i;

	for (i = from < 0 ? 0 : from; i < log->n; i++)
		if (kt_match_event(&log->ev[i], m))
			return i;
	return -1;
}

int kt_log_count(const struct kt_log *log, const struct kt_match *m)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		n += kt_match_event(&log->ev[i], m);
	return n;
}

/* Receive one event into the log; 1, 0 on timeout, -errno. */
static int log_recv(struct kt_nl *nl, struct kt_log *log, int timeout_ms)
{
	struct kt_event ev;
	int n;

	n = kt_nl_event(nl, &ev, timeout_ms);
	if (n == -ENOBUFS) {
		log->overruns++;
		return n;
	}
	if (n <= 0)
		return n;
	n = log_push(log, &ev);
	return n ? n : 1;
}

int kt_log_wait(struct kt_nl *nl, struct kt_log *log,
		const struct kt_match *m, int from, int timeout_ms)
{
	uint64_t end = kt_now_ns() + timeout_ms * 1000000ull;
	int i = kt_log_find(log, m, from);

	while (i < 0) {
		uint64_t now = kt_now_ns();
		int n, start = log->n;

		if (now >= end)
			return -ETIMEDOUT;
		n = log_recv(nl, log, (int)((end - now) / 1000000) + 1);
		if (n < 0)
			return n;
		if (n > 0)
			i = kt_log_find(log, m, start);
	}
	return i;
}

int kt_log_drain(struct kt_nl *nl, struct kt_log *log, int ms)
{
	uint64_t end = kt_now_ns() + ms * 1000000ull;

	for (;;) {
		uint64_t now = kt_now_ns();
		int n;

		if (now >= end)
			return 0;
		n = log_recv(nl, log, (int)((end - now) / 1000000) + 1);
		if (n < 0)
			return n;
	}
}

const char *kt_type_name(uint32_t type)
{
	static const char *const names[] = {
		[NMB_WATCH_EVENT_TYPE_ADD] = "add",
		[NMB_WATCH_EVENT_TYPE_BIND] = "bind",
		[NMB_WATCH_EVENT_TYPE_UNBIND] = "unbind",
		[NMB_WATCH_EVENT_TYPE_REMOVE] = "remove",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "?";
}

const char *kt_source_name(uint32_t source)
{
	if (source == NMB_WATCH_SOURCE_PORT)
		return "port";
	if (source == NMB_WATCH_SOURCE_VHCI)
		return "vhci";
	return "?";
}

void kt_event_print(const struct kt_event *ev, FILE *f)
{
	int i;

	fprintf(f, "#   %-6s %-4s dev=%s%s%s drv=%s devnames=",
		kt_type_name(ev->type), kt_source_name(ev->source),
		ev->dev.busid, ev->iface[0] ? " if=" : "", ev->iface,
		ev->driver[0] ? ev->driver : "-");
	for (i = 0; i < ev->ndevnames; i++)
		fprintf(f, "%s%s", i ? "," : "", ev->devname[i]);
	fprintf(f, "%s ts=%llu%s\n", ev->ndevnames ? "" : "-",
		(unsigned long long)ev->ts,
		ev->malformed ? " MALFORMED" : "");
}

void kt_log_print(const struct kt_log *log, FILE *f)
{
	int i;

	fprintf(f, "# %d events:\n", log->n);
	for (i = 0; i < log->n; i++)
		kt_event_print(&log->ev[i], f);
}

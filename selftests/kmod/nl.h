/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl.h - the netlink side of the nmb_watch selftests: a generic netlink
 * socket bound to the nmb_watch family (libmnl), requests with their
 * extended ACK, the GET dump, and the "events" multicast group parsed
 * into plain structs and kept in a log the tests search.
 */
#ifndef NMB_KT_NL_H
#define NMB_KT_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libmnl/libmnl.h>
#include <linux/nmb_watch.h>

#define KT_STR_SIZE	128
#define KT_DEVNAMES	8
#define KT_MSG_SIZE	8192

/* One nmb_watch socket; use one for requests and another for events. */
struct kt_nl {
	struct mnl_socket *sk;
	uint16_t family;
	uint32_t version;
	uint32_t mcgrp;		/* id of the "events" group, 0 if none */
	int nmcgrps;		/* multicast groups the family has */
	/* CTRL_ATTR_OP_FLAGS per command (GENL_ADMIN_PERM, ...), -1 absent */
	int64_t op_flags[NMB_WATCH_CMD_MAX + 2];
	uint32_t portid;
	uint32_t seq;
};

/* What the kernel said about a request (NLMSG_ERROR and its TLVs). */
struct kt_err {
	int error;		/* 0 or a negative errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" when absent */
	uint32_t bad_off;	/* NLMSGERR_ATTR_OFFS, 0 when absent */
	uint32_t miss_type;	/* NLMSGERR_ATTR_MISS_TYPE, 0 when absent */
	bool policy;		/* NLMSGERR_ATTR_POLICY present */
};

/* An NMB_WATCH_A_DEVICE_* nest; has is a bitmask of (1 << attr type). */
struct kt_dev {
	uint32_t has;
	bool malformed;		/* an attribute of the wrong type */
	char busid[NMB_WATCH_BUSID_SIZE];
	uint32_t busnum;
	uint32_t devnum;
	uint16_t vendor;
	uint16_t product;
	uint16_t bcd_device;
	uint32_t speed;
	char manufacturer[KT_STR_SIZE];
	char product_name[KT_STR_SIZE];
	char serial[KT_STR_SIZE];
	char driver[KT_STR_SIZE];
};

#define KT_HAS(d, attr)	(!!((d)->has & (1u << (attr))))

/* One message of the GET dump. */
struct kt_port {
	bool malformed;
	char busid[NMB_WATCH_BUSID_SIZE];
	bool notify_only;
	bool has_device;
	struct kt_dev dev;
};

/* One EVENT_NTF message; rx_ns is CLOCK_MONOTONIC at receipt. */
struct kt_event {
	uint32_t has;		/* (1 << NMB_WATCH_A_EVENT_*) seen */
	bool malformed;
	uint32_t type;
	uint32_t source;
	uint64_t ts;
	uint64_t rx_ns;
	struct kt_dev dev;
	char iface[NMB_WATCH_BUSID_SIZE + 16];
	char driver[KT_STR_SIZE];
	int ndevnames;
	char devname[KT_DEVNAMES][64];
};

/* Events received so far, in order. */
struct kt_log {
	struct kt_event *ev;
	int n;
	int cap;
	int overruns;		/* ENOBUFS seen on the socket */
};

enum kt_scope { KT_ANY, KT_DEVICE, KT_IFACE };

/* A filter over events; zero/NULL fields match anything. */
struct kt_match {
	uint32_t type;
	uint32_t source;
	const char *busid;	/* device busid */
	enum kt_scope scope;	/* device event, interface event, either */
	const char *driver;
};

uint64_t kt_now_ns(void);

int kt_nl_open(struct kt_nl *nl);
int kt_nl_subscribe(struct kt_nl *nl);
void kt_nl_close(struct kt_nl *nl);
int kt_nl_set_rcvbuf(struct kt_nl *nl, int bytes);

/* Start a request in buf (KT_MSG_SIZE bytes). */
struct nlmsghdr *kt_nl_msg(struct kt_nl *nl, void *buf, uint8_t cmd,
			   uint16_t flags);
/* Send a request and wait for its ACK; returns err->error. */
int kt_nl_transact(struct kt_nl *nl, struct nlmsghdr *nlh,
		   struct kt_err *err);

int kt_watch(struct kt_nl *nl, const char *busid, bool notify_only,
	     struct kt_err *err);
int kt_unwatch(struct kt_nl *nl, const char *busid, struct kt_err *err);
/* GET dump; returns the number of ports (at most max) or -errno. */
int kt_get(struct kt_nl *nl, struct kt_port *ports, int max);
/* Number of watched ports, or -errno; opens its own socket. */
int kt_count_watches(void);
/* Wait until no port is watched; 0 or -ETIMEDOUT. */
int kt_wait_no_watches(int timeout_ms);

/* One event: 1, 0 on timeout, or -errno (-ENOBUFS on overrun). */
int kt_nl_event(struct kt_nl *nl, struct kt_event *ev, int timeout_ms);

void kt_log_free(struct kt_log *log);
bool kt_match_event(const struct kt_event *ev, const struct kt_match *m);
/* Index of the first matching event at or after from, or -1. */
int kt_log_find(const struct kt_log *log, const struct kt_match *m, int from);
int kt_log_count(const struct kt_log *log, const struct kt_match *m);
/*
 * Receive into the log until an event matching m arrives (among the new
 * ones or the ones already logged from index from): its index, or
 * -ETIMEDOUT, or another -errno.
 */
int kt_log_wait(struct kt_nl *nl, struct kt_log *log,
		const struct kt_match *m, int from, int timeout_ms);
/* Receive into the log for ms milliseconds; 0 or -errno. */
int kt_log_drain(struct kt_nl *nl, struct kt_log *log, int ms);
void kt_log_print(const struct kt_log *log, FILE *f);

const char *kt_type_name(uint32_t type);
const char *kt_source_name(uint32_t source);
void kt_event_print(const struct kt_event *ev, FILE *f);

#endif /* NMB_KT_NL_H */

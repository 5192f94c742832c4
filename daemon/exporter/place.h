/* SPDX-License-Identifier: GPL-2.0 */
/*
 * place.h - a place of exporter.yaml: its parts and their USB and TCP
 * interfaces as config.c reads them, and the run-time state each edge
 * keeps on it (the proxy's listeners and connections, the server link,
 * the refusal counters). A place is allocated on its own, so that a
 * reload (reload.c) keeps an unchanged place, and every pointer to it,
 * where it is.
 */
#ifndef NMB_EXPORTER_PLACE_H
#define NMB_EXPORTER_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"

struct conf;
struct exporter;
struct hub_client;
struct loop_fd;
struct loop_timer;
struct usbdev;
struct virt;

struct usb_if {
	const char *name;
	const char *busid;
	struct usbdev *dev;	/* usb.c, while the place is started */
};

struct tcp_if {
	const char *name;
	const char *host;
	unsigned int port;
	char *target;		/* "host:port", compared byte for byte */
	uint64_t bytes[2];	/* tunnels ended: from/to the peer */
};

struct part {
	const char **compatible;
	size_t n_compatible;
	struct usb_if *usb;
	size_t n_usb;
	struct tcp_if *tcp;
	size_t n_tcp;
	struct virt *virt;	/* an emulated board (virtual.h), or NULL */
};

enum exp_refusal {
	EXP_REFUSED_METHOD, EXP_REFUSED_BAD_REQUEST, EXP_REFUSED_HEAD_SIZE,
	EXP_REFUSED_TARGET, EXP_REFUSED_IP, EXP_REFUSED_SECRET, EXP_REFUSALS
};

struct place {
	struct conf *conf;		/* holds the strings (a reference) */
	const char *name;
	unsigned int port;		/* 0 for a dial-out place */
	bool dial_out;			/* reached through the server's relay */
	struct part *parts;
	size_t n_parts;
	/*
	 * ip_fallback (default true): a holder whose grant has no secret
	 * (a not-my-board 0.13 agent) is admitted by its source IP; false:
	 * only a CONNECT with the grant's secret gets in.
	 */
	bool ip_fallback;

	/* run time */
	struct exporter *exp;
	int lfd_fd[2];			/* v4 and v6 listeners */
	struct loop_fd *lfd[2];
	struct loop_timer *accept_pause;	/* out of fds: retry later */
	char **allowed;			/* allow-list, normalised IP strings */
	size_t n_allowed;
	char *secret;			/* the grant's secret, or NULL */
	unsigned int grant_gen;		/* +1 whenever the secret changes */
	struct list_head conns;		/* struct conn.node */
	struct list_head dials;		/* dial_out.c: data connections */
	struct list_head tls_pumps;	/* dial_out.c: user-space TLS */
	struct ssl_ctx_st *relay_tls;	/* dial_out.c: made on first use */
	struct hub_client *hub;
	int place_id;			/* from register_place, 0 before */
	char *session;			/* nmb-server session, for resuming */
	bool hub_part_state;		/* the hub's hello has part_state */
	bool tells_parts;		/* ... and p is registered with it */
	uint64_t refusals[EXP_REFUSALS];	/* metrics.c */
};

/* The number of USB interfaces of p. */
size_t place_n_usb(const struct place *p);

#endif /* NMB_EXPORTER_PLACE_H */

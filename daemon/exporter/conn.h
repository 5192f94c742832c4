/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conn.h - one client connection of a place's CONNECT proxy (proxy.c),
 * from accept to its end as a USB tunnel (usb.c) or a TCP tunnel (tcp.c).
 */
#ifndef NMB_EXPORTER_CONN_H
#define NMB_EXPORTER_CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "usbip.h"

struct addrinfo;
struct loop_fd;
struct loop_timer;
struct place;
struct relay;
struct resolve;
struct tcp_if;
struct usbdev;

/*
 * From accept to a complete request (the CONNECT head, then for a USB
 * tunnel its OP_REQ_IMPORT): a head not complete by then is answered
 * 408, a USB request closed, so a client that drips bytes or none
 * (slowloris) does not hold a connection for ever.
 */
#define PROXY_REQUEST_TIMEOUT_MS	10000

enum conn_state {
	CONN_HEAD,		/* reading the CONNECT request */
	CONN_USB_REQ,		/* reading OP_REQ_IMPORT */
	CONN_USB_WAIT,		/* queued on the device's FIFO lock */
	CONN_USB_EXPORTED,	/* usbip-host has the socket; fd kept to stop it */
	CONN_TCP_RESOLVE,
	CONN_TCP_CONNECT,
	CONN_TCP_RELAY,
};

struct conn {
	/*
	 * Ends the connection: its tunnel, its place in a queue, its
	 * sockets. Set by the proxy (proxy.c) at accept; the tunnels
	 * (usb.c, tcp.c) call it through conn_end() when they are done, so
	 * that they depend on the proxy's data only, not on its code.
	 */
	void (*end)(struct conn *c);
	struct list_head node;		/* place->conns */
	struct place *place;
	char peer[INET6_ADDRSTRLEN];
	uint16_t peer_port;
	enum conn_state state;
	/*
	 * How it was let in, once its head was read: with the grant's
	 * secret (grant_gen: of which grant) or by its source IP.
	 */
	bool by_secret;
	unsigned int grant_gen;
	int fd;
	struct loop_fd *lfd;
	char *buf;			/* request head, HTTP_HEAD_MAX + 1 */
	size_t len;
	struct loop_timer *deadline;	/* PROXY_REQUEST_TIMEOUT_MS */
	/* USB */
	uint8_t req[USBIP_REQ_IMPORT_SIZE];
	size_t req_len;
	struct usbdev *dev;
	struct list_head wnode;		/* dev->waiters */
	uint64_t queued_ns;
	bool killed;
	/* TCP */
	struct tcp_if *tcp;
	struct resolve *res;		/* resolving the target */
	struct addrinfo *ai, *ai_next;
	int tfd;
	struct loop_fd *tlfd;
	struct relay *relay;
	char *early;
	size_t early_len;
};

static inline void conn_end(struct conn *c)
{
	c->end(c);
}

#endif /* NMB_EXPORTER_CONN_H */

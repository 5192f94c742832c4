/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exporter.h - nmb-exporter's internal boundary: the places of the
 * configuration, the CONNECT proxy, USB devices handed to usbip-host and
 * the hub connection, each in its own file.
 */
#ifndef NMB_EXPORTER_H
#define NMB_EXPORTER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "usbip.h"

struct loop;
struct loop_fd;
struct loop_timer;
struct relay;
struct watch;
struct hub_client;
struct conf;
struct virt;

/* --- intrusive doubly-linked list ------------------------------------ */

struct list {
	struct list *prev, *next;
};

static inline void list_init(struct list *l)
{
	l->prev = l->next = l;
}

static inline bool list_empty(const struct list *l)
{
	return l->next == l;
}

static inline void list_add_tail(struct list *l, struct list *n)
{
	n->prev = l->prev;
	n->next = l;
	l->prev->next = n;
	l->prev = n;
}

static inline void list_del(struct list *n)
{
	if (!n->next)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

#define container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

/* --- configuration (config.c) ---------------------------------------- */

struct usb_if {
	const char *name;
	const char *busid;
	struct usbdev *dev;
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
	EXP_REFUSED_TARGET, EXP_REFUSED_IP, EXP_REFUSALS
};

struct place {
	const char *name;
	unsigned int port;
	struct part *parts;
	size_t n_parts;

	/* run time */
	struct exporter *exp;
	int lfd_fd[2];			/* v4 and v6 listeners */
	struct loop_fd *lfd[2];
	struct loop_timer *accept_pause;	/* out of fds: retry later */
	char **allowed;			/* allow-list, normalised IP strings */
	size_t n_allowed;
	struct list conns;		/* struct conn.node */
	struct hub_client *hub;
	int place_id;			/* from register_place, 0 before */
	char *session;			/* nmb-server session, for resuming */
	uint64_t refusals[EXP_REFUSALS];	/* metrics.c */
};

/* state_dir when exporter.yaml and systemd ($STATE_DIRECTORY) name none */
#define DEFAULT_STATE_DIR	"/var/lib/nmb-exporter"

struct exporter_conf {
	struct conf *conf;		/* owns the strings below */
	const char *server;
	const char *token;
	const char *ca_file;
	const char *state_dir;		/* sessions.json lives there */
	const char *metrics_listen;	/* NULL: no /metrics listener */
	bool tls_verify;
	struct place *places;
	size_t n_places;
};

/* Loads and checks file; every error logged as FILE:LINE: key. */
int config_load(const char *file, struct exporter_conf *cfg);
void config_free(struct exporter_conf *cfg);
/* The register_place description of §5. */
json_object *config_place_desc(const struct place *p);

/* --- the daemon ------------------------------------------------------ */

struct usbdev {
	char busid[USBIP_BUSID_SIZE];
	struct place *place;
	struct exporter *exp;
	struct list waiters;		/* struct conn.wnode, FIFO */
	struct conn *owner;		/* export in progress: the lock */
	struct loop_timer *timer;	/* status re-check while busy */
	uint64_t ready_ns;		/* when it last became ready */
	bool bind_warned;		/* usbip-host refusal logged */
	uint64_t exports, reexports;	/* metrics.c */
	char last_peer[INET6_ADDRSTRLEN];	/* of the last export */
};

struct exporter {
	struct loop *loop;
	struct exporter_conf cfg;
	struct watch *watch;
	struct loop_fd *watch_lfd;
	struct spawn *modprobe;		/* modprobe usbip-host running */
	struct usbdev *devs;
	size_t n_devs;
	struct metrics_http *metrics;
	bool stopping;
	bool test_no_watch;		/* tests only: USB never gets ready */
	bool state_warned;		/* sessions.json not writable */
};

enum conn_state {
	CONN_HEAD,		/* reading the CONNECT request */
	CONN_USB_REQ,		/* reading OP_REQ_IMPORT */
	CONN_USB_WAIT,		/* queued on the device's FIFO lock */
	CONN_USB_EXPORTED,	/* the kernel owns the socket */
	CONN_TCP_RESOLVE,
	CONN_TCP_CONNECT,
	CONN_TCP_RELAY,
};

struct resolve;

struct conn {
	struct list node;		/* place->conns */
	struct place *place;
	char peer[INET6_ADDRSTRLEN];
	uint16_t peer_port;
	enum conn_state state;
	int fd;
	struct loop_fd *lfd;
	char *buf;			/* request head, HTTP_HEAD_MAX + 1 */
	size_t len;
	struct loop_timer *deadline;	/* PROXY_REQUEST_TIMEOUT_MS */
	/* USB */
	uint8_t req[USBIP_REQ_IMPORT_SIZE];
	size_t req_len;
	struct usbdev *dev;
	struct list wnode;		/* dev->waiters */
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

/* proxy.c */
/*
 * From accept to a complete request (the CONNECT head, then for a USB
 * tunnel its OP_REQ_IMPORT): a head not complete by then is answered
 * 408, a USB request closed, so a client that drips bytes or none
 * (slowloris) does not hold a connection for ever.
 */
#define PROXY_REQUEST_TIMEOUT_MS	10000
int proxy_start(struct place *p);
void proxy_stop(struct place *p);
void conn_free(struct conn *c);
/* Normalises an IP literal (IPv4-mapped -> dotted). -EINVAL if not one. */
int ip_normalise(const char *in, char *out, size_t size);
/* Replaces the allow-list; cuts every connection from a removed IP. */
void proxy_set_allowed(struct place *p, char **ips, size_t n);

/* usb.c */
int usb_start(struct exporter *e);
void usb_stop(struct exporter *e);
struct usbdev *usb_find(struct exporter *e, const char *busid);
/* c has sent a valid OP_REQ_IMPORT for dev: queue it and re-check. */
void usb_enqueue(struct usbdev *dev, struct conn *c);
/* Detaches c from its device (queue or export); with stop, ends it. */
void usb_conn_gone(struct conn *c, bool stop_export);

/* tcp.c */
void tcp_start(struct conn *c, struct tcp_if *t);
void tcp_conn_gone(struct conn *c);

/* metrics.c: the optional /metrics listener (metrics_listen) */
int exp_metrics_start(struct exporter *e);
void exp_metrics_stop(struct exporter *e);
void exp_metrics_refused(struct place *p, int status, const char *body);
void exp_metrics_exported(struct usbdev *d, const char *peer);
void exp_metrics_allowed(struct place *p);

/* hub.c */
int hub_start(struct place *p);
void hub_stop(struct place *p);

/* session.c: hub sessions kept in state_dir across restarts */
void session_load(struct exporter *e);
void session_save(struct exporter *e);

/* status.c: "2 places: 2 registered, 1 reserved" for systemd */
void exporter_status(const struct exporter *e, char *buf, size_t len);
/* READY=1 and the status/watchdog timer (NULL when not under systemd). */
struct loop_timer *exporter_notify_start(struct exporter *e);

#endif /* NMB_EXPORTER_H */

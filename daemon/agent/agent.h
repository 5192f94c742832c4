/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agent.h - nmb-agent internals: configuration, the hub connection,
 * reservations, USB imports, TCP forwards and local device discovery.
 *
 * Everything runs on the one lib/loop. A reservation (reservation.c) is
 * what nmbctl names; while attached it owns one usb_import per USB
 * interface (usb_import.c) and one tcp_forward per TCP interface
 * (tcp_forward.c). Both open their CONNECT tunnels with tunnel.c.
 */
#ifndef NMB_AGENT_H
#define NMB_AGENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonrpc.h"
#include "match.h"
#include "url.h"

struct loop;
struct loop_fd;
struct loop_timer;
struct hub_client;
struct watch;
struct relay;

#define AGENT_SOCKET		"/run/nmb/agent.sock"
#define AGENT_CONFIG		"/etc/nmb/agent.yaml"
#define AGENT_GROUP		"nmb"
#define AGENT_ATTACH_TIMEOUT_S	20
/* How long a request waits for the server connection (connect_wait). */
#define AGENT_CONNECT_WAIT_S	30
/* The longest reserve ticket an nmb server takes (protocol.rst). */
#define AGENT_TICKET_MAX	64

/* --- configuration (config.c) ------------------------------------------ */

struct agent_conf {
	char *server;		/* ws(s)://, http(s):// URL of nmb-server */
	char *token;		/* bearer token, or NULL */
	char *ca_file;
	bool insecure;
	char *socket;		/* control socket path */
	char *group;		/* its group */
	unsigned int connect_wait_s;	/* requests wait for the server */
	char *metrics_listen;	/* NULL: no /metrics listener */
};

int config_load(struct agent_conf *cfg, const char *file, bool explicit);
void config_free(struct agent_conf *cfg);

/* --- the agent --------------------------------------------------------- */

struct agent {
	struct loop *loop;
	struct agent_conf cfg;
	struct url url;		/* of cfg.server (lib/url) */
	struct hub_client *hub;
	struct rpc_chan *chan;		/* hub channel once hello is done */
	char session[80];		/* server's grace token, "" if none */
	char down_why[160];		/* why the last connection failed */
	bool feat_lease, feat_priority, feat_notify, feat_queue, feat_hosts;
	struct reservation *res;
	struct watch *watch;
	struct loop_fd *watch_lfd;
	struct loop_timer *poll;	/* sysfs poll while imports wait */
	struct metrics_http *metrics;
	bool stopping;
};

/* --- the optional /metrics listener (metrics.c) ------------------------ */

int agent_metrics_start(void);
void agent_metrics_stop(void);
/* reattach_ms: from the exporter's answer to the attach; 0 for a first */
void agent_metrics_attached(bool reattach, uint64_t reattach_ms);
void agent_metrics_tunnel_ended(uint64_t to_local, uint64_t to_remote);
/* Bytes of the TCP connections still open (tcp_forward.c). */
void tcp_forward_live_bytes(uint64_t *to_local, uint64_t *to_remote);

extern struct agent agent;

/* --- hub connection (hub.c) -------------------------------------------- */

int hub_start(void);
void hub_stop(void);
/* The hub channel, or NULL while disconnected. */
struct rpc_chan *hub_chan(void);

/* --- requests waiting for the server connection (connwait.c) --------- */

/*
 * While the agent is not connected, keeps req (for connect_wait seconds)
 * and calls method(req, params, NULL) again once it is; true if req was
 * taken (kept, or answered with an error), false if connected already.
 */
bool connwait(struct rpc_req *req, json_object *params, rpc_handler_fn method);
/* The connection is up: runs the waiting requests. */
void connwait_up(void);

/* --- places that vanish from a hub without notifications (vanish.c) -- */

/*
 * A not-my-board hub never says that a reserved place went away: while
 * the agent holds places there, it checks the hub's place list.
 */
int vanish_start(void);
void vanish_stop(void);

/* status.c: "connected, 2 reservations: 1 attached, 1 waiting" */
void agent_status(char *buf, size_t len);
/* READY=1 and the status/watchdog timer (NULL when not under systemd). */
struct loop_timer *agent_notify_start(void);

/* --- place list over HTTP (places.c) ----------------------------------- */

/* places: the "places" array (borrowed), or NULL with a message in err */
typedef void (*places_cb)(void *arg, json_object *places, const char *err);
struct places_req;
/* GET <server>/api/v1/places. Returns NULL if it could not start. */
struct places_req *places_fetch(places_cb cb, void *arg);
void places_cancel(struct places_req *r);
/* The place's data-plane host: its "host", or the server's for loopback. */
const char *places_host(json_object *place);

/* --- tunnels (tunnel.c) ------------------------------------------------ */

/*
 * fd: the connected socket after "200" (the callee's to keep), early:
 * bytes received after the response head. err < 0: fd is -1; msg says
 * what failed.
 */
typedef void (*tunnel_cb)(void *arg, int err, const char *msg, int fd,
			  const char *early, size_t early_len);
struct tunnel;
struct tunnel *tunnel_open(const char *host, unsigned int port,
			   const char *target, tunnel_cb cb, void *arg);
void tunnel_cancel(struct tunnel *t);

/* --- reservations (reservation.c) -------------------------------------- */

struct usb_import;
struct tcp_forward;

struct reservation {
	char *name;
	char *text;			/* the YAML, as given */
	struct match_import *imp;
	char *pin;			/* place_name pinned, or NULL */
	int priority;
	int place_id;			/* 0 while queued */
	char *place_name;
	json_object *place;		/* the place at reserve time */
	int *assign;			/* imported part -> exported part */
	bool attached, lost;
	struct rpc_call *call;		/* reserve in flight at the hub */
	struct rpc_req *req;		/* the nmbctl reserve waiting */
	/* while queued (queue.c) */
	unsigned int position;		/* reserve_queued, 0 if unknown */
	uint64_t queued_ms;		/* when the reserve was sent */
	bool progress;			/* nmbctl wants reserve_progress */
	bool no_wait;			/* nmbctl does not want to queue */
	struct loop_timer *progress_timer;
	struct usb_import **usb;
	size_t nusb;
	struct tcp_forward **tcp;
	size_t ntcp;
	struct loop_timer *auto_return;
	struct attach_wait *waiters;
	/* regaining the place after the server lost it (res_lost) */
	struct loop_timer *regain;
	struct places_req *pr;
	json_object *regain_place;
	bool reattach;
	struct reservation *next;
};

struct reservation *res_find(const char *name);
/* Checks the ports of imp against every reservation except self. */
int res_check_ports(const struct match_import *imp, const char *name,
		    char *err, size_t errlen);
struct reservation *res_new(const char *name, const char *text,
			    struct match_import *imp);
/* Detaches, forgets locally (the hub is told by the caller). */
void res_free(struct reservation *r);
/* Starts the USB imports and TCP listeners. */
int res_attach(struct reservation *r, char *err, size_t errlen);
void res_detach(struct reservation *r);
/* Place accepted: remember it, start auto_return. */
void res_placed(struct reservation *r, int place_id, json_object *place);
/* Returns the reservation at the hub (fire and forget) and frees it. */
void res_return(struct reservation *r, const char *why);
/* Same, answering req (null) once the server has answered. */
void res_return_req(struct reservation *r, const char *why,
		    struct rpc_req *req);
/* Interface status objects of r (agent-api.rst) appended to list. */
void res_status(struct reservation *r, json_object *list);
/* A USB import changed: re-check the attach waiters of r. */
void res_update(struct reservation *r);
/* The hub lost our reservations of place_id / all of them. */
void res_lost(int place_id, const char *why);

struct attach_wait;
/* Waits until every USB interface of r is up, then answers req. */
void res_wait_attach(struct reservation *r, struct rpc_req *req,
		     unsigned int timeout_s);

/* --- the wait in the server's queue (queue.c) ------------------------ */

/* The reserve of r was sent: waiting starts (progress after 1 s). */
void queue_start(struct reservation *r);
/* The server says r waits at position (reserve_queued). */
void queue_position(struct reservation *r, unsigned int position);
/* r got its place, or goes: no more progress. */
void queue_end(struct reservation *r);
/* "position" and "waiting_s" of r for list() (null unless queued). */
void queue_list_fields(struct reservation *r, json_object *o);

/* --- USB import (usb_import.c) ----------------------------------------- */

struct usb_import *usb_import_new(struct reservation *r, const char *part,
				  const char *iface, unsigned int port_num,
				  const char *host, unsigned int port,
				  const char *busid);
void usb_import_free(struct usb_import *u);
bool usb_import_up(struct usb_import *u);
/* {"type": "USB", "port", "up", "busid", "nodes", ...} fields added to o */
void usb_import_status(struct usb_import *u, json_object *o);
const char *usb_import_iface(const struct usb_import *u);
const char *usb_import_part(const struct usb_import *u);
/* Last error for the timeout message, "" if none. */
const char *usb_import_error(const struct usb_import *u);

/* --- TCP forward (tcp_forward.c) --------------------------------------- */

int tcp_forward_new(struct reservation *r, const char *part,
		    const char *iface, unsigned int local_port,
		    const char *host, unsigned int port, const char *target,
		    struct tcp_forward **out, char *err, size_t errlen);
void tcp_forward_free(struct tcp_forward *f);
void tcp_forward_status(struct tcp_forward *f, json_object *o);

/* --- local devices (devices.c) ----------------------------------------- */

int devices_start(void);
void devices_stop(void);
/* vhci-hcd is loaded (its platform device exists). */
bool devices_vhci_loaded(void);
/*
 * Runs 'modprobe vhci-hcd' on the loop; done(arg, 0 or -ENODEV) follows
 * when it has ended. NULL if modprobe cannot start (logged).
 * devices_vhci_cancel() forgets a load: done is never called.
 */
struct vhci_load;
struct vhci_load *devices_vhci_load(void (*done)(void *arg, int err),
				    void *arg);
void devices_vhci_cancel(struct vhci_load *l);
/*
 * Local busid of the device on vhci port (global numbering), from the
 * controller's root hubs in sysfs. Returns 0 or -errno.
 */
int devices_vhci_busid(int port, char *busid, size_t size);
/*
 * The device at busid: configured and every interface settled (bound,
 * disks scanned). nodes gets /dev paths (array of strings).
 */
bool devices_scan(const char *busid, json_object *nodes);
/* Calls res_update() on every reservation waiting for a device. */
void devices_changed(void);
/* Keep polling sysfs while something waits (without nmb_watch: always). */
void devices_poll(bool on);

/* --- control socket (control.c) ---------------------------------------- */

int control_start(void);
void control_stop(void);

#endif /* NMB_AGENT_H */

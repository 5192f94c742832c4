/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exporter.h - nmb-exporter's context: one per process, made by main.c
 * and passed to every module (each place points back to it). Each edge
 * has its own header: proxy.h (CONNECT proxy), usb.h (usbip-host),
 * tcp.h (TCP tunnels), server_link.h (the hub), metrics.h, session.h,
 * status.h, virtual.h; config.h and place.h hold the configuration.
 */
#ifndef NMB_EXPORTER_H
#define NMB_EXPORTER_H

#include <stdbool.h>

#include "config.h"

struct hub_lws;
struct loop;
struct loop_fd;
struct metrics_http;
struct place;
struct spawn;
struct token_source;
struct watch;

struct exporter {
	struct loop *loop;
	const char *config_file;	/* -c FILE, read again by a reload */
	const char *server_override;	/* --server URL, or NULL */
	const char *token_cmd_override;	/* --token-cmd CMD, or NULL */
	const char *token_store_override;	/* --token-store PATH */
	struct token_source *tokens;	/* get_id_token (server_link.c) */
	struct exporter_conf cfg;
	struct hub_lws *hub_lws;	/* the places' hub clients share it */
	struct watch *watch;		/* usb.c: NULL until a USB place */
	struct loop_fd *watch_lfd;
	struct spawn *modprobe;		/* usb.c: modprobe usbip-host running */
	struct metrics_http *metrics;
	bool stopping;
	bool verbose;			/* -v: debug whatever log_level says */
	bool test_no_watch;		/* tests only: USB never gets ready */
	bool state_warned;		/* sessions.json not writable */
	/* virtual.c: a board's power changed (server_link_part_state) */
	void (*part_changed)(struct place *p, unsigned int part);
};

/*
 * SIGHUP (reload.c): reads config_file again. Places added start, places
 * removed stop (tunnels closed, USB exports stopped, the hub connection
 * closed as when the exporter leaves), changed places restart,
 * unchanged ones are left alone. A file with errors changes nothing.
 * 0 or a negative errno.
 */
int exporter_reload(struct exporter *e);

/* Starts or stops one place's edges: virtual board, proxy, USB, hub. */
int exporter_place_start(struct exporter *e, struct place *p);
void exporter_place_stop(struct exporter *e, struct place *p);

#endif /* NMB_EXPORTER_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agent.h - the nmb-agent context: one struct agent, made in main.c and
 * passed to every module. Each module has its own header for its
 * functions; this one only holds what the context is made of.
 *
 * Everything runs on the one lib/loop. A reservation (reservation.h) is
 * what nmbctl names; while attached it owns one usb_import per USB
 * interface and one tcp_forward per TCP interface (attach.h).
 */
#ifndef NMB_AGENT_H
#define NMB_AGENT_H

#include <stdbool.h>

#include "config.h"
#include "list.h"
#include "url.h"

struct loop;
struct loop_timer;
struct hub_client;
struct rpc_chan;
struct reservation;
struct devices;
struct control;
struct connwait;
struct vanish;
struct agent_metrics;
struct token_source;
struct login;

/* What the server said it has in its answer to hello (protocol.rst). */
struct server_features {
	bool lease, priority, notify, queue, hosts;
};

struct agent {
	struct loop *loop;
	/* where the settings come from, for agent_reload() */
	const char *conf_file;
	bool conf_explicit;
	const char *cli_server, *cli_socket;	/* overrides, or NULL */
	const char *cli_token_cmd, *cli_token_store;
	bool verbose;				/* -v: debug whatever the file says */
	struct agent_conf cfg;
	struct url url;			/* of cfg.server (lib/url) */
	/* the server connection (server_link.c) */
	struct hub_lws *hub_lws;	/* lib/hub_client's lws context */
	struct hub_client *hub;
	struct rpc_chan *chan;		/* hub channel once hello is done */
	char session[80];		/* server's grace token, "" if none */
	char down_why[160];		/* why the last connection failed */
	bool down_logged;		/* the first failure was a warning */
	struct server_features feat;
	struct token_source *tokens;	/* get_id_token (lib/token_source) */
	struct login *login;		/* login.c: nmbctl login running */
	struct list_head res;		/* reservation.c, oldest first */
	struct devices *devices;	/* devices.c */
	struct control *control;	/* control.c */
	struct list_head waiting;	/* connwait.c, oldest first */
	struct vanish *vanish;		/* vanish.c */
	struct agent_metrics *metrics;	/* metrics.c */
	struct ssl_ctx_st *relay_tls;	/* tunnel.c: made on first use */
	struct list_head tls_pumps;	/* tunnel.c: user-space TLS */
	/* stopping: the returns get a moment to reach the server (main.c) */
	bool stopping;
	struct loop_timer *stop_timer;
	unsigned int stop_waited_ms;
};

/*
 * SIGHUP (reload.c): reads the configuration file again and applies what
 * can change without returning reservations; logs one line for each
 * setting that needs a restart. A file that does not parse keeps the
 * old settings. Returns 0 or -errno.
 */
int agent_reload(struct agent *a);

#endif /* NMB_AGENT_H */

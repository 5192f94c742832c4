// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - nmb-agent: options, configuration, the control socket, device
 * discovery and the server connection on one loop; on SIGTERM/SIGINT
 * every reservation is detached and returned before the agent exits.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "control.h"
#include "devices.h"
#include "attach.h"
#include "jsonrpc.h"
#include "hub_client.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "notify.h"
#include "reservation.h"
#include "server_link.h"
#include "status.h"
#include "login.h"
#include "token_source.h"
#include "token_store.h"
#include "tunnel.h"
#include "version.h"

#define STOP_GRACE_MS	3000

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nmb-agent [-c FILE] [--server URL] [--socket PATH] [-v] [--check]\n"
		"                 [--token-cmd CMD] [--token-store PATH]\n"
		"Reserves and imports places of an nmb (or not-my-board) server\n"
		"for nmbctl.\n"
		"  -c, --config FILE   configuration (default " AGENT_CONFIG ")\n"
		"  -s, --server URL    server URL, overrides 'server' in FILE\n"
		"  -S, --socket PATH   control socket (default " AGENT_SOCKET ")\n"
		"      --token-cmd CMD OpenID Connect: the hub's get_id_token runs\n"
		"                      /bin/sh -c CMD ($issuer, $client_id replaced)\n"
		"      --token-store PATH  tokens of nmbctl login (default\n"
		"                      " AGENT_TOKEN_STORE ")\n"
		"  -v, --verbose       log debug messages\n"
		"      --check         check the configuration, start nothing\n"
		"      --version       print the version\n"
		"  -h, --help          this text\n");
}

static void stop_now(struct loop_timer *t, void *arg)
{
	struct agent *a = arg;

	(void)t;
	loop_stop(a->loop);
}

/* Detach and return everything, give the returns a moment, then stop. */
static void begin_stop(struct agent *a)
{
	if (a->stopping)
		return;
	a->stopping = true;
	while (!list_empty(&a->res))
		res_return(list_first_entry(&a->res, struct reservation, node),
			   "the agent stops");
	if (!a->chan || !rpc_chan_pending(a->chan))
		return loop_stop(a->loop);
	a->stop_timer = loop_timer_new(a->loop, stop_now, a);
	if (!a->stop_timer)
		return loop_stop(a->loop);
	loop_timer_set(a->stop_timer, 50);
}

static void on_signal(struct loop_signal *s, int signum, void *arg)
{
	struct agent *a = arg;

	(void)s;
	if (signum == SIGHUP) {
		agent_reload(a);
		return;
	}
	log_notice("%s: detaching and returning every reservation, then stopping",
		   strsignal(signum));
	begin_stop(a);
}

static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define N_SIGNALS (sizeof(handled_signals) / sizeof(handled_signals[0]))

static void stop_poll(struct loop_timer *t, void *arg)
{
	struct agent *a = arg;

	a->stop_waited_ms += 50;
	if (!a->chan || !rpc_chan_pending(a->chan) ||
	    a->stop_waited_ms >= STOP_GRACE_MS)
		return loop_stop(a->loop);
	loop_timer_set(t, 50);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "server", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "check", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "token-cmd", required_argument, NULL, 'T' },
		{ "token-store", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = AGENT_CONFIG, *server = NULL, *sock = NULL, *why;
	const char *token_cmd = NULL, *store = NULL;
	struct loop_signal *sigs[N_SIGNALS] = { NULL };
	struct loop_timer *notify_timer = NULL;
	bool explicit = false, verbose = false, check = false;
	struct agent agent = { 0 }, *a = &agent;
	int opt, ret = 1;
	size_t i;

	nmb_log_init("nmb-agent", LOG_INFO);
	while ((opt = getopt_long(argc, argv, "c:s:S:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			explicit = true;
			break;
		case 's':
			server = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'C':
			check = true;
			break;
		case 'V':
			nmb_print_version("nmb-agent");
			return 0;
		case 'T':
			token_cmd = optarg;
			break;
		case 'K':
			store = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	INIT_LIST_HEAD(&a->waiting);
	INIT_LIST_HEAD(&a->res);
	INIT_LIST_HEAD(&a->tls_pumps);
	a->conf_file = file;
	a->conf_explicit = explicit || check;
	a->cli_server = server;
	a->cli_socket = sock;
	a->cli_token_cmd = token_cmd;
	a->cli_token_store = store;
	a->verbose = verbose;
	if (config_load(&a->cfg, file, a->conf_explicit))
		goto out_cfg;
	if (verbose)
		nmb_log_set_priority(LOG_DEBUG);
	else if (a->cfg.log_level >= 0)
		nmb_log_set_priority(a->cfg.log_level);
	if (server) {
		free(a->cfg.server);
		a->cfg.server = strdup(server);
	}
	if (sock) {
		free(a->cfg.socket);
		a->cfg.socket = strdup(sock);
	}
	if (token_cmd) {
		free(a->cfg.token_cmd);
		a->cfg.token_cmd = strdup(token_cmd);
	}
	if (store) {
		free(a->cfg.token_store);
		a->cfg.token_store = strdup(store);
	}
	if (!a->cfg.server) {
		log_err("no server URL: set 'server' in %s or pass --server URL",
			file);
		goto out_cfg;
	}
	if (url_parse(a->cfg.server, &a->url, &why)) {
		log_err("server URL '%.200s': %s", a->cfg.server, why);
		goto out_cfg;
	}
	if (check) {
		printf("%s: configuration OK, server %s\n", file,
		       a->cfg.server);
		ret = 0;
		goto out_cfg;
	}
	if (!strcmp(a->cfg.socket, AGENT_SOCKET))
		mkdir("/run/nmb", 0755);

	signal(SIGPIPE, SIG_IGN);
	a->loop = loop_new();
	if (!a->loop) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		goto out_loop;
	}
	for (i = 0; i < N_SIGNALS; i++) {
		sigs[i] = loop_signal_new(a->loop, handled_signals[i],
					  on_signal, a);
		if (!sigs[i]) {
			log_err("cannot catch %s: %s",
				strsignal(handled_signals[i]), strerror(errno));
			goto out_loop;
		}
	}
	if (agent_metrics_start(a))
		goto out_metrics;
	if (devices_start(a->loop, attach_update_all, a, &a->devices))
		goto out_devices;
	if (control_start(a))
		goto out_control;
	/* the lws context the hub link, logins and token refreshes share */
	if (hub_lws_new(a->loop, a->cfg.ca_file, &a->hub_lws))
		goto out_lws;
	if (agent_tokens_start(a))
		goto out_tokens;
	if (server_link_start(a))
		goto out_link;
	if (vanish_start(a))
		goto out_link;

	log_notice("serving %s for server %s", a->cfg.socket,
		   a->cfg.server);
	notify_timer = agent_notify_start(a);
	ret = loop_run(a->loop) ? 1 : 0;
	if (a->stop_timer && list_empty(&a->res)) {
		/* Let the return_reservation calls reach the server. */
		loop_timer_free(a->stop_timer);
		a->stop_timer = loop_timer_new(a->loop, stop_poll, a);
		if (a->stop_timer) {
			loop_timer_set(a->stop_timer, 0);
			loop_run(a->loop);
		}
	}
	loop_timer_free(a->stop_timer);
	loop_timer_free(notify_timer);
	notify_stopping();
	while (!list_empty(&a->res))
		res_return(list_first_entry(&a->res, struct reservation, node),
			   "the agent stops");
	tunnel_stop_all(a);
	vanish_stop(a);
out_link:
	login_stop(a);
	server_link_stop(a);
out_tokens:
	token_source_free(a->tokens);
out_lws:
	hub_lws_free(a->hub_lws);
out_control:
	control_stop(a);
out_devices:
	devices_stop(a->devices);
out_metrics:
	agent_metrics_stop(a);
out_loop:
	for (i = N_SIGNALS; i--;)
		loop_signal_free(sigs[i]);
	if (a->loop)
		loop_free(a->loop);
out_cfg:
	config_free(&a->cfg);
	return ret;
}

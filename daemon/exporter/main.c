// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - nmb-exporter: parse options, load the places, set up USB
 * watching, the CONNECT proxies and the hub connections, run the loop,
 * tear down in reverse order on SIGTERM/SIGINT; SIGHUP reloads the
 * places (reload.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dial_out.h"
#include "exporter.h"
#include "hub_client.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "notify.h"
#include "proxy.h"
#include "server_link.h"
#include "token_source.h"
#include "token_store.h"
#include "session.h"
#include "status.h"
#include "url.h"
#include "usb.h"
#include "version.h"
#include "virtual.h"

#define DEFAULT_CONFIG	"/etc/nmb/exporter.yaml"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nmb-exporter [-c FILE] [--server URL] [-v] [--check]\n"
		"Exports the places of FILE (default " DEFAULT_CONFIG ") to an\n"
		"nmb or not-my-board hub.\n"
		"  -c, --config FILE   configuration file\n"
		"  -s, --server URL    hub URL, overrides 'server' in FILE\n"
		"      --token-cmd CMD OpenID Connect: the hub's get_id_token runs\n"
		"                      /bin/sh -c CMD ($issuer, $client_id replaced)\n"
		"      --token-store PATH  tokens of nmbctl login (default\n"
		"                      STATE_DIR/" TOKEN_STORE_NAME ")\n"
		"  -v, --verbose       log debug messages\n"
		"      --check         check the configuration, start nothing\n"
		"      --version       print the version\n"
		"  -h, --help          this text\n");
}

/* SIGHUP: read the configuration again (reload.c). */
static void reload(struct exporter *e)
{
	exporter_reload(e);
}

static void on_signal(struct loop_signal *s, int signum, void *arg)
{
	struct exporter *e = arg;

	(void)s;
	if (signum == SIGHUP) {
		reload(e);
		return;
	}
	log_notice("%s: stopping", strsignal(signum));
	loop_stop(e->loop);
}

static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define N_SIGNALS (sizeof(handled_signals) / sizeof(handled_signals[0]))

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "server", required_argument, NULL, 's' },
		{ "token-cmd", required_argument, NULL, 'K' },
		{ "token-store", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "check", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		/* tests only: USB imports are parsed, never served */
		{ "test-without-nmb-watch", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = DEFAULT_CONFIG, *server = NULL, *why;
	const char *token_cmd = NULL, *store = NULL;
	struct exporter e = { 0 };
	struct loop_signal *sigs[N_SIGNALS] = { NULL };
	struct loop_timer *notify_timer = NULL;
	bool verbose = false, check = false;
	struct url url;
	size_t i, started = 0;
	int opt, ret = 1;

	nmb_log_init("nmb-exporter", LOG_INFO);
	while ((opt = getopt_long(argc, argv, "c:s:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 's':
			server = optarg;
			break;
		case 'K':
			token_cmd = optarg;
			break;
		case 'S':
			store = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'C':
			check = true;
			break;
		case 'T':
			e.test_no_watch = true;
			break;
		case 'V':
			nmb_print_version("nmb-exporter");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	e.config_file = file;
	e.server_override = server;
	e.part_changed = server_link_part_state;
	e.token_cmd_override = token_cmd;
	e.token_store_override = store;
	if (config_load(file, &e.cfg)) {
		log_err("%s: nothing started", file);
		return 1;
	}
	e.verbose = verbose;
	if (verbose)
		nmb_log_set_priority(LOG_DEBUG);
	if (server)
		e.cfg.server = server;
	if (token_cmd)
		e.cfg.token_cmd = token_cmd;
	if (store)
		e.cfg.token_store = store;
	if (!e.cfg.server) {
		log_err("%s: no hub URL: set 'server' or pass --server URL",
			file);
		goto out_cfg;
	}
	if (server && url_parse(server, &url, &why)) {
		log_err("--server '%.200s': %s", server, why);
		goto out_cfg;
	}
	if (check) {
		printf("%s: configuration OK, %zu place(s)\n", file,
		       e.cfg.n_places);
		ret = 0;
		goto out_cfg;
	}

	signal(SIGPIPE, SIG_IGN);
	/* each tunnel takes up to 6 fds (2 sockets, 2 pipes) */
	{
		struct rlimit rl;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	e.loop = loop_new();
	if (!e.loop) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		goto out_loop;
	}
	for (i = 0; i < N_SIGNALS; i++) {
		sigs[i] = loop_signal_new(e.loop, handled_signals[i],
					  on_signal, &e);
		if (!sigs[i]) {
			log_err("cannot catch %s: %s",
				strsignal(handled_signals[i]), strerror(errno));
			goto out_loop;
		}
	}

	for (i = 0; i < e.cfg.n_places; i++) {
		e.cfg.places[i]->exp = &e;
		dial_out_start(e.cfg.places[i]);
	}
	session_load(&e);
	/* nmb_watch is needed only when there is a USB interface to watch. */
	if (config_n_usb(&e.cfg) && usb_start(&e))
		goto out_usb;
	/* before the hub: the description carries the boards' ports */
	if (virtual_start(&e))
		goto out_virtual;
	for (started = 0; started < e.cfg.n_places; started++)
		if (proxy_start(e.cfg.places[started]))
			goto out_proxy;
	if (hub_lws_new(e.loop, e.cfg.ca_file, &e.hub_lws) ||
	    server_link_tokens(&e))
		goto out_hub;
	for (i = 0; i < e.cfg.n_places; i++)
		if (server_link_start(e.cfg.places[i]))
			goto out_hub;
	if (exp_metrics_start(&e))
		goto out_hub;

	log_notice("exporting %zu place(s) to %s", e.cfg.n_places,
		   e.cfg.server);
	notify_init();
	notify_timer = exporter_notify_start(&e);
	ret = loop_run(e.loop) ? 1 : 0;
	notify_stopping();
	loop_timer_free(notify_timer);
	started = e.cfg.n_places;	/* a reload may have changed them */

out_hub:
	exp_metrics_stop(&e);
	for (i = 0; i < e.cfg.n_places; i++) {
		server_link_stop(e.cfg.places[i]);
		dial_out_stop(e.cfg.places[i]);
	}
	token_source_free(e.tokens);
	hub_lws_free(e.hub_lws);
out_proxy:
	/* USB first: exports are stopped before their records go. */
	usb_stop(&e);
	while (started--)
		proxy_stop(e.cfg.places[started]);
	for (i = 0; i < e.cfg.n_places; i++)
		proxy_set_allowed(e.cfg.places[i], NULL, 0, NULL);
	virtual_stop(&e);
	goto out_loop;
out_virtual:
	virtual_stop(&e);
out_usb:
	usb_stop(&e);
out_loop:
	for (i = N_SIGNALS; i--;)
		loop_signal_free(sigs[i]);
	if (e.loop)
		loop_free(e.loop);
out_cfg:
	config_free(&e.cfg);
	return ret;
}

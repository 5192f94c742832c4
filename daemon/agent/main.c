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
#include "jsonrpc.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "version.h"

#define STOP_GRACE_MS	3000

struct agent agent;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nmb-agent [-c FILE] [--server URL] [--socket PATH] [-v] [--check]\n"
		"Reserves and imports places of an nmb (or not-my-board) server\n"
		"for nmbctl.\n"
		"  -c, --config FILE   configuration (default " AGENT_CONFIG ")\n"
		"  -s, --server URL    server URL, overrides 'server' in FILE\n"
		"  -S, --socket PATH   control socket (default " AGENT_SOCKET ")\n"
		"  -v, --verbose       log debug messages\n"
		"      --check         check the configuration, start nothing\n"
		"      --version       print the version\n"
		"  -h, --help          this text\n");
}

static struct loop_timer *stop_timer;

static void stop_now(struct loop_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	loop_stop(agent.loop);
}

/* Detach and return everything, give the returns a moment, then stop. */
static void begin_stop(void)
{
	struct rpc_chan *ch = hub_chan();

	if (agent.stopping)
		return;
	agent.stopping = true;
	while (agent.res)
		res_return(agent.res, "the agent stops");
	if (!ch || !rpc_chan_pending(ch))
		return loop_stop(agent.loop);
	stop_timer = loop_timer_new(agent.loop, stop_now, NULL);
	if (!stop_timer)
		return loop_stop(agent.loop);
	loop_timer_set(stop_timer, 50);
}

/* SIGHUP; agent_reload() once the settings can be reloaded. */
static void reload(void)
{
	log_notice("SIGHUP: nothing to reload; restart the agent to apply a new configuration (this returns every reservation)");
}

static void on_signal(struct loop_signal *s, int signum, void *arg)
{
	(void)s;
	(void)arg;
	if (signum == SIGHUP) {
		reload();
		return;
	}
	log_notice("%s: detaching and returning every reservation, then stopping",
		   strsignal(signum));
	begin_stop();
}

static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define N_SIGNALS (sizeof(handled_signals) / sizeof(handled_signals[0]))

static void stop_poll(struct loop_timer *t, void *arg)
{
	static unsigned int waited;
	struct rpc_chan *ch = hub_chan();

	(void)arg;
	waited += 50;
	if (!ch || !rpc_chan_pending(ch) || waited >= STOP_GRACE_MS)
		return loop_stop(agent.loop);
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
		{ NULL, 0, NULL, 0 },
	};
	const char *file = AGENT_CONFIG, *server = NULL, *sock = NULL, *why;
	struct loop_signal *sigs[N_SIGNALS] = { NULL };
	struct loop_timer *notify_timer = NULL;
	bool explicit = false, verbose = false, check = false;
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
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (config_load(&agent.cfg, file, explicit || check))
		goto out_cfg;
	if (verbose)
		nmb_log_set_priority(LOG_DEBUG);
	if (server) {
		free(agent.cfg.server);
		agent.cfg.server = strdup(server);
	}
	if (sock) {
		free(agent.cfg.socket);
		agent.cfg.socket = strdup(sock);
	}
	if (!agent.cfg.server) {
		log_err("no server URL: set 'server' in %s or pass --server URL",
			file);
		goto out_cfg;
	}
	if (url_parse(agent.cfg.server, &agent.url, &why)) {
		log_err("server URL '%.200s': %s", agent.cfg.server, why);
		goto out_cfg;
	}
	if (check) {
		printf("%s: configuration OK, server %s\n", file,
		       agent.cfg.server);
		ret = 0;
		goto out_cfg;
	}
	if (!strcmp(agent.cfg.socket, AGENT_SOCKET))
		mkdir("/run/nmb", 0755);

	signal(SIGPIPE, SIG_IGN);
	agent.loop = loop_new();
	if (!agent.loop) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		goto out_loop;
	}
	for (i = 0; i < N_SIGNALS; i++) {
		sigs[i] = loop_signal_new(agent.loop, handled_signals[i],
					  on_signal, NULL);
		if (!sigs[i]) {
			log_err("cannot catch %s: %s",
				strsignal(handled_signals[i]), strerror(errno));
			goto out_loop;
		}
	}
	if (devices_start())
		goto out_devices;
	if (control_start())
		goto out_control;
	if (hub_start())
		goto out_hub;
	if (vanish_start())
		goto out_vanish;
	if (agent_metrics_start())
		goto out_vanish;

	log_notice("serving %s for server %s", agent.cfg.socket,
		   agent.cfg.server);
	notify_timer = agent_notify_start();
	ret = loop_run(agent.loop) ? 1 : 0;
	if (stop_timer && !agent.res) {
		/* Let the return_reservation calls reach the server. */
		loop_timer_free(stop_timer);
		stop_timer = loop_timer_new(agent.loop, stop_poll, NULL);
		if (stop_timer) {
			loop_timer_set(stop_timer, 0);
			loop_run(agent.loop);
		}
	}
	loop_timer_free(stop_timer);
	loop_timer_free(notify_timer);
	notify_stopping();
	while (agent.res)
		res_return(agent.res, "the agent stops");

out_vanish:
	agent_metrics_stop();
	vanish_stop();
out_hub:
	hub_stop();
out_control:
	control_stop();
out_devices:
	devices_stop();
out_loop:
	for (i = N_SIGNALS; i--;)
		loop_signal_free(sigs[i]);
	if (agent.loop)
		loop_free(agent.loop);
out_cfg:
	config_free(&agent.cfg);
	return ret;
}

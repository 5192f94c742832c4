// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - nmb-server: options, configuration, the state file, then the
 * event loop (lib/loop, libwebsockets on it) until SIGTERM/SIGINT/SIGUSR1
 * (see signalled()).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "clock.h"
#include "config.h"
#include "idp.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "notify.h"
#include "relay_srv.h"
#include "scheduler.h"
#include "server.h"
#include "state.h"
#include "timer.h"
#include "version.h"

#define DEFAULT_CONFIG	"/etc/nmb/server.yaml"
#define SHUTDOWN_MS	5000

static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
#define N_SIGNALS (sizeof(handled_signals) / sizeof(handled_signals[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nmb-server [-c FILE] [--listen ADDR:PORT]... [--relay-listen ADDR:PORT]\n"
		"                  [-v] [--check]\n"
		"  -c, --config FILE    configuration (default %s, which\n"
		"                       may be absent: then auth is off)\n"
		"  -l, --listen ADDR:PORT  listen there (repeatable; default\n"
		"                       [::]:2092, dual-stack); overrides the file\n"
		"      --relay-listen ADDR:PORT|off  the relay of dial-out places\n"
		"                       (default: the first listener's port + 1;\n"
		"                       places get the next 64 ports)\n"
		"  -v, --verbose        log debug messages\n"
		"      --check          check the configuration, start nothing\n"
		"      --version        print the version\n"
		"SIGHUP reloads limits and windows. SIGTERM returns every\n"
		"reservation and exits, or, with state_file and grace, saves\n"
		"them for the next start; SIGUSR1 always returns them.\n"
		"  -h, --help           this text\n", DEFAULT_CONFIG);
}

static void defaults(struct srv_config *cfg)
{
	cfg->grace_s = 30;
	cfg->uniqueness_tolerance = 0.01;
	cfg->max_message = 1 << 20;
	cfg->max_running = 1024;
	cfg->ping_s = 20;
}

/* SIGHUP: limits and windows change now; sockets, TLS, tokens at restart. */
static void reload(struct server *srv)
{
	const char *config_path = srv->config_path;
	struct srv_config cfg = { 0 };

	notify_reloading();
	defaults(&cfg);
	if (srv_config_load(&cfg, config_path, srv->config_explicit)) {
		log_err("%s: not reloaded; the running configuration stays",
			config_path);
	} else {
		srv->cfg->grace_s = cfg.grace_s;
		srv->cfg->lease_default_s = cfg.lease_default_s;
		srv->cfg->lease_max_s = cfg.lease_max_s;
		srv->cfg->uniqueness_tolerance = cfg.uniqueness_tolerance;
		srv->cfg->max_message = cfg.max_message;
		srv->cfg->max_running = cfg.max_running;
		log_info("%s reloaded; listen, tls, tokens, auth, ping_interval, state_file and relay take effect at restart",
			 config_path);
	}
	srv_config_free(&cfg);
	notify_ready(NULL);
}

/* "3 places registered, 1 reserved, 0 waiting" for systemctl status */
static void server_status(struct server *srv, char *buf, size_t len)
{
	const struct sched *sc = &srv->sched;

	snprintf(buf, len, "%u place%s registered, %u reserved, %u waiting",
		 sc->nplaces, sc->nplaces == 1 ? "" : "s", sc->nreserved,
		 sc->nqueue);
}

/* Status and watchdog from the service loop, every notify_tick_ms(). */
static void notify_timer(struct server *srv, void *data)
{
	char status[128];

	(void)data;
	server_status(srv, status, sizeof(status));
	notify_tick(status);
	srv_timer_set(srv->notify_timer, notify_tick_ms() * 1000);
}

static void notify_start(struct server *srv)
{
	char status[128];

	notify_init();
	server_status(srv, status, sizeof(status));
	notify_ready(status);
	if (notify_tick_ms())
		srv_timer_set(srv->notify_timer, notify_tick_ms() * 1000);
}

static void check_stopped(struct server *srv, void *data)
{
	unsigned int pending = srv->sched.acks_pending;

	(void)data;
	if (pending && srv_now_us() < srv->stop_deadline) {
		srv_timer_set(srv->stop_timer, 20000);
		return;
	}
	if (pending)
		log_warn("%u exporter(s) did not acknowledge set_allowed_ips([]) within %d ms",
			 pending, SHUTDOWN_MS);
	srv_net_stop(srv);
}

/*
 * In the loop, after a signal: reload, or stop. With a state file (and
 * grace), SIGTERM/SIGINT keep every reservation for the next start: the
 * exporters keep their allow-lists and the peers resume their sessions.
 * Otherwise, and always on SIGUSR1, every reservation is returned first.
 */
static void signalled(struct server *srv, int sig)
{
	if (sig == SIGHUP)
		return reload(srv);
	if (srv->stop_deadline)
		return;
	notify_stopping();
	if (sig != SIGUSR1 && srv_state_keeps(srv)) {
		log_info("signal %d: keeping %u reservation(s) for the next start and stopping; peers resume them within %u s of it",
			 sig, srv->sched.nreserved,
			 srv->cfg->grace_s);
		srv->sched.stopping = true;
		srv_state_stop(srv, true);
		srv->stop_deadline = srv_now_us();
		srv_net_stop(srv);
		return;
	}
	log_info("signal %d: returning %u reservation(s) and stopping",
		 sig, srv->sched.nreserved);
	srv_state_stop(srv, false);
	sched_shutdown(&srv->sched);
	srv->stop_deadline = srv_now_us() + SHUTDOWN_MS * 1000ull;
	check_stopped(srv, NULL);
}

/* The one signal path: lib/loop calls this inside the loop. */
static void on_signal(struct loop_signal *ls, int sig, void *arg)
{
	(void)ls;
	signalled(arg, sig);
}

static void free_signals(struct loop_signal **sigs)
{
	for (size_t i = N_SIGNALS; i--;) {
		loop_signal_free(sigs[i]);
		sigs[i] = NULL;
	}
}

static int catch_signals(struct server *srv, struct loop_signal **sigs)
{
	for (size_t i = 0; i < N_SIGNALS; i++) {
		sigs[i] = loop_signal_new(srv->loop, handled_signals[i],
					  on_signal, srv);
		if (!sigs[i]) {
			log_err("cannot catch %s: %s",
				strsignal(handled_signals[i]), strerror(errno));
			free_signals(sigs);
			return -errno;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "relay-listen", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "check", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct srv_listen cli_listen[SRV_MAX_LISTEN] = { 0 };
	const char *cli_relay = NULL;
	const char *config = DEFAULT_CONFIG;
	struct srv_config cfg = { 0 };
	struct server srv = { 0 };
	unsigned int ncli = 0;
	bool explicit = false, check = false;
	struct loop_signal *sigs[N_SIGNALS] = { NULL };
	struct loop *loop;
	int c, ret;

	nmb_log_init("nmb-server", LOG_INFO);
	while ((c = getopt_long(argc, argv, "c:l:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			/* The unit passes the default path: it may be absent. */
			explicit = strcmp(optarg, DEFAULT_CONFIG) != 0;
			break;
		case 'l':
			if (ncli == SRV_MAX_LISTEN ||
			    srv_parse_listen(&cli_listen[ncli], optarg)) {
				fprintf(stderr, "nmb-server: --listen %s: expected ADDR:PORT like [::]:2092 (at most %d)\n",
					optarg, SRV_MAX_LISTEN);
				return 2;
			}
			ncli++;
			break;
		case 'R':
			cli_relay = optarg;
			break;
		case 'v':
			nmb_log_set_priority(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'C':
			check = true;
			break;
		case 'V':
			nmb_print_version("nmb-server");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	defaults(&cfg);
	if (srv_config_load(&cfg, config, explicit || check)) {
		for (unsigned int i = 0; i < ncli; i++)
			free(cli_listen[i].addr);
		srv_config_free(&cfg);
		return 1;
	}
	if (cli_relay && strcmp(cli_relay, "off") != 0 &&
	    srv_parse_listen(&cfg.relay.listen, cli_relay)) {
		fprintf(stderr, "nmb-server: --relay-listen %s: expected ADDR:PORT like [::]:2093, or off\n",
			cli_relay);
		for (unsigned int i = 0; i < ncli; i++)
			free(cli_listen[i].addr);
		srv_config_free(&cfg);
		return 2;
	}
	if (cli_relay)
		cfg.relay.off = !strcmp(cli_relay, "off");
	if (check) {
		printf("%s: configuration OK, %u listener(s), %u token(s), auth %s\n",
		       config, ncli ? ncli : cfg.nlisten ? cfg.nlisten : 1,
		       cfg.ntokens, cfg.auth ? "on" : "off");
		for (unsigned int i = 0; i < ncli; i++)
			free(cli_listen[i].addr);
		srv_config_free(&cfg);
		return 0;
	}
	if (ncli) {
		for (unsigned int i = 0; i < SRV_MAX_LISTEN; i++) {
			free(cfg.listen[i].addr);
			cfg.listen[i] = cli_listen[i];
		}
		cfg.nlisten = ncli;
	}
	if (!cfg.nlisten) {
		cfg.listen[0].port = 2092;
		cfg.nlisten = 1;
	}
	for (unsigned int i = 0; i < cfg.nlisten; i++)
		if (!cfg.tls_cert)
			cfg.listen[i].plain = true;
	if (!cfg.have_file)
		log_warn("no %s: serving plain HTTP with authentication off; anyone who can connect may export and reserve",
			 config);
	else if (!cfg.ntokens && !cfg.auth)
		log_warn("%s: no tokens configured: authentication is off",
			 config);
	if (!cfg.tls_cert && cfg.ntokens)
		log_warn("%s: tokens configured without tls: they travel in clear text",
			 config);
	srv.config_path = config;
	srv.config_explicit = explicit;
	signal(SIGPIPE, SIG_IGN);
	loop = loop_new();
	if (!loop) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		srv_config_free(&cfg);
		return 1;
	}
	srv.loop = loop;
	if (srv_core_init(&srv, &cfg)) {
		log_err("out of memory");
		loop_free(loop);
		srv_config_free(&cfg);
		return 1;
	}
	srv.notify_timer = srv_timer_new(&srv, notify_timer, NULL);
	srv.stop_timer = srv_timer_new(&srv, check_stopped, NULL);
	if (!srv.notify_timer || !srv.stop_timer) {
		log_err("out of memory");
		ret = -ENOMEM;
	} else {
		ret = catch_signals(&srv, sigs);
	}
	if (!ret)
		ret = srv_net_init(&srv);
	if (!ret && srv_idp_init(&srv)) {
		log_err("out of memory");
		ret = -ENOMEM;
	}
	if (!ret)
		ret = srv_relay_init(&srv);
	if (!ret)
		ret = srv_state_init(&srv);
	if (!ret) {
		notify_start(&srv);
		ret = srv_net_run(&srv);
	}
	/*
	 * Stopping already: a second SIGTERM must not cut the teardown.
	 * Closing the connections may still run on the loop until it is
	 * freed.
	 */
	free_signals(sigs);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	srv_relay_free(&srv);
	srv_net_exit(&srv);
	srv_core_free(&srv);
	loop_free(loop);
	srv_config_free(&cfg);
	log_info("stopped");
	return ret ? 1 : 0;
}

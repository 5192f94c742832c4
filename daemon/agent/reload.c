// SPDX-License-Identifier: GPL-2.0
/*
 * reload.c - SIGHUP: the configuration file again, without returning a
 * reservation. What can change live does (log_level, connect_wait,
 * metrics_listen); what is fixed for the agent's life (the server and
 * how to reach it, the control socket) keeps its value, with one log
 * line per changed key saying that a restart is needed. A file that
 * does not parse changes nothing: config_load() has said FILE:LINE:
 * what, and the old settings stay.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "status.h"

static bool same(const char *x, const char *y)
{
	return x == y || (x && y && !strcmp(x, y));
}

/* Logs key as needing a restart if it changed; true if it did. */
static bool fixed(const char *file, const char *key, const char *old,
		  const char *now)
{
	if (same(old, now))
		return false;
	log_warn("%s: %s changed; restart nmb-agent to apply it (this returns every reservation)",
		 file, key);
	return true;
}

/* Moves the string at *from into *to, freeing the old one. */
static void take(char **to, char **from)
{
	free(*to);
	*to = *from;
	*from = NULL;
}

int agent_reload(struct agent *a)
{
	struct agent_conf now = { 0 }, *cfg = &a->cfg;
	const char *file = a->conf_file;
	char status[128];
	int ret;

	log_notice("SIGHUP: reloading %s", file);
	notify_reloading();
	ret = config_load(&now, file, a->conf_explicit);
	if (ret) {
		log_err("%s: not reloaded, the agent keeps its settings; fix the file and send SIGHUP again",
			file);
		config_free(&now);
		goto out;
	}
	/* What the command line gave stays, whatever the file says. */
	if (!a->cli_server)
		fixed(file, "server", cfg->server, now.server);
	if (!a->cli_socket)
		fixed(file, "socket", cfg->socket, now.socket);
	fixed(file, "token", cfg->token, now.token);
	if (!a->cli_token_cmd)
		fixed(file, "token_cmd", cfg->token_cmd, now.token_cmd);
	if (!a->cli_token_store)
		fixed(file, "token_store", cfg->token_store, now.token_store);
	fixed(file, "tls: ca_file", cfg->ca_file, now.ca_file);
	fixed(file, "tls: verify", cfg->insecure ? "false" : "true",
	      now.insecure ? "false" : "true");
	fixed(file, "group", cfg->group, now.group);
	fixed(file, "proxy", cfg->proxy, now.proxy);

	if (!a->verbose && now.log_level != cfg->log_level) {
		nmb_log_set_priority(now.log_level >= 0 ? now.log_level :
				     LOG_INFO);
		log_notice("%s: log_level applied", file);
	}
	cfg->log_level = now.log_level;
	if (now.connect_wait_s != cfg->connect_wait_s)
		log_notice("%s: connect_wait is now %u s for new requests",
			   file, now.connect_wait_s);
	cfg->connect_wait_s = now.connect_wait_s;
	if (!same(now.metrics_listen, cfg->metrics_listen)) {
		take(&cfg->metrics_listen, &now.metrics_listen);
		if (!cfg->metrics_listen)
			log_notice("%s: metrics_listen removed: /metrics is off",
				   file);
		ret = agent_metrics_listen(a);
	}
	config_free(&now);
	log_notice("%s: reloaded", file);
out:
	agent_status(a, status, sizeof(status));
	notify_ready(status);
	return ret;
}

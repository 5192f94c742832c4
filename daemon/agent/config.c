// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - nmb-agent's YAML configuration, /etc/nmb/agent.yaml or -c.
 *
 *   server: ws://hub.example:2092   # nmb-server URL (ws, wss, http, https)
 *   token: SECRET                   # optional bearer token
 *   token_cmd: CMD                  # OpenID Connect: prints an ID token
 *   token_store: /var/lib/nmb-agent/auth_tokens.json  # else: login's
 *   tls:                            # optional, for wss/https
 *     ca_file: /etc/nmb/ca.pem      # CA bundle (default: system store)
 *     verify: true                  # false: accept any certificate
 *   socket: /run/nmb/agent.sock     # control socket (default)
 *   group: nmb                      # its group, when it exists (default)
 *   log_level: info                 # err, warning, notice, info, debug
 *   connect_wait: 30s               # requests wait this long for the server
 *   proxy: http://proxy.lab:3128    # outbound HTTP proxy to the server
 *                                   # (default: https_proxy/http_proxy,
 *                                   # no_proxy; "direct": none)
 *
 * Unknown keys are errors (FILE:LINE: key 'PATH': ...). The default file
 * may be absent; a file given with -c must exist, and so must ca_file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "log.h"
#include "match.h"
#include "metrics_http.h"
#include "proxy_env.h"
#include "url.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static char *dup_or(const char *s, const char *def)
{
	return s ? strdup(s) : def ? strdup(def) : NULL;
}

static int log_level(const char *s)
{
	static const struct { const char *name; int prio; } levels[] = {
		{ "err", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		if (!strcmp(s, levels[i].name))
			return levels[i].prio;
	return -1;
}

/* The CA bundle must be a readable regular file: said at start, not later. */
static void check_ca_file(struct conf_node *tls, const char *ca)
{
	struct stat st;

	if (!ca)
		return;
	if (stat(ca, &st) || access(ca, R_OK))
		conf_error(conf_get(tls, "ca_file", CONF_ANY, false),
			   "cannot read the CA bundle %s: %s", ca,
			   strerror(errno));
	else if (!S_ISREG(st.st_mode))
		conf_error(conf_get(tls, "ca_file", CONF_ANY, false),
			   "the CA bundle %s is not a regular file", ca);
}

int config_load(struct agent_conf *cfg, const char *file, bool explicit)
{
	const char *server = NULL, *token = NULL, *ca = NULL, *sock = NULL;
	const char *metrics = NULL, *proxy = NULL, *token_cmd = NULL;
	const char *store = NULL;
	const char *group = NULL, *level = NULL, *wait = NULL;
	int prio = -1;
	unsigned int wait_s = AGENT_CONNECT_WAIT_S;
	struct conf_node *root, *tls;
	bool verify = true;
	const char *why;
	struct url url;
	struct conf *c;
	int ret = 0;

	c = conf_load(file);
	if (!c) {
		if (errno == ENOENT && !explicit)
			goto defaults;
		if (errno == ENOENT)
			log_err("%s: no such configuration file (given with -c); create it, or leave out -c to use %s",
				file, AGENT_CONFIG);
		return -EINVAL;
	}
	root = conf_root(c);
	if (!conf_str(root, "server", &server, false) &&
	    url_parse(server, &url, &why))
		conf_error(conf_get(root, "server", CONF_ANY, false),
			   "'%.200s': %s", server, why);
	conf_str(root, "token", &token, false);
	if (!conf_str(root, "token_cmd", &token_cmd, false) && !*token_cmd)
		conf_error(conf_get(root, "token_cmd", CONF_ANY, false),
			   "expected a shell command that prints an ID token");
	conf_path(root, "token_store", &store, false);
	tls = conf_get(root, "tls", CONF_MAP, false);
	conf_path(tls, "ca_file", &ca, false);
	conf_bool(tls, "verify", &verify, false);
	conf_check_unknown(tls);
	check_ca_file(tls, ca);
	conf_path(root, "socket", &sock, false);
	conf_str(root, "group", &group, false);
	if (!conf_str(root, "metrics_listen", &metrics, false) && metrics &&
	    metrics_http_check(metrics))
		conf_error(conf_get(root, "metrics_listen", CONF_ANY, false),
			   "expected ADDRESS:PORT, [IPv6]:PORT or :PORT");
	if (!conf_str(root, "log_level", &level, false)) {
		if (log_level(level) < 0)
			conf_error(conf_get(root, "log_level", CONF_ANY, false),
				   "expected err, warning, notice, info or debug");
		else
			prio = log_level(level);
	}
	if (!conf_str(root, "connect_wait", &wait, false) &&
	    match_parse_duration(wait, &wait_s))
		conf_error(conf_get(root, "connect_wait", CONF_ANY, false),
			   "expected a duration such as 30, 30s or 2m (0: do not wait)");
	if (!conf_str(root, "proxy", &proxy, false) &&
	    proxy_check(proxy, &why))
		conf_error(conf_get(root, "proxy", CONF_ANY, false),
			   "'%.200s': %s (or \"" PROXY_DIRECT "\")", proxy, why);
	conf_check_unknown(root);
	if (conf_errors(c))
		ret = -EINVAL;
defaults:
	cfg->server = dup_or(server, NULL);
	cfg->token = dup_or(token, NULL);
	cfg->token_cmd = dup_or(token_cmd, NULL);
	cfg->token_store = dup_or(store, AGENT_TOKEN_STORE);
	cfg->ca_file = dup_or(ca, NULL);
	cfg->insecure = !verify;
	cfg->socket = dup_or(sock, AGENT_SOCKET);
	cfg->group = dup_or(group, AGENT_GROUP);
	cfg->log_level = prio;
	cfg->connect_wait_s = wait_s;
	cfg->metrics_listen = dup_or(metrics, NULL);
	cfg->proxy = dup_or(proxy, NULL);
	conf_free(c);
	return ret;
}

void config_free(struct agent_conf *cfg)
{
	free(cfg->server);
	free(cfg->token);
	free(cfg->token_cmd);
	free(cfg->token_store);
	free(cfg->ca_file);
	free(cfg->socket);
	free(cfg->group);
	free(cfg->metrics_listen);
	free(cfg->proxy);
	memset(cfg, 0, sizeof(*cfg));
}

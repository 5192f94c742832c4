// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - /etc/nmb/server.yaml: listeners, TLS, tokens and the limits
 * and windows of the hub. The keys are documented in
 * Documentation/nmb-server.rst.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_config.h"
#include "conf.h"
#include "fileio.h"
#include "log.h"
#include "config.h"

int srv_parse_listen(struct srv_listen *l, const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2], *end;
	unsigned char tmp[16];
	unsigned long port;
	size_t hl;

	if (!colon)
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (host[0] == '[') {
		if (hl < 2 || host[hl - 1] != ']')
			return -EINVAL;
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
		if (inet_pton(AF_INET6, host, tmp) != 1)
			return -EINVAL;
	} else if (host[0] && inet_pton(AF_INET, host, tmp) != 1) {
		return -EINVAL;
	}
	free(l->addr);
	l->addr = NULL;
	if (host[0] && strcmp(host, "::") != 0)
		l->addr = strdup(host);
	l->port = (unsigned int)port;
	return 0;
}

static unsigned int parse_roles(struct conf_node *seq)
{
	struct conf_node *n;
	unsigned int roles = 0;
	const char *s;

	conf_foreach(n, seq) {
		if (conf_node_str(n, &s))
			continue;
		if (!strcmp(s, "exporter"))
			roles |= SRV_ROLE_EXPORTER;
		else if (!strcmp(s, "importer"))
			roles |= SRV_ROLE_IMPORTER;
		else if (!strcmp(s, "admin"))
			roles |= SRV_ROLE_ADMIN;
		else if (!strcmp(s, "viewer"))
			roles |= SRV_ROLE_VIEWER;
		else
			conf_error(n, "expected exporter, importer, admin or viewer");
	}
	return roles;
}

static char *read_secret(struct conf_node *tok, const char *file)
{
	char buf[512];
	int err = file_read_line(file, buf, sizeof(buf));

	if (err) {
		conf_error(tok, "cannot read token_file %s: %s", file,
			   strerror(-err));
		return NULL;
	}
	buf[strcspn(buf, "\r")] = 0;
	return strdup(buf);
}

static void parse_tokens(struct srv_config *cfg, struct conf_node *seq)
{
	struct conf_node *n;
	size_t i = 0;

	cfg->tokens = calloc(conf_len(seq) + 1, sizeof(*cfg->tokens));
	if (!cfg->tokens)
		return;
	conf_foreach(n, seq) {
		struct srv_token *t = &cfg->tokens[i];
		const char *name = NULL, *secret = NULL, *file = NULL;

		conf_str(n, "name", &name, true);
		conf_str(n, "token", &secret, false);
		conf_str(n, "token_file", &file, false);
		t->roles = parse_roles(conf_get(n, "roles", CONF_SEQ, true));
		conf_check_unknown(n);
		if (!secret && !file) {
			conf_error(n, "set token or token_file");
			continue;
		}
		if (!name)
			continue;
		t->name = strdup(name);
		t->secret = file ? read_secret(n, file) : strdup(secret);
		if (t->secret && strlen(t->secret) < 16)
			conf_error(n, "token shorter than 16 characters; use e.g. `openssl rand -hex 32`");
		i++;
	}
	cfg->ntokens = (unsigned int)i;
}

static void parse_listen(struct srv_config *cfg, struct conf_node *seq)
{
	struct conf_node *n;
	const char *s;

	if (conf_len(seq) > SRV_MAX_LISTEN) {
		conf_error(seq, "at most %d listeners", SRV_MAX_LISTEN);
		return;
	}
	conf_foreach(n, seq) {
		struct srv_listen *l = &cfg->listen[cfg->nlisten];
		struct conf_node *a = n;

		if (n->type == CONF_MAP) {
			a = conf_get(n, "address", CONF_SCALAR, true);
			conf_bool(n, "plain", &l->plain, false);
			conf_check_unknown(n);
			if (!a)
				continue;
		}
		if (conf_node_str(a, &s))
			continue;
		if (srv_parse_listen(l, s)) {
			conf_error(a, "expected ADDR:PORT like [::]:2092 or 127.0.0.1:2092, got '%s'",
				   s);
			continue;
		}
		cfg->nlisten++;
	}
}

/*
 * relay: {listen, ports, host, max_half_open_per_ip, max_half_open, tls}
 */
static void parse_relay(struct srv_relay_conf *r, struct conf_node *map)
{
	struct conf_node *n;
	unsigned int a, b;
	const char *s;
	char tail;
	long long v;

	if (!map)
		return;
	if (!conf_str(map, "listen", &s, false)) {
		n = conf_get(map, "listen", CONF_ANY, false);
		if (!strcmp(s, "off"))
			r->off = true;
		else if (srv_parse_listen(&r->listen, s))
			conf_error(n, "expected ADDR:PORT like [::]:2093, or off; got '%s'",
				   s);
	}
	if (!conf_str(map, "ports", &s, false)) {
		n = conf_get(map, "ports", CONF_ANY, false);
		if (sscanf(s, "%u-%u%c", &a, &b, &tail) != 2 || !a ||
		    b > 65535 || a > b)
			conf_error(n, "expected FIRST-LAST like 2094-2157, got '%s'",
				   s);
		else
			r->first = a, r->last = b;
	}
	if (!conf_str(map, "host", &s, false)) {
		unsigned char tmp[16];

		if (inet_pton(AF_INET, s, tmp) != 1 &&
		    inet_pton(AF_INET6, s, tmp) != 1)
			conf_error(conf_get(map, "host", CONF_ANY, false),
				   "expected the IP address agents reach the relay at (not-my-board agents need an IP literal), got '%s'",
				   s);
		else
			r->host = strdup(s);
	}
	if (!conf_int(map, "max_half_open_per_ip", &v, 1, 1 << 20, false))
		r->half_open_per_ip = (unsigned int)v;
	if (!conf_int(map, "max_half_open", &v, 1, 1 << 20, false))
		r->half_open = (unsigned int)v;
	if (!conf_str(map, "tls", &s, false)) {
		if (!strcmp(s, "required"))
			r->tls = RELAY_TLS_REQUIRED;
		else if (!strcmp(s, "off"))
			r->tls = RELAY_TLS_OFF;
		else if (strcmp(s, "auto") != 0)
			conf_error(conf_get(map, "tls", CONF_ANY, false),
				   "expected auto, required or off; got '%s'",
				   s);
	}
	conf_check_unknown(map);
}

int srv_config_load(struct srv_config *cfg, const char *file, bool explicit)
{
	struct conf_node *root, *tls;
	struct conf *c;
	long long v;
	const char *s;
	int ret = 0;

	c = conf_load(file);
	if (!c) {
		if (errno == ENOENT && !explicit)
			return 0;
		if (errno == ENOENT)
			log_err("%s: no such file; give an existing -c FILE",
				file);
		return -EINVAL;
	}
	cfg->have_file = true;
	root = conf_root(c);
	parse_listen(cfg, conf_get(root, "listen", CONF_SEQ, false));
	tls = conf_get(root, "tls", CONF_MAP, false);
	if (tls) {
		if (!conf_str(tls, "cert", &s, true))
			cfg->tls_cert = strdup(s);
		if (!conf_str(tls, "key", &s, true))
			cfg->tls_key = strdup(s);
		conf_check_unknown(tls);
	}
	parse_tokens(cfg, conf_get(root, "tokens", CONF_SEQ, false));
	cfg->auth = srv_auth_cfg_parse(conf_get(root, "auth", CONF_ANY,
						false));
	if (!conf_int(root, "grace", &v, 0, 86400, false))
		cfg->grace_s = (unsigned int)v;
	if (!conf_int(root, "lease_default", &v, 0, 86400LL * 365, false))
		cfg->lease_default_s = (unsigned int)v;
	if (!conf_int(root, "lease_max", &v, 0, 86400LL * 365, false))
		cfg->lease_max_s = (unsigned int)v;
	if (!conf_int(root, "max_message", &v, 1024, 256 << 20, false))
		cfg->max_message = (size_t)v;
	if (!conf_int(root, "max_running", &v, 1, 1 << 20, false))
		cfg->max_running = (unsigned int)v;
	if (!conf_int(root, "ping_interval", &v, 1, 3600, false))
		cfg->ping_s = (unsigned int)v;
	if (!conf_str(root, "state_file", &s, false)) {
		if (s[0] != '/')
			conf_error(conf_get(root, "state_file", CONF_ANY, false),
				   "expected an absolute path like /var/lib/nmb/server-state.json");
		else
			cfg->state_file = strdup(s);
	}
	parse_relay(&cfg->relay, conf_get(root, "relay", CONF_MAP, false));
	conf_double(root, "uniqueness_tolerance", &cfg->uniqueness_tolerance,
		    0, 1, false);
	/* Deprecated: the server always runs on libuv now. */
	if (!conf_str(root, "event_loop", &s, false)) {
		if (strcmp(s, "poll") != 0 && strcmp(s, "auto") != 0)
			conf_error(conf_get(root, "event_loop", CONF_ANY, false),
				   "expected auto or poll");
		else
			log_warn("%s: event_loop is deprecated and ignored: the server always runs on the libuv event loop; remove the key",
				 file);
	}
	if (!conf_str(root, "log_level", &s, false)) {
		if (!strcmp(s, "debug"))
			nmb_log_set_priority(LOG_DEBUG);
		else if (!strcmp(s, "info"))
			nmb_log_set_priority(LOG_INFO);
		else if (!strcmp(s, "warning"))
			nmb_log_set_priority(LOG_WARNING);
		else
			conf_error(conf_get(root, "log_level", CONF_ANY, false),
				   "expected debug, info or warning");
	}
	conf_check_unknown(root);
	if (conf_errors(c)) {
		log_err("%s: %u error(s); fix them and restart", file,
			conf_errors(c));
		ret = -EINVAL;
	}
	conf_free(c);
	return ret;
}

void srv_config_free(struct srv_config *cfg)
{
	for (unsigned int i = 0; i < SRV_MAX_LISTEN; i++)
		free(cfg->listen[i].addr);
	for (unsigned int i = 0; cfg->tokens && cfg->tokens[i].name; i++) {
		free(cfg->tokens[i].name);
		free(cfg->tokens[i].secret);
	}
	free(cfg->tokens);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->state_file);
	srv_auth_cfg_free(cfg->auth);
	cfg->auth = NULL;
	free(cfg->relay.listen.addr);
	free(cfg->relay.host);
}

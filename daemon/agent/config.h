/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - nmb-agent's settings, read from its YAML file (config.c).
 */
#ifndef NMB_AGENT_CONFIG_H
#define NMB_AGENT_CONFIG_H

#include <stdbool.h>

#define AGENT_SOCKET		"/run/nmb/agent.sock"
#define AGENT_CONFIG		"/etc/nmb/agent.yaml"
#define AGENT_GROUP		"nmb"
/* nmbctl login's tokens (systemd's StateDirectory=nmb-agent) */
#define AGENT_TOKEN_STORE	"/var/lib/nmb-agent/auth_tokens.json"
/* How long a request waits for the server connection (connect_wait). */
#define AGENT_CONNECT_WAIT_S	30

struct agent_conf {
	char *server;		/* ws(s)://, http(s):// URL of nmb-server */
	char *token;		/* bearer token, or NULL */
	char *token_cmd;	/* get_id_token: this command's output */
	char *token_store;	/* else this store (AGENT_TOKEN_STORE) */
	char *ca_file;
	bool insecure;
	char *socket;		/* control socket path */
	char *group;		/* its group */
	int log_level;		/* LOG_ERR ... LOG_DEBUG, -1: not set */
	unsigned int connect_wait_s;	/* requests wait for the server */
	char *metrics_listen;	/* NULL: no /metrics listener */
	char *proxy;		/* proxy: key, NULL: the environment */
};

/*
 * Reads file (a missing file is fine unless explicit) into cfg; errors
 * are logged as FILE:LINE: what. Returns 0 or -EINVAL; cfg must be
 * freed with config_free() either way.
 */
int config_load(struct agent_conf *cfg, const char *file, bool explicit);
void config_free(struct agent_conf *cfg);

#endif /* NMB_AGENT_CONFIG_H */

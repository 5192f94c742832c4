/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - nmb-server's configuration (/etc/nmb/server.yaml, config.c):
 * listeners, TLS, tokens, and the limits and windows of the scheduler.
 */
#ifndef NMB_SERVER_CONFIG_H
#define NMB_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define SRV_ROLE_EXPORTER	0x1
#define SRV_ROLE_IMPORTER	0x2
#define SRV_ROLE_ADMIN		0x4
#define SRV_ROLE_VIEWER		0x8	/* read-only: the web page */
#define SRV_ROLE_ALL		0xf

#define SRV_MAX_LISTEN		16

struct srv_listen {
	char *addr;		/* NULL: every address, dual-stack */
	unsigned int port;
	bool plain;		/* no TLS on this listener */
};

struct srv_token {
	char *name;
	char *secret;
	unsigned int roles;
};

struct srv_auth_cfg;

struct srv_config {
	struct srv_listen listen[SRV_MAX_LISTEN];
	unsigned int nlisten;
	char *tls_cert, *tls_key;
	struct srv_token *tokens;
	unsigned int ntokens;
	unsigned int grace_s;		/* reconnect window; 0 disables */
	unsigned int lease_default_s;	/* 0: reservations never expire */
	unsigned int lease_max_s;	/* 0: no upper bound */
	double uniqueness_tolerance;
	size_t max_message;		/* bytes of one WebSocket message */
	unsigned int max_running;	/* unanswered requests per connection */
	unsigned int ping_s;
	bool have_file;
	char *state_file;		/* NULL: state lives in memory only */
	struct srv_auth_cfg *auth;	/* OpenID Connect; NULL: off */
};

/* Fills cfg from FILE; a missing default file is not an error. */
int srv_config_load(struct srv_config *cfg, const char *file, bool explicit);
/* "ADDR:PORT", "[V6]:PORT", ":PORT". Returns 0 or -EINVAL. */
int srv_parse_listen(struct srv_listen *l, const char *s);
void srv_config_free(struct srv_config *cfg);

#endif /* NMB_SERVER_CONFIG_H */

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
/* relay.tls: may, must or must not a relayed connection speak TLS? */
enum srv_relay_tls { RELAY_TLS_AUTO, RELAY_TLS_REQUIRED, RELAY_TLS_OFF };

/* The relay of dial-out places (relay.c, nmb-server.rst "relay"). */
struct srv_relay_conf {
	bool off;			/* relay: {listen: off} */
	struct srv_listen listen;	/* port 0: the first listener's + 1 */
	unsigned int first, last;	/* place ports; 0: listen port + 1.. */
	char *host;			/* advertised IP; NULL: as reached */
	unsigned int half_open_per_ip;	/* unfinished connections a source */
	unsigned int half_open;		/* ... and in all */
	enum srv_relay_tls tls;		/* auto: when tls.cert is set */
};

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
	struct srv_relay_conf relay;	/* relay.c: dial-out places */
};

/* Fills cfg from FILE; a missing default file is not an error. */
int srv_config_load(struct srv_config *cfg, const char *file, bool explicit);
/* "ADDR:PORT", "[V6]:PORT", ":PORT". Returns 0 or -EINVAL. */
int srv_parse_listen(struct srv_listen *l, const char *s);
void srv_config_free(struct srv_config *cfg);

#endif /* NMB_SERVER_CONFIG_H */

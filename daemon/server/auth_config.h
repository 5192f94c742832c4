/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth_config.h - the `auth:` section of server.yaml (auth_config.c):
 * not-my-board 0.13's [auth] table with the same keys (issuer,
 * client_id, issuers.<url>.show_claims / user_name_formats, permissions
 * with claims and roles), plus nmb's ca_file. Missing or empty: auth
 * off (srv_config.auth NULL).
 */
#ifndef NMB_SERVER_AUTH_CONFIG_H
#define NMB_SERVER_AUTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "claims.h"

struct conf_node;

/* Limits on what the section may hold. */
#define SRV_AUTH_MAX_PERMS	256
#define SRV_AUTH_MAX_ISSUERS	16
#define SRV_AUTH_MAX_LIST	64	/* show_claims, user_name_formats */
#define SRV_AUTH_ANSWER_DEFAULT_S 30	/* not-my-board's, for refresh */

/* One issuer's display settings (auth.issuers.<url>). */
struct srv_auth_issuer {
	char *url;
	char **show;		/* NULL: show_claims unset (all) */
	size_t n_show;
	char **formats;		/* user_name_formats */
	size_t n_formats;
};

struct srv_auth_cfg {
	char *issuer;		/* auth.issuer: login, default iss */
	char *client_id;	/* the expected aud */
	char *ca_file;		/* nmb: CA bundle for the providers */
	unsigned int answer_s;	/* nmb: get_id_token's time to answer */
	/* trusted issuers: auth.issuer first, then each permission's iss */
	char **trusted;
	size_t n_trusted;
	struct claims_permission *perms;
	size_t n_perms;
	struct srv_auth_issuer *issuers;	/* auth.issuers entries */
	size_t n_issuers;
};

/*
 * Parses node (the value of auth:, NULL if absent). Errors are reported
 * with FILE:LINE through lib/conf (conf_errors() counts them). Returns
 * the settings, or NULL when auth is off (absent, null or {}) or on an
 * error.
 */
struct srv_auth_cfg *srv_auth_cfg_parse(struct conf_node *node);
void srv_auth_cfg_free(struct srv_auth_cfg *a);

/* The display settings of iss, or NULL (the defaults). */
const struct srv_auth_issuer *srv_auth_issuer(const struct srv_auth_cfg *a,
					      const char *iss);
/* Whether iss is trusted (exact match). */
bool srv_auth_trusted(const struct srv_auth_cfg *a, const char *iss);

#endif /* NMB_SERVER_AUTH_CONFIG_H */

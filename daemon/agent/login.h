/* SPDX-License-Identifier: GPL-2.0 */
/*
 * login.h - nmbctl login (login.c): the agent runs not-my-board's
 * OpenID Connect login (auth note §8) for its server and stores the
 * tokens where its get_id_token finds them (lib/token_store).
 */
#ifndef NMB_AGENT_LOGIN_H
#define NMB_AGENT_LOGIN_H

#include "jsonrpc.h"

struct agent;

/*
 * The control socket's login(): answers req with {"hub", "claims"}
 * (claims filtered by the hub's show_claims) once the tokens are saved,
 * after a login_url notification with the URL for the user's browser.
 * One login at a time. The agent must be connected to its server.
 */
void login_start(struct agent *a, struct rpc_req *req);
/* The hub's oidc_callback_registered notification. */
void login_registered(struct agent *a);
/* Ends a running login (its request gets an error). */
void login_stop(struct agent *a);

#endif /* NMB_AGENT_LOGIN_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * relay_auth.c - authorisation of a CONNECT to the relay port of a
 * dial-out place: from the place's current grant and the agent's
 * address as the server sees it, the same rule an exporter applies to
 * its allow-list: a granted reservation (acknowledged by the exporter)
 * whose per-reservation secret the request carries as
 * Proxy-Authorization: Bearer, from any address (agents behind NAT); or,
 * when the grant has no secret (a not-my-board 0.13 agent), the holder's
 * IP (wire note §6). The exporter checks the same again, with its own
 * ip_fallback setting, when the relay hands it the CONNECT.
 */
#include <errno.h>
#include <string.h>

#include "../../lib/http.h"	/* daemon/server/http.h is the routes */
#include "grant_secret.h"
#include "relay_auth.h"
#include "scheduler.h"
#include "server.h"

int srv_relay_auth(const struct server *srv, const struct srv_place *p,
		   const char *ip, const struct http_request *req,
		   const char **why)
{
	const struct srv_res *r = p->res;
	const char *secret;

	(void)srv;
	if (!r || !r->since_ms || r->req || !r->holder) {
		*why = "the place is not reserved";
		return -EACCES;
	}
	secret = grant_secret(p);
	if (req->has_auth) {
		if (secret && grant_secret_equal(secret, req->bearer,
						 strlen(req->bearer)))
			return 0;
		*why = secret ? "Proxy-Authorization does not carry this reservation's secret" :
				"Proxy-Authorization sent, but this reservation has no secret";
		return -EACCES;
	}
	if (secret) {
		*why = "no Proxy-Authorization, and this reservation has a secret";
		return -EACCES;
	}
	if (strcmp(r->holder->ip, ip) != 0) {
		*why = "peer IP is not the holder's";
		return -EACCES;
	}
	return 0;
}

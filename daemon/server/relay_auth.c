// SPDX-License-Identifier: GPL-2.0
/*
 * relay_auth.c - authorisation of a CONNECT to the relay port of a
 * dial-out place: from the place's current grant and the agent's
 * address as the server sees it, the same rule an exporter applies to
 * its allow-list (wire note §6): only the IP of the holder of a granted
 * reservation (acknowledged by the exporter) gets through. The request
 * head is passed in for checks that need it (a per-reservation secret).
 */
#include <errno.h>
#include <string.h>

#include "relay_auth.h"
#include "scheduler.h"
#include "server.h"

int srv_relay_auth(const struct server *srv, const struct srv_place *p,
		   const char *ip, const char *head, size_t head_len,
		   const char **why)
{
	const struct srv_res *r = p->res;

	(void)srv;
	(void)head;
	(void)head_len;
	if (!r || !r->since_ms || r->req || !r->holder) {
		*why = "the place is not reserved";
		return -EACCES;
	}
	if (strcmp(r->holder->ip, ip) != 0) {
		*why = "peer IP is not the holder's";
		return -EACCES;
	}
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay_auth.h - who may use the relay (relay_auth.c): the one question
 * the relay asks before it tells an exporter anything.
 */
#ifndef NMB_SERVER_RELAY_AUTH_H
#define NMB_SERVER_RELAY_AUTH_H

struct http_request;
struct server;
struct srv_place;

/*
 * May the peer at ip, which sent the CONNECT request req (its
 * Proxy-Authorization parsed), open a data connection to dial-out
 * place p now?
 * 0 if so, else -EACCES with *why set to a static reason for the log.
 */
int srv_relay_auth(const struct server *srv, const struct srv_place *p,
		   const char *ip, const struct http_request *req,
		   const char **why);

#endif /* NMB_SERVER_RELAY_AUTH_H */

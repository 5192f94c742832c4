// SPDX-License-Identifier: GPL-2.0
/*
 * conn_addr.c - the addresses of a connection's two ends, as text
 * (see conn_addr.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "conn_addr.h"
#include "server.h"

int srv_wsi_ip(struct lws *wsi, bool local, char *ip, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	int fd = lws_get_socket_fd(wsi);
	const void *a;
	int family = AF_INET;

	if ((local ? getsockname : getpeername)(fd, (struct sockaddr *)&ss,
						&sl))
		return -errno;
	if (ss.ss_family == AF_INET)
		a = &s4->sin_addr;
	else if (ss.ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		a = &s6->sin6_addr.s6_addr[12];
	else
		a = &s6->sin6_addr, family = AF_INET6;
	return inet_ntop(family, a, ip, (socklen_t)len) ? 0 : -errno;
}

int srv_conn_local_ip(struct srv_conn *c, char *ip, size_t len)
{
	return srv_wsi_ip(c->wsi, true, ip, len);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * sockopt.c - TCP options of the tunnels: no delay, keepalive.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sockopt.h"

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) ? -errno : 0;
}

int sock_nodelay(int fd)
{
	return set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

int sock_keepalive(int fd, int idle_s, int intvl_s, int count)
{
	int err;

	err = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (!err)
		err = set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle_s);
	if (!err)
		err = set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl_s);
	if (!err)
		err = set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, count);
	return err;
}

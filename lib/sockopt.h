/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockopt.h - TCP options of the tunnels.
 *
 * Every tunnel socket, and every USB/IP socket handed to the kernel, has
 * Nagle's algorithm off, as Linux's own usbip tools do: USB/IP and
 * serial consoles are request/answer traffic of small messages, which
 * Nagle holds back until the previous one is acknowledged.
 */
#ifndef NMB_SOCKOPT_H
#define NMB_SOCKOPT_H

/* TCP_NODELAY on; 0 or -errno. */
int sock_nodelay(int fd);
/* SO_KEEPALIVE with TCP_KEEPIDLE/KEEPINTVL/KEEPCNT; 0 or -errno. */
int sock_keepalive(int fd, int idle_s, int intvl_s, int count);

#endif /* NMB_SOCKOPT_H */

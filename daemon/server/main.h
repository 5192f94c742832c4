/* SPDX-License-Identifier: GPL-2.0 */
/*
 * main.h - what main.c offers the event loop: signals (lib/loop's) are
 * acted on inside the loop.
 */
#ifndef NMB_SERVER_MAIN_H
#define NMB_SERVER_MAIN_H

struct server;

void srv_wakeup(struct server *srv);

#endif /* NMB_SERVER_MAIN_H */

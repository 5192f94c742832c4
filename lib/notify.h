/* SPDX-License-Identifier: GPL-2.0 */
/*
 * notify.h - what a daemon tells systemd (sd_notify): READY, STOPPING,
 * RELOADING around a reload, STATUS= lines ("3 places registered, 1
 * reserved") and the watchdog (WATCHDOG=1 at half of WATCHDOG_USEC).
 *
 * Usage, from the daemon's own loop:
 *
 *	uint64_t ms = notify_tick_ms();	// 0: not under systemd
 *	...arm a timer for ms; in its callback:
 *	notify_tick(status_text);	// WATCHDOG=1 if due, STATUS= if new
 *	...re-arm it for notify_tick_ms()
 *
 * Everything is a no-op without NOTIFY_SOCKET. The watchdog is kept only
 * while the loop runs its timers, which is what it is meant to prove.
 */
#ifndef NMB_NOTIFY_H
#define NMB_NOTIFY_H

#include <stdint.h>

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC; call once at start. */
void notify_init(void);
/* The period of notify_tick(): 1 s, less when the watchdog needs it; 0
 * when there is no NOTIFY_SOCKET (no timer is needed then). */
uint64_t notify_tick_ms(void);
/* Half of WATCHDOG_USEC in ms; 0 when the watchdog is off. */
uint64_t notify_watchdog_ms(void);
/* WATCHDOG=1 when half the watchdog interval has passed since the last
 * one, and STATUS=status when it differs from the last sent. */
void notify_tick(const char *status);

void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);

#endif /* NMB_NOTIFY_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * notify.c - sd_notify for the daemons: ready, reload, stop, status lines
 * and the watchdog (see notify.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "notify.h"

#define TICK_MS		1000
#define STATUS_MAX	256

static bool enabled;
static uint64_t watchdog_half_ms, last_watchdog_ms;
static char last_status[STATUS_MAX];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void notify_init(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;

	enabled = sock && *sock;
	watchdog_half_ms = 0;
	/* > 0 only when WATCHDOG_USEC is set for this process */
	if (enabled && sd_watchdog_enabled(0, &usec) > 0 && usec)
		watchdog_half_ms = usec / 2000 ? usec / 2000 : 1;
	last_watchdog_ms = now_ms();
}

uint64_t notify_watchdog_ms(void)
{
	return watchdog_half_ms;
}

uint64_t notify_tick_ms(void)
{
	if (!enabled)
		return 0;
	if (watchdog_half_ms && watchdog_half_ms < TICK_MS)
		return watchdog_half_ms;
	return TICK_MS;
}

static void send_status(const char *status)
{
	if (!status || !strcmp(status, last_status))
		return;
	snprintf(last_status, sizeof(last_status), "%s", status);
	sd_notifyf(0, "STATUS=%s", last_status);
}

void notify_tick(const char *status)
{
	uint64_t now;

	if (!enabled)
		return;
	now = now_ms();
	/* a quarter early rather than late: ticks may land just short */
	if (watchdog_half_ms &&
	    now - last_watchdog_ms >= watchdog_half_ms - watchdog_half_ms / 4) {
		sd_notify(0, "WATCHDOG=1");
		last_watchdog_ms = now;
	}
	send_status(status);
}

void notify_ready(const char *status)
{
	if (!enabled)
		return;
	sd_notify(0, "READY=1");
	send_status(status);
}

void notify_reloading(void)
{
	if (enabled)
		sd_notify(0, "RELOADING=1");
}

void notify_stopping(void)
{
	if (enabled)
		sd_notify(0, "STOPPING=1");
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock.h - nmb-server's two clocks (clock.c): monotonic microseconds
 * for durations and deadlines, wall-clock milliseconds for what is shown
 * or saved.
 */
#ifndef NMB_SERVER_CLOCK_H
#define NMB_SERVER_CLOCK_H

#include <stdint.h>

uint64_t srv_now_us(void);
int64_t srv_wall_ms(void);

#endif /* NMB_SERVER_CLOCK_H */

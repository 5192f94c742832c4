/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - one line per event on stderr, for an operator.
 *
 * Lines read "<ident>: <level>: <message>", where the message names what
 * failed, on which place/port, and what to do; facts are given as
 * key=value pairs (place=rpi-3 peer=198.18.0.2). Under systemd
 * (JOURNAL_STREAM set) each line starts with a <N> syslog priority
 * prefix instead, so journald keeps the level.
 */
#ifndef NMB_LOG_H
#define NMB_LOG_H

#include <syslog.h>

void nmb_log_init(const char *ident, int max_priority);
void nmb_log_set_priority(int max_priority);
int nmb_log_priority(void);
void nmb_log(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	nmb_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	nmb_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	nmb_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	nmb_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	nmb_log(LOG_DEBUG, __VA_ARGS__)

#endif /* NMB_LOG_H */

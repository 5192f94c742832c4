/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - one line per event on stderr, for an operator.
 *
 * Lines read "<ident>: <level>: <message>", where the message names what
 * failed, on which place/port, and what to do; facts are given as
 * key=value pairs (place=rpi-3 peer=198.18.0.2). Under systemd
 * (JOURNAL_STREAM set) each line starts with a <N> syslog priority
 * prefix instead, so journald keeps the level.
 *
 * A line identical to the one before it is not written again: the next
 * different line, or the same one LOG_REPEAT_FLUSH_S seconds later, is
 * preceded by "last message repeated N times" (as syslogd does).
 *
 * Anything a peer sent (place names, hub URLs, error messages, headers)
 * goes through log_esc() before it reaches a format string.
 */
#ifndef NMB_LOG_H
#define NMB_LOG_H

#include <stddef.h>
#include <syslog.h>

/* Seconds after which a repeated line is summarised even if it goes on. */
#define LOG_REPEAT_FLUSH_S	10
/* Bytes of a peer string shown by log_esc(); the rest becomes "...". */
#define LOG_ESC_MAX		128

void nmb_log_init(const char *ident, int max_priority);
void nmb_log_set_priority(int max_priority);
int nmb_log_priority(void);
void nmb_log(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Writes the pending "last message repeated N times", if any. */
void nmb_log_flush(void);

/*
 * Escapes len bytes of s into buf (size bytes, NUL-terminated): control
 * characters as \n, \r, \t, \e or \xHH, bytes that are not valid UTF-8
 * as \xHH, C1 controls as \u00HH, a backslash as \\ and a double quote
 * as \". At most max input bytes are shown; a longer input ends in "...".
 * Returns buf.
 */
const char *log_escape(char *buf, size_t size, const char *s, size_t len,
		       size_t max);
/*
 * log_escape() of a NUL-terminated peer string (NULL gives "?"),
 * truncated at LOG_ESC_MAX bytes, into one of LOG_ESC_SLOTS per-thread
 * buffers: valid until LOG_ESC_SLOTS further calls, enough for the
 * arguments of one log line.
 */
#define LOG_ESC_SLOTS		8
const char *log_esc(const char *s);

#define log_err(...)	nmb_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	nmb_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	nmb_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	nmb_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	nmb_log(LOG_DEBUG, __VA_ARGS__)

#endif /* NMB_LOG_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - stderr logging with syslog priorities, journald aware; repeated
 * lines summarised, peer strings escaped.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "utf8.h"

#define LINE_MAX_BYTES	2048

static const char *log_ident = "nmb";
static int log_max = LOG_INFO;
static bool log_journal;

/* The last line written, and how often it came again since. */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_msg[LINE_MAX_BYTES];
static int last_priority = -1;
static unsigned long last_repeats;
static time_t last_written;

static const char *const level_names[] = {
	[LOG_EMERG] = "emergency", [LOG_ALERT] = "alert",
	[LOG_CRIT] = "critical",   [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",	   [LOG_DEBUG] = "debug",
};

void nmb_log_init(const char *ident, int max_priority)
{
	static bool registered;

	log_ident = ident;
	log_max = max_priority;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (!registered)
		registered = !atexit(nmb_log_flush);
}

void nmb_log_set_priority(int max_priority)
{
	log_max = max_priority;
}

int nmb_log_priority(void)
{
	return log_max;
}

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void write_line(int priority, const char *msg)
{
	/* One write per line, so lines of concurrent writers never mix. */
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", priority, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident,
			level_names[priority], msg);
}

/* Called with last_lock held. */
static void write_repeats(void)
{
	char msg[64];

	if (!last_repeats)
		return;
	snprintf(msg, sizeof(msg), "last message repeated %lu time%s",
		 last_repeats, last_repeats == 1 ? "" : "s");
	write_line(last_priority, msg);
	last_repeats = 0;
}

void nmb_log_flush(void)
{
	pthread_mutex_lock(&last_lock);
	write_repeats();
	pthread_mutex_unlock(&last_lock);
}

void nmb_log(int priority, const char *fmt, ...)
{
	char msg[LINE_MAX_BYTES];
	va_list ap;
	time_t now;

	if (priority > log_max)
		return;
	if (priority < LOG_EMERG || priority > LOG_DEBUG)
		priority = LOG_ERR;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	now = now_s();
	pthread_mutex_lock(&last_lock);
	if (priority == last_priority && !strcmp(msg, last_msg)) {
		last_repeats++;
		if (now - last_written >= LOG_REPEAT_FLUSH_S) {
			write_repeats();
			last_written = now;
		}
		pthread_mutex_unlock(&last_lock);
		return;
	}
	write_repeats();
	write_line(priority, msg);
	memcpy(last_msg, msg, sizeof(msg));
	last_priority = priority;
	last_written = now;
	pthread_mutex_unlock(&last_lock);
}

const char *log_escape(char *buf, size_t size, const char *s, size_t len,
		       size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, out = 0;

	if (!size)
		return buf;
	while (i < len && i < max) {
		char piece[8];
		size_t in = 1, n;
		uint32_t cp;

		if (p[i] == '\\' || p[i] == '"') {
			n = (size_t)snprintf(piece, sizeof(piece), "\\%c", p[i]);
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			piece[0] = (char)p[i];
			n = 1;
		} else if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t' ||
			   p[i] == 0x1b) {
			n = (size_t)snprintf(piece, sizeof(piece), "\\%c",
					     p[i] == '\n' ? 'n' : p[i] == '\r' ?
					     'r' : p[i] == '\t' ? 't' : 'e');
		} else if (p[i] >= 0x80 && (in = utf8_seq(p + i, len - i, &cp))) {
			if (cp < 0xa0) {
				n = (size_t)snprintf(piece, sizeof(piece),
						     "\\u%04x", (unsigned int)cp);
			} else {
				memcpy(piece, p + i, in);
				n = in;
			}
		} else {
			in = 1;
			n = (size_t)snprintf(piece, sizeof(piece), "\\x%02x",
					     p[i]);
		}
		if (i + in > max || out + n + 4 > size)
			break;
		memcpy(buf + out, piece, n);
		out += n;
		i += in;
	}
	if (i < len && out + 4 <= size) {
		memcpy(buf + out, "...", 3);
		out += 3;
	}
	buf[out] = '\0';
	return buf;
}

const char *log_esc(const char *s)
{
	static _Thread_local char slots[LOG_ESC_SLOTS][4 * LOG_ESC_MAX + 8];
	static _Thread_local unsigned int next;
	char *buf = slots[next++ % LOG_ESC_SLOTS];

	if (!s)
		return "?";
	return log_escape(buf, sizeof(slots[0]), s, strnlen(s, LOG_ESC_MAX + 1),
			  LOG_ESC_MAX);
}

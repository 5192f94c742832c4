// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - stderr logging with syslog priorities, journald aware.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *log_ident = "nmb";
static int log_max = LOG_INFO;
static bool log_journal;

static const char *const level_names[] = {
	[LOG_EMERG] = "emergency", [LOG_ALERT] = "alert",
	[LOG_CRIT] = "critical",   [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",	   [LOG_DEBUG] = "debug",
};

void nmb_log_init(const char *ident, int max_priority)
{
	log_ident = ident;
	log_max = max_priority;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void nmb_log_set_priority(int max_priority)
{
	log_max = max_priority;
}

int nmb_log_priority(void)
{
	return log_max;
}

void nmb_log(int priority, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (priority > log_max)
		return;
	if (priority < LOG_EMERG || priority > LOG_DEBUG)
		priority = LOG_ERR;

	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", priority);
	else
		n = snprintf(line, sizeof(line), "%s: %s: ", log_ident,
			     level_names[priority]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent writers never mix. */
	fprintf(stderr, "%s\n", line);
}

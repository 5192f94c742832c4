/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http_cache.h - how long an HTTP answer may be kept (RFC 9111, the
 * subset not-my-board 0.13's hub applies to its identity providers'
 * discovery documents and key sets, auth note §5): Cache-Control
 * no-store / no-cache → not at all; max-age=N → until min(Date, request
 * time - Age) + N; else Expires (an invalid date or "0": stale); else a
 * default. Pure: the caller gives the time and the header values.
 */
#ifndef NMB_HTTP_CACHE_H
#define NMB_HTTP_CACHE_H

#include <time.h>

/* Seconds kept when no header says anything. */
#define HTTP_CACHE_DEFAULT_S	5
/* Longest lifetime granted, whatever the headers say (one day). */
#define HTTP_CACHE_MAX_S	86400

/*
 * Seconds from now (0..HTTP_CACHE_MAX_S) the answer stays fresh. Each
 * header value is NULL when absent. now is the time of the request.
 */
long http_cache_lifetime(const char *cache_control, const char *expires,
			 const char *date, const char *age, time_t now);

/* An HTTP-date (IMF-fixdate, RFC 9110 §5.6.7); -1 if it is not one. */
time_t http_cache_date(const char *s);

#endif /* NMB_HTTP_CACHE_H */

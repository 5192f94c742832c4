// SPDX-License-Identifier: GPL-2.0
/*
 * http_cache.c - the lifetime of a cached HTTP answer from its
 * Cache-Control, Expires, Date and Age headers (see http_cache.h).
 * Cache-Control is a comma-separated list of directives (RFC 9111
 * §5.2); only no-store, no-cache and max-age matter here, and a
 * directive's name is compared without regard to case.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_cache.h"

time_t http_cache_date(const char *s)
{
	struct tm tm;
	const char *end;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return -1;
	return timegm(&tm);
}

/* A delta-seconds value (RFC 9111 §1.2.2); -1 if s is not one. */
static long delta_seconds(const char *s, size_t len)
{
	long v = 0;

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	if (!len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		if (v < HTTP_CACHE_MAX_S * 10L)
			v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Walks the directives: *no_store when no-store or no-cache is there;
 * the max-age value, or -1.
 */
static long directives(const char *cc, bool *no_store)
{
	long max_age = -1;

	*no_store = false;
	while (cc && *cc) {
		size_t len = strcspn(cc, ","), name_len;
		const char *d = cc, *eq;

		cc += len + (cc[len] == ',');
		while (len && (*d == ' ' || *d == '\t')) {
			d++;
			len--;
		}
		while (len && (d[len - 1] == ' ' || d[len - 1] == '\t'))
			len--;
		eq = memchr(d, '=', len);
		name_len = eq ? (size_t)(eq - d) : len;
		if ((name_len == 8 && !strncasecmp(d, "no-store", 8)) ||
		    (name_len == 8 && !strncasecmp(d, "no-cache", 8)))
			*no_store = true;
		else if (eq && name_len == 7 && !strncasecmp(d, "max-age", 7))
			max_age = delta_seconds(eq + 1, len - name_len - 1);
	}
	return max_age;
}

static long clamp(long long v)
{
	return v < 0 ? 0 : v > HTTP_CACHE_MAX_S ? HTTP_CACHE_MAX_S : (long)v;
}

long http_cache_lifetime(const char *cache_control, const char *expires,
			 const char *date, const char *age, time_t now)
{
	bool no_store;
	long max_age = directives(cache_control, &no_store), a;
	time_t base = now, t;

	if (no_store)
		return 0;
	if (max_age >= 0) {
		a = age ? delta_seconds(age, strlen(age)) : -1;
		if (a > 0)
			base = now - a;
		t = http_cache_date(date);
		if (t >= 0 && t < base)
			base = t;
		return clamp((long long)base + max_age - now);
	}
	if (expires) {
		t = http_cache_date(expires);
		return t < 0 ? 0 : clamp((long long)t - now);
	}
	return HTTP_CACHE_DEFAULT_S;
}

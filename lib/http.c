// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - HTTP/1.x request head parsing and short responses for the
 * CONNECT proxy, strict where h11 is strict.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Visible ASCII, tab and space, obs-text: what a header value may hold. */
static bool is_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Finds the end of the line at p: returns the line length and sets *next. */
static const char *line_end(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (!nl)
		return NULL;
	*next = nl + 1;
	return (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
}

static int bad(struct http_request *req, const char *why)
{
	req->error = why;
	return -EINVAL;
}

static int request_line(const char *p, const char *e, struct http_request *req)
{
	const char *sp1 = memchr(p, ' ', (size_t)(e - p)), *sp2, *q;
	size_t n;

	if (!sp1 || sp1 == p)
		return bad(req, "illegal request line");
	for (q = p; q < sp1; q++)
		if (!is_tchar(*q))
			return bad(req, "illegal request line");
	sp2 = memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return bad(req, "illegal request line");
	for (q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return bad(req, "illegal request line");
	if (e - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return bad(req, "illegal request line");
	req->version_minor = sp2[8] - '0';
	n = (size_t)(sp1 - p);
	if (n >= sizeof(req->method))
		n = sizeof(req->method) - 1;
	memcpy(req->method, p, n);
	req->method[n] = '\0';
	req->is_connect = (size_t)(sp1 - p) == 7 && !memcmp(p, "CONNECT", 7);
	n = (size_t)(sp2 - sp1 - 1);
	if (n >= sizeof(req->target)) {
		req->target_long = true;
		n = 0;
	}
	memcpy(req->target, sp1 + 1, n);
	req->target[n] = '\0';
	return 0;
}

static bool is_token68(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-._~+/", c));
}

/* "Bearer TOKEN" (RFC 6750 §2.1, in Proxy-Authorization) into bearer[]. */
static void proxy_auth(const char *p, const char *e, struct http_request *req)
{
	const char *t;
	size_t n;

	if (req->has_auth) {		/* two credentials: neither counts */
		req->bearer[0] = '\0';
		return;
	}
	req->has_auth = true;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e - p < 8 || strncasecmp(p, "bearer ", 7) != 0)
		return;
	for (p += 7; p < e && *p == ' '; p++)
		;
	for (t = p; t < e && is_token68(*t); t++)
		;
	while (t < e && *t == '=')
		t++;
	n = (size_t)(e - p);
	if (t != e || !n || n >= sizeof(req->bearer))
		return;
	memcpy(req->bearer, p, n);
	req->bearer[n] = '\0';
}

static int header_line(const char *p, const char *e, struct http_request *req)
{
	const char *colon = memchr(p, ':', (size_t)(e - p)), *q;

	if (!colon || colon == p)
		return bad(req, "illegal header line");
	for (q = p; q < colon; q++)
		if (!is_tchar(*q))
			return bad(req, "illegal header line");
	for (q = colon + 1; q < e; q++)
		if (!is_vchar((unsigned char)*q))
			return bad(req, "illegal header line");
	if (colon - p == 4 && !strncasecmp(p, "host", 4)) {
		if (req->has_host)
			return bad(req, "Found multiple Host: headers");
		req->has_host = true;
	}
	if (colon - p == 19 && !strncasecmp(p, "proxy-authorization", 19))
		proxy_auth(colon + 1, e, req);
	return 0;
}

int http_parse_head(const char *buf, size_t len, struct http_request *req)
{
	const char *p = buf, *end = buf + len, *e, *next;
	int err;

	memset(req, 0, sizeof(*req));
	/* h11 skips blank lines before the request line */
	while ((e = line_end(p, end, &next)) && e == p)
		p = next;
	if (!e)
		return -EAGAIN;
	err = request_line(p, e, req);
	if (err)
		return err;
	for (p = next; (e = line_end(p, end, &next)); p = next) {
		if (e == p) {
			if (req->version_minor == 1 && !req->has_host)
				return bad(req, "Missing mandatory Host: header");
			req->head_len = (size_t)(next - buf);
			return 0;
		}
		err = header_line(p, e, req);
		if (err)
			return err;
	}
	return -EAGAIN;
}

static int status_line(const char *p, const char *e, int *status)
{
	const char *q;

	if (e - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return -EPROTO;
	for (q = p + 9; q < p + 12; q++)
		if (*q < '0' || *q > '9')
			return -EPROTO;
	if (e - p > 12 && p[12] != ' ')
		return -EPROTO;
	for (q = p + 12; q < e; q++)
		if (!is_vchar((unsigned char)*q))
			return -EPROTO;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	return *status >= 100 ? 0 : -EPROTO;
}

int http_parse_response(const char *buf, size_t len, int *status,
			size_t *head_len)
{
	const char *p = buf, *end = buf + len, *e, *next, *colon, *q;
	int st;

	*status = 0;
	*head_len = 0;
	e = line_end(p, end, &next);
	if (!e)
		return memcmp(buf, "HTTP/1.", len < 7 ? len : 7) ? -EPROTO :
								  -EAGAIN;
	if (status_line(p, e, &st))
		return -EPROTO;
	for (p = next; (e = line_end(p, end, &next)); p = next) {
		if (e == p) {
			*status = st;
			*head_len = (size_t)(next - buf);
			return 0;
		}
		colon = memchr(p, ':', (size_t)(e - p));
		if (!colon || colon == p)
			return -EPROTO;
		for (q = p; q < colon; q++)
			if (!is_tchar(*q))
				return -EPROTO;
		for (q = colon + 1; q < e; q++)
			if (!is_vchar((unsigned char)*q))
				return -EPROTO;
	}
	return -EAGAIN;
}

int http_response(char *buf, size_t size, int status, const char *body)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!body)
		n = snprintf(buf, size, "HTTP/1.1 %d \r\nDate: %s\r\n"
			     "Server: nmb-exporter\r\nConnection: close\r\n"
			     "\r\n", status, date);
	else
		n = snprintf(buf, size, "HTTP/1.1 %d \r\nDate: %s\r\n"
			     "Server: nmb-exporter\r\nConnection: close\r\n"
			     "%sContent-Type: text/plain; charset=utf-8\r\n"
			     "Content-Length: %zu\r\n\r\n%s\n", status, date,
			     status == 405 ? "Allow: CONNECT\r\n" : "",
			     strlen(body) + 1, body);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

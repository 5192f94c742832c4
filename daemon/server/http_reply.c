// SPDX-License-Identifier: GPL-2.0
/*
 * http_reply.c - one whole HTTP answer (status, common headers, extra
 * ones, body) for the routes of http.c and the page's files of web.c.
 */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int srv_http_reply(struct lws *wsi, unsigned int status, const char *ctype,
		   const char *body, size_t len,
		   const struct srv_http_header *extra, size_t n_extra)
{
	unsigned char hdr[LWS_PRE + 1024], *p = hdr + LWS_PRE;
	unsigned char *end = hdr + sizeof(hdr) - 1;
	unsigned char *buf;
	int ret;

	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end))
		return -1;
	for (size_t i = 0; i < n_extra; i++)
		if (lws_add_http_header_by_name(wsi,
				(const unsigned char *)extra[i].name,
				(const unsigned char *)extra[i].value,
				(int)strlen(extra[i].value), &p, end))
			return -1;
	if (lws_finalize_write_http_header(wsi, hdr + LWS_PRE, &p, end))
		return -1;
	buf = malloc(LWS_PRE + len + 1);
	if (!buf)
		return -1;
	memcpy(buf + LWS_PRE, body, len);
	ret = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
	free(buf);
	if (ret < 0 || lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

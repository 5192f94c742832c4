// SPDX-License-Identifier: GPL-2.0
/*
 * web.c - the farm's web page: index.html, app.js and style.css from
 * daemon/server/www/, built into the binary (no files to install, no
 * build step), served with a strict Content-Security-Policy. The page
 * itself holds no data: it reads everything over /ws with the
 * subscribe_farm method (farm.c), which checks the token's role.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "server.h"

/* Embeds FILE from daemon/server/www/ as SYM[] .. SYM_end[]. */
#define WWW_FILE(sym, file)						\
	__asm__(".pushsection .rodata\n"				\
		".global " #sym "\n"					\
		#sym ":\n"						\
		".incbin \"daemon/server/www/" file "\"\n"		\
		".global " #sym "_end\n"				\
		#sym "_end:\n"						\
		".byte 0\n"						\
		".popsection\n")

WWW_FILE(www_index_html, "index.html");
WWW_FILE(www_app_js, "app.js");
WWW_FILE(www_style_css, "style.css");
extern const char www_index_html[], www_index_html_end[];
extern const char www_app_js[], www_app_js_end[];
extern const char www_style_css[], www_style_css_end[];

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
	    "form-action 'none'; frame-ancestors 'none'"

struct www_file {
	const char *path;
	const char *ctype;
	const char *start, *end;
};

static int reply(struct lws *wsi, unsigned int status, const char *ctype,
		 const char *body, size_t len)
{
	static const struct srv_http_header headers[] = {
		{ "content-security-policy:", CSP },
		{ "x-content-type-options:", "nosniff" },
		{ "x-frame-options:", "DENY" },
		{ "referrer-policy:", "no-referrer" },
		{ "cache-control:", "no-cache" },
	};

	return srv_http_reply(wsi, status, ctype, body, len, headers,
			      sizeof(headers) / sizeof(headers[0]));
}

int srv_web_serve(struct server *srv, struct lws *wsi, const char *path)
{
	const struct www_file files[] = {
		{ "/", "text/html; charset=utf-8",
		  www_index_html, www_index_html_end },
		{ "/index.html", "text/html; charset=utf-8",
		  www_index_html, www_index_html_end },
		{ "/app.js", "text/javascript; charset=utf-8",
		  www_app_js, www_app_js_end },
		{ "/style.css", "text/css; charset=utf-8",
		  www_style_css, www_style_css_end },
	};
	char info[64];
	int n;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(path, files[i].path))
			return reply(wsi, 200, files[i].ctype, files[i].start,
				     (size_t)(files[i].end - files[i].start));
	if (!strcmp(path, "/web-info.json")) {
		n = snprintf(info, sizeof(info), "{\"tokens\":%s}",
			     srv->cfg->ntokens || srv->cfg->auth ? "true" :
			     "false");
		return reply(wsi, 200, "application/json", info, (size_t)n);
	}
	return 1;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proxy_env.h - which outbound HTTP proxy, if any, a connection to the
 * server goes through (Documentation/configuration.rst, "Outbound HTTP
 * proxy"): the proxy: key of exporter.yaml or agent.yaml, else the
 * environment as curl reads it: https_proxy/HTTPS_PROXY for wss:// and
 * https:// servers, http_proxy/HTTP_PROXY for ws:// and http://, and
 * no_proxy/NO_PROXY to go direct (lower case first).
 *
 *	struct proxy_route via;
 *	char err[200];
 *	int n = proxy_route_for(cfg->proxy, "hub.lab", false, &via, err,
 *				sizeof(err));
 *	// n 1: via.host, via.port, via.url; 0: direct; <0: err says why
 *
 * A proxy is http://HOST[:PORT] (port 80 by default; "HOST:PORT" without
 * a scheme is taken as http://). Proxy authentication (user:password@)
 * is not supported: the proxy must admit the host by its address.
 */
#ifndef NMB_PROXY_ENV_H
#define NMB_PROXY_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "url.h"

/* The proxy: value that means "never a proxy", whatever the environment. */
#define PROXY_DIRECT	"direct"

struct proxy_route {
	char host[URL_HOST_MAX];	/* name or address, no brackets */
	unsigned int port;
	char url[URL_HOST_MAX + 16];	/* "http://HOST:PORT", for messages */
	const char *source;		/* "proxy:", "https_proxy", ... */
};

/*
 * configured: the proxy: key (NULL: not set; PROXY_DIRECT: none). Fills
 * *out and returns 1 when a connection to host goes through a proxy,
 * returns 0 when it goes direct, -EINVAL (err: what is wrong, naming
 * the key or variable) when the proxy value is not usable.
 */
int proxy_route_for(const char *configured, const char *host, bool tls,
		    struct proxy_route *out, char *err, size_t errlen);

/*
 * Does the no_proxy list (comma- or space-separated: "*", host names
 * matching themselves and their subdomains, with or without a leading
 * "." or "*.", IP addresses, CIDR blocks like 10.0.0.0/8) cover host?
 */
bool proxy_no_proxy_match(const char *list, const char *host);

/* Checks a proxy: value as proxy_route_for would: 0 or -EINVAL, why. */
int proxy_check(const char *value, const char **why);

#endif /* NMB_PROXY_ENV_H */

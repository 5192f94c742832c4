// SPDX-License-Identifier: GPL-2.0
/*
 * places.c - GET <server>/api/v1/places (wire note §1) with
 * lib/http_client, on the context the hub connection runs on
 * (lib/hub_client): plain or TLS like the hub connection, to the address
 * the hub connection has (no name lookup), so only while connected;
 * through the hub connection's outbound HTTP proxy when it has one (to
 * the server's name then, which the proxy looks up). The body is parsed
 * with json-c; an answer that does not come within 10 s fails.
 *
 * The requests have their own vhost on that context, so that the proxy
 * set on it is the hub connection's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "http_client.h"
#include "hub_client.h"
#include "log.h"
#include "places.h"
#include "protocol.h"

#define BODY_MAX	(16u << 20)
#define TIMEOUT_MS	10000

struct places_req {
	struct agent *a;
	struct http_client_req *http;
	places_cb cb;
	void *arg;
};

static void done(void *arg, int status, const char *body, size_t len,
		 const char *err)
{
	struct places_req *r = arg;
	json_object *o = NULL, *places = NULL;
	char why[512];

	(void)len;
	r->http = NULL;		/* http_client frees it after done */
	if (err)
		snprintf(why, sizeof(why),
			 "server %s: cannot get the place list: %s",
			 r->a->cfg.server, err);
	else if (status != 200)
		snprintf(why, sizeof(why),
			 "server %s: the place list answered HTTP %d",
			 r->a->cfg.server, status);
	else if (!(o = json_tokener_parse(body)) ||
		 !json_object_object_get_ex(o, "places", &places) ||
		 !json_object_is_type(places, json_type_array))
		snprintf(why, sizeof(why),
			 "server %s: the place list is not {\"places\": [...]}",
			 r->a->cfg.server);
	else
		why[0] = '\0';
	r->cb(r->arg, why[0] ? NULL : places, why[0] ? why : NULL);
	json_object_put(o);
	free(r);
}

/* The hub connection's proxy (or none) on the requests' vhost. */
static int hub_proxy(void *arg, struct lws_vhost *vh)
{
	struct agent *a = arg;

	return a->hub ? hub_client_proxy_vhost(a->hub, vh) : -1;
}

struct places_req *places_fetch(struct agent *a, places_cb cb, void *arg)
{
	struct http_client_opts o = {
		.ca_file = a->cfg.ca_file,
		.insecure = a->cfg.insecure,
		.timeout_ms = TIMEOUT_MS,
		.body_max = BODY_MAX,
		.bearer = a->cfg.token,
		.vhost_name = "nmb-agent-places",
		.vhost_setup = hub_proxy,
		.vhost_setup_arg = a,
	};
	char addr[URL_HOST_MAX], authority[URL_HOST_MAX + 16], url[1400];
	struct places_req *r;

	if (!a->hub_lws || !a->hub ||
	    hub_client_peer(a->hub, addr, sizeof(addr)))
		return NULL;
	/* through the proxy, the proxy resolves the server's name */
	o.address = hub_client_proxy(a->hub) ? a->url.host : addr;
	url_authority(&a->url, authority, sizeof(authority));
	if (snprintf(url, sizeof(url), "%s://%s%s/api/v1/places",
		     a->url.tls ? "https" : "http", authority, a->url.path) >=
	    (int)sizeof(url))
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->a = a;
	r->cb = cb;
	r->arg = arg;
	r->http = http_client_start(a->hub_lws, url, &o, done, r);
	if (!r->http) {
		log_warn("server %s: cannot start the request for the place list",
			 a->cfg.server);
		free(r);
		return NULL;
	}
	return r;
}

void places_cancel(struct places_req *r)
{
	if (!r)
		return;
	http_client_cancel(r->http);
	free(r);
}

const char *places_host(const struct agent *a, json_object *place)
{
	json_object *h;
	const char *host;

	if (!json_object_object_get_ex(place, "host", &h))
		return a->url.host;
	host = json_object_get_string(h);
	return url_is_loopback(host) ? a->url.host : host;
}

bool places_relay_tls(json_object *place)
{
	json_object *v;

	return place && json_object_object_get_ex(place, WIRE_PLACE_RELAY_TLS,
						  &v) &&
	       json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

json_object *places_find(json_object *places, const char *name, int id)
{
	for (size_t i = 0; i < json_object_array_length(places); i++) {
		json_object *p = json_object_array_get_idx(places, i), *v;

		if (name && json_object_object_get_ex(p, "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return p;
		if (!name && json_object_object_get_ex(p, "id", &v) &&
		    json_object_get_int(v) == id)
			return p;
	}
	return NULL;
}

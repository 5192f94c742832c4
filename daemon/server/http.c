// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the HTTP routes of the not-my-board hub: /api/v1/places,
 * /api/v1/auth-info, /metrics, /oidc-callback, the web page (web.c), 404
 * for the rest. The method is not checked, as in not-my-board.
 */
#include <stdlib.h>
#include <string.h>

#include "auth_config.h"
#include "http.h"
#include "login.h"
#include "metrics.h"
#include "place.h"
#include "server.h"

static int http_reply(struct lws *wsi, unsigned int status,
		      const char *ctype, const char *body, size_t len)
{
	return srv_http_reply(wsi, status, ctype, body, len, NULL, 0);
}

static int http_json(struct lws *wsi, json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
			&len);
	int ret = http_reply(wsi, 200, "application/json", s, len);

	json_object_put(o);
	return ret;
}

/* auth note §3: {} without auth; show_claims only when set. */
static json_object *auth_info(const struct srv_auth_cfg *a)
{
	json_object *o = json_object_new_object(), *show;
	const struct srv_auth_issuer *is;

	if (!a || !o)
		return o;
	json_object_object_add(o, "issuer", json_object_new_string(a->issuer));
	json_object_object_add(o, "client_id",
			       json_object_new_string(a->client_id));
	is = srv_auth_issuer(a, a->issuer);
	if (is && is->show) {
		show = json_object_new_array();
		for (size_t i = 0; i < is->n_show; i++)
			json_object_array_add(show,
				json_object_new_string(is->show[i]));
		json_object_object_add(o, "show_claims", show);
	}
	return o;
}

int srv_http_serve(struct server *srv, struct lws *wsi, const char *path)
{
	json_object *o, *list;
	struct srv_place *p;
	size_t len;
	char *text;
	int ret;

	ret = srv_web_serve(srv, wsi, path);
	if (ret <= 0)
		return ret;
	if (!strcmp(path, "/api/v1/places")) {
		list = json_object_new_array();
		TAILQ_FOREACH(p, &srv->sched.places, link)
			json_object_array_add(list, srv_place_json(p));
		o = json_object_new_object();
		json_object_object_add(o, "places", list);
		return http_json(wsi, o);
	}
	if (!strcmp(path, "/api/v1/auth-info"))
		return http_json(wsi, auth_info(srv->cfg->auth));
	if (!strcmp(path, "/metrics")) {
		text = srv_metrics_render(srv, &len);
		if (!text)
			return -1;
		ret = http_reply(wsi, 200,
				 "text/plain; version=0.0.4; charset=utf-8",
				 text, len);
		free(text);
		return ret;
	}
	if (!strcmp(path, "/oidc-callback"))
		return srv_login_callback(srv, wsi);
	return http_reply(wsi, 404, "text/plain; charset=utf-8",
			  "Page not found", 14);
}

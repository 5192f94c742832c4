// SPDX-License-Identifier: GPL-2.0
/*
 * idp.c - each trusted issuer's discovery document and JWKS: fetched
 * (fetch.c), checked (lib/jwks: the discovery "issuer" must be the
 * issuer itself, which not-my-board does not check), cached for the
 * lifetime lib/http_cache gives, refetched when stale or when a kid is
 * unknown (once per SRV_IDP_KID_REFETCH_S). A failed fetch marks the
 * provider down: requests fail at once, and a retry with exponential
 * backoff (SRV_IDP_RETRY_MIN_S to SRV_IDP_RETRY_MAX_S) runs until a
 * fetch succeeds. Waiters are answered from a zero-delay timer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_config.h"
#include "clock.h"
#include "fetch.h"
#include "idp.h"
#include "jwks.h"
#include "log.h"
#include "server.h"
#include "timer.h"

#define WELL_KNOWN	"/.well-known/openid-configuration"

LIST_HEAD(srv_idp_waits, srv_idp_wait);

struct srv_idp {
	struct server *srv;
	const char *issuer;		/* the configuration's string */
	struct oidc_discovery disc;
	bool have_disc;
	uint64_t disc_until_us, keys_until_us;	/* srv_now_us() */
	struct jwks *keys;
	struct srv_fetch *fetch;
	bool fetching_keys;		/* the fetch is the JWKS */
	bool down;
	char why[200];			/* why down */
	unsigned int retry_s;
	uint64_t kid_refetch_us;	/* last refetch for an unknown kid */
	struct srv_timer *retry, *kick;
	struct srv_idp_waits waits;
};

static void answer(struct server *srv, void *data)
{
	struct srv_idp *idp = data;
	struct srv_idp_waits now;
	char err[300];

	(void)srv;
	snprintf(err, sizeof(err),
		 "identity provider unreachable (%s): %s; try again later",
		 idp->issuer, idp->why);
	/* callbacks may ask again: they wait for the next answer */
	LIST_INIT(&now);
	while (!LIST_EMPTY(&idp->waits)) {
		struct srv_idp_wait *w = LIST_FIRST(&idp->waits);

		LIST_REMOVE(w, link);
		LIST_INSERT_HEAD(&now, w, link);
	}
	while (!LIST_EMPTY(&now)) {
		struct srv_idp_wait *w = LIST_FIRST(&now);

		LIST_REMOVE(w, link);
		w->idp = NULL;
		if (idp->down || !idp->keys)
			w->cb(w->arg, NULL, err);
		else
			w->cb(w->arg, idp->keys, NULL);
	}
}

static void failed(struct srv_idp *idp, const char *fmt, const char *s)
{
	snprintf(idp->why, sizeof(idp->why), fmt, s);
	if (!idp->retry_s)
		idp->retry_s = SRV_IDP_RETRY_MIN_S;
	else if (idp->retry_s < SRV_IDP_RETRY_MAX_S)
		idp->retry_s = idp->retry_s * 2 > SRV_IDP_RETRY_MAX_S ?
			       SRV_IDP_RETRY_MAX_S : idp->retry_s * 2;
	log_warn("identity provider %s unreachable: %s; retrying in %u s (calls needing its tokens fail meanwhile)",
		 idp->issuer, idp->why, idp->retry_s);
	idp->down = true;
	srv_timer_set(idp->retry, idp->retry_s * 1000000ull);
	srv_timer_set(idp->kick, 0);
}

static void succeeded(struct srv_idp *idp)
{
	if (idp->down)
		log_info("identity provider %s reachable again: %zu signing key(s)",
			 idp->issuer, jwks_count(idp->keys));
	else
		log_debug("identity provider %s: %zu signing key(s), %zu skipped",
			  idp->issuer, jwks_count(idp->keys),
			  jwks_skipped(idp->keys));
	idp->down = false;
	idp->retry_s = 0;
	srv_timer_stop(idp->retry);
	srv_timer_set(idp->kick, 0);
}

static void got_keys(void *arg, const struct srv_fetch_result *r)
{
	struct srv_idp *idp = arg;
	struct jwks *ks;
	const char *why;
	char why_buf[64];

	idp->fetch = NULL;
	if (r->err)
		return failed(idp, "JWKS: %s", r->err);
	if (r->status != 200) {
		snprintf(why_buf, sizeof(why_buf), "JWKS answered HTTP %d",
			 r->status);
		return failed(idp, "%s", why_buf);
	}
	ks = jwks_parse(r->body, r->len, &why);
	if (!ks)
		return failed(idp, "JWKS refused: %s", why);
	jwks_free(idp->keys);
	idp->keys = ks;
	idp->keys_until_us = srv_now_us() + (uint64_t)r->fresh_s * 1000000;
	succeeded(idp);
}

static void fetch_keys(struct srv_idp *idp)
{
	const struct srv_auth_cfg *a = idp->srv->cfg->auth;

	idp->fetching_keys = true;
	idp->fetch = srv_fetch_start(idp->srv, idp->disc.jwks_uri, a->ca_file,
				     JWKS_MAX_DOC, got_keys, idp);
	if (!idp->fetch)
		failed(idp, "cannot fetch jwks_uri %s", idp->disc.jwks_uri);
}

static void got_discovery(void *arg, const struct srv_fetch_result *r)
{
	struct srv_idp *idp = arg;
	struct oidc_discovery d;
	const char *why;
	char why_buf[64];
	int ret;

	idp->fetch = NULL;
	if (r->err)
		return failed(idp, "discovery: %s", r->err);
	if (r->status != 200) {
		snprintf(why_buf, sizeof(why_buf),
			 "discovery answered HTTP %d", r->status);
		return failed(idp, "%s", why_buf);
	}
	ret = oidc_discovery_parse(r->body, r->len, idp->issuer, false, &d,
				   &why);
	if (ret)
		return failed(idp, "discovery document refused: %s", why);
	oidc_discovery_free(&idp->disc);
	idp->disc = d;
	idp->have_disc = true;
	idp->disc_until_us = srv_now_us() + (uint64_t)r->fresh_s * 1000000;
	fetch_keys(idp);
}

/* Fetches what is stale: the discovery document, then the JWKS. */
static void start(struct srv_idp *idp, bool keys_only)
{
	char url[OIDC_MAX_URL + sizeof(WELL_KNOWN)];
	size_t n = strlen(idp->issuer);

	if (idp->fetch)
		return;
	if (keys_only && idp->have_disc &&
	    srv_now_us() < idp->disc_until_us)
		return fetch_keys(idp);
	while (n && idp->issuer[n - 1] == '/')
		n--;
	snprintf(url, sizeof(url), "%.*s%s", (int)n, idp->issuer, WELL_KNOWN);
	idp->fetching_keys = false;
	idp->fetch = srv_fetch_start(idp->srv, url,
				     idp->srv->cfg->auth->ca_file,
				     JWKS_MAX_DOC, got_discovery, idp);
	if (!idp->fetch)
		failed(idp, "cannot fetch %s", url);
}

static void retry(struct server *srv, void *data)
{
	(void)srv;
	start(data, true);
}

static struct srv_idp *find(struct server *srv, const char *iss)
{
	for (size_t i = 0; iss && i < srv->n_idp; i++)
		if (!strcmp(srv->idp[i].issuer, iss))
			return &srv->idp[i];
	return NULL;
}

int srv_idp_keys(struct server *srv, const char *iss, const char *kid,
		 struct srv_idp_wait *w, srv_idp_cb cb, void *arg)
{
	struct srv_idp *idp = find(srv, iss);
	uint64_t now = srv_now_us();

	if (!idp)
		return -ENOENT;
	srv_idp_cancel(w);
	w->idp = idp;
	w->cb = cb;
	w->arg = arg;
	snprintf(w->kid, sizeof(w->kid), "%s", kid ? kid : "");
	LIST_INSERT_HEAD(&idp->waits, w, link);
	if (idp->fetch && !idp->down)
		return 0;	/* answered when it ends */
	if (!idp->down && kid && idp->keys && now < idp->keys_until_us &&
	    !jwks_has_kid(idp->keys, kid) &&
	    (!idp->kid_refetch_us || now - idp->kid_refetch_us >=
	     SRV_IDP_KID_REFETCH_S * 1000000ull)) {
		log_info("identity provider %s: unknown kid \"%s\"; fetching its keys again",
			 idp->issuer, log_esc(kid));
		idp->kid_refetch_us = now;
		idp->keys_until_us = 0;
	}
	if (!idp->down && (!idp->keys || now >= idp->keys_until_us))
		start(idp, true);
	else
		srv_timer_set(idp->kick, 0);
	return 0;
}

const char *srv_idp_status(struct server *srv, size_t i, bool *up)
{
	if (i >= srv->n_idp)
		return NULL;
	*up = srv->idp[i].keys && !srv->idp[i].down;
	return srv->idp[i].issuer;
}

void srv_idp_cancel(struct srv_idp_wait *w)
{
	if (!w->idp)
		return;
	LIST_REMOVE(w, link);
	w->idp = NULL;
}

int srv_idp_init(struct server *srv)
{
	const struct srv_auth_cfg *a = srv->cfg->auth;

	if (!a)
		return 0;
	srv->idp = calloc(a->n_trusted, sizeof(*srv->idp));
	if (!srv->idp)
		return -ENOMEM;
	srv->n_idp = a->n_trusted;
	for (size_t i = 0; i < a->n_trusted; i++) {
		struct srv_idp *idp = &srv->idp[i];

		idp->srv = srv;
		idp->issuer = a->trusted[i];
		LIST_INIT(&idp->waits);
		idp->retry = srv_timer_new(srv, retry, idp);
		idp->kick = srv_timer_new(srv, answer, idp);
		if (!idp->retry || !idp->kick)
			return -ENOMEM;
		log_info("trusting identity provider %s (client_id %s)",
			 idp->issuer, a->client_id);
		start(idp, false);
	}
	return 0;
}

void srv_idp_free(struct server *srv)
{
	for (size_t i = srv->n_idp; i--;) {
		struct srv_idp *idp = &srv->idp[i];

		while (!LIST_EMPTY(&idp->waits))
			srv_idp_cancel(LIST_FIRST(&idp->waits));
		srv_fetch_cancel(idp->fetch);
		srv_timer_free(&idp->kick);
		srv_timer_free(&idp->retry);
		jwks_free(idp->keys);
		oidc_discovery_free(&idp->disc);
	}
	free(srv->idp);
	srv->idp = NULL;
	srv->n_idp = 0;
}

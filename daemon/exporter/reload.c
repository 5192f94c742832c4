// SPDX-License-Identifier: GPL-2.0
/*
 * reload.c - SIGHUP: exporter.yaml read again, and the running places
 * brought in line with it, one place at a time.
 *
 * A place is known by its name. One the file no longer has stops as when
 * the exporter leaves: its USB exports are stopped, its tunnels closed,
 * its hub connection closed (the server ends its reservation by its usual
 * rules). One the file adds starts as at start-up. One whose description
 * (port, parts, interfaces, emulated board) changed does both, and
 * registers again. One unchanged is left alone, its tunnels, USB exports
 * and hub connection included: the place the old file made stays, with
 * its strings (conf_ref).
 *
 * The other keys (server, token, tls, state_dir, metrics_listen,
 * log_level aside) are read at start only: a change is logged and waits
 * for a restart. A file with an error changes nothing at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dial_out.h"
#include "exporter.h"
#include "log.h"
#include "proxy.h"
#include "server_link.h"
#include "session.h"
#include "usb.h"
#include "virtual.h"

int exporter_place_start(struct exporter *e, struct place *p)
{
	int err;

	p->exp = e;
	dial_out_start(p);
	session_load_place(e, p);
	err = usb_place_start(e, p);
	if (!err)
		err = virtual_place_start(p);
	if (!err)
		err = proxy_start(p);
	if (!err)
		err = server_link_start(p);
	if (err)
		exporter_place_stop(e, p);
	return err;
}

/* Reverse order of exporter_place_start; each step copes with "never". */
void exporter_place_stop(struct exporter *e, struct place *p)
{
	server_link_stop(p);
	dial_out_stop(p);
	/* USB first: exports are stopped before their records go. */
	usb_place_stop(e, p);
	proxy_stop(p);
	proxy_set_allowed(p, NULL, 0, NULL);
	virtual_place_stop(p);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Keys read at start only: a change waits for a restart. */
static void warn_fixed(const struct exporter *e,
		       const struct exporter_conf *now)
{
	const struct exporter_conf *was = &e->cfg;
	static const char *const fmt =
		"%s: '%s' changed; it takes effect at the next restart";

	if (!e->server_override && !same_str(was->server, now->server))
		log_warn(fmt, e->config_file, "server");
	if (!same_str(was->token, now->token))
		log_warn(fmt, e->config_file, "token");
	if (!same_str(was->proxy, now->proxy))
		log_warn(fmt, e->config_file, "proxy");
	if (!e->token_cmd_override && !same_str(was->token_cmd, now->token_cmd))
		log_warn(fmt, e->config_file, "token_cmd");
	if (!e->token_store_override &&
	    !same_str(was->token_store, now->token_store))
		log_warn(fmt, e->config_file, "token_store");
	if (!same_str(was->ca_file, now->ca_file) ||
	    was->tls_verify != now->tls_verify)
		log_warn(fmt, e->config_file, "tls");
	if (!same_str(was->state_dir, now->state_dir))
		log_warn(fmt, e->config_file, "state_dir");
	if (!same_str(was->metrics_listen, now->metrics_listen))
		log_warn(fmt, e->config_file, "metrics_listen");
}

/*
 * The new list of places: the old place where it is unchanged, else the
 * new one (started). Old places that go are stopped first and freed at
 * the end; new places not taken (copies of unchanged ones) go with the
 * new configuration.
 */
int exporter_reload(struct exporter *e)
{
	int log_priority = nmb_log_priority();
	struct exporter_conf now;
	struct place **places, **gone, *p, *old;
	size_t i, n_gone = 0, added = 0, changed = 0, kept = 0, removed = 0;
	int err;

	log_notice("%s: reloading", e->config_file);
	err = config_load(e->config_file, &now);
	if (e->verbose)		/* -v wins over log_level, as at start */
		nmb_log_set_priority(LOG_DEBUG);
	if (err) {
		nmb_log_set_priority(log_priority);
		log_err("%s: not reloaded; the %zu place(s) run as before",
			e->config_file, e->cfg.n_places);
		return err;
	}
	warn_fixed(e, &now);
	/* Arrays of pointers: sizeof(struct place *) is meant. */
	places = calloc(now.n_places + 1, sizeof(*places)); /* NOLINT(bugprone-sizeof-expression) */
	gone = calloc(e->cfg.n_places + 1, sizeof(*gone)); /* NOLINT(bugprone-sizeof-expression) */
	if (!places || !gone) {
		free(places);
		free(gone);
		config_free(&now);
		log_err("%s: not reloaded: out of memory", e->config_file);
		return -ENOMEM;
	}
	/* First stop what goes, so that its port and busids are free. */
	for (i = 0; i < e->cfg.n_places; i++) {
		old = e->cfg.places[i];
		p = config_find_place(&now, old->name);
		if (p && config_place_same(old, p))
			continue;
		log_notice("place %s: %s; stopping it", old->name,
			   p ? "changed" : "no longer in the configuration");
		exporter_place_stop(e, old);
		gone[n_gone++] = old;
		if (p)
			changed++;
		else
			removed++;
	}
	for (i = 0; i < now.n_places; i++) {
		p = now.places[i];
		old = config_find_place(&e->cfg, p->name);
		if (old && config_place_same(old, p)) {
			proxy_set_ip_fallback(old, p->ip_fallback);
			places[i] = old;
			kept++;
			continue;
		}
		places[i] = p;
		now.places[i] = NULL;	/* e->cfg owns it from here */
		if (!old)
			added++;
		log_notice("place %s: %s", p->name,
			   old ? "starting with its new description" :
				 "new in the configuration; starting");
		/* A place that cannot start is logged and left stopped. */
		if (exporter_place_start(e, p))
			log_err("place %s: not started; fix the cause and reload again",
				p->name);
	}
	while (n_gone)
		config_place_free(gone[--n_gone]);
	free(gone);
	free(e->cfg.places);
	e->cfg.places = places;
	e->cfg.n_places = now.n_places;
	config_free(&now);	/* the places taken are NULL in its list */
	session_save(e);
	log_notice("%s: reloaded: %zu place(s) added, %zu changed, %zu removed, %zu unchanged",
		   e->config_file, added, changed, removed, kept);
	return 0;
}

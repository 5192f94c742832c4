// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - nmb-exporter's YAML configuration: places, parts and
 * interfaces, checked completely before anything starts.
 *
 * /etc/nmb/exporter.yaml (or -c FILE). Every key:
 *
 *   server: ws://hub.example:2092   # hub URL: ws, wss, http or https;
 *                                   # "/ws" is appended to the path.
 *                                   # Required unless --server is given.
 *   token: SECRET                   # optional; sent to the hub as
 *                                   # "Authorization: Bearer SECRET"
 *   token_cmd: CMD                  # optional, OpenID Connect: the
 *                                   # hub's get_id_token runs it
 *   token_store: PATH               # else tokens from this store
 *                                   # (default state_dir/auth_tokens.json)
 *   tls:                            # optional, for wss/https
 *     ca_file: /etc/nmb/ca.pem      # CA bundle (default: system store)
 *     verify: true                  # false: accept any certificate
 *   state_dir: /var/lib/nmb-exporter  # optional: where sessions.json
 *                                   # keeps the hub sessions across
 *                                   # restarts (default: systemd's
 *                                   # $STATE_DIRECTORY, else this)
 *   log_level: info                 # optional: err, warning, notice,
 *                                   # info (default), debug
 *   places:                         # required, one or more
 *     - name: rpi-3                 # required, unique; 1 to 64
 *                                   # printable ASCII characters, no
 *                                   # spaces (lib/place_name.h)
 *       port: 2192                  # required, 1..65535, unique: the
 *                                   # CONNECT proxy listens there
 *       dial_out: false             # true: no port, no listening
 *                                   # socket; agents come through the
 *                                   # server's relay (dial_out.c)
 *       parts:                      # required list, may be empty
 *         - compatible: [raspberry-pi]   # required list of strings
 *           usb:                    # optional: interface -> busid
 *             serial: {usbid: "1-4.2"}   # a port busid, each busid
 *                                        # in one place only
 *           tcp:                    # optional: interface -> endpoint
 *             scpi: {host: 192.168.7.20, port: 5025}
 *           virtual:                # optional: an emulated board, see
 *             kernel: /path/vmlinuz # virtual_conf.c for every key
 *
 * Unknown keys are errors. Each error is logged as FILE:LINE: key 'PATH':
 * what is wrong; if there is any, nothing starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "log.h"
#include "metrics_http.h"
#include "place_name.h"
#include "proxy_env.h"
#include "usbip.h"
#include "url.h"
#include "virtual.h"

static const char **str_list(struct conf_node *seq, size_t *n)
{
	const char **v = calloc(conf_len(seq) + 1, sizeof(*v));
	struct conf_node *it;

	*n = 0;
	if (!v)
		return NULL;
	conf_foreach(it, seq) {
		const char *s;

		if (conf_node_str(it, &s) == 0)
			v[(*n)++] = s;
	}
	return v;
}

static void load_usb(struct conf_node *map, struct part *pt)
{
	struct conf_node *it;

	pt->usb = calloc(conf_len(map) + 1, sizeof(*pt->usb));
	if (!pt->usb)
		return;
	conf_foreach(it, map) {
		struct usb_if *u = &pt->usb[pt->n_usb];
		struct conf_node *v;

		if (it->type != CONF_MAP) {
			conf_error(it, "expected a map with 'usbid'");
			continue;
		}
		u->name = it->key;
		if (conf_str(it, "usbid", &u->busid, true))
			continue;
		v = conf_get(it, "usbid", CONF_ANY, false);
		if (!usbip_busid_valid(u->busid)) {
			conf_error(v, "'%s' is not a USB port busid like 1-4.2",
				   u->busid);
			continue;
		}
		conf_check_unknown(it);
		pt->n_usb++;
	}
}

static void load_tcp(struct conf_node *map, struct part *pt)
{
	struct conf_node *it;

	pt->tcp = calloc(conf_len(map) + 1, sizeof(*pt->tcp));
	if (!pt->tcp)
		return;
	conf_foreach(it, map) {
		struct tcp_if *t = &pt->tcp[pt->n_tcp];
		long long port;

		if (it->type != CONF_MAP) {
			conf_error(it, "expected a map with 'host' and 'port'");
			continue;
		}
		t->name = it->key;
		if (conf_str(it, "host", &t->host, true) ||
		    conf_int(it, "port", &port, 1, 65535, true))
			continue;
		if (!t->host[0] || strpbrk(t->host, " \t\r\n")) {
			conf_error(conf_get(it, "host", CONF_ANY, false),
				   "expected a host name or IP address");
			continue;
		}
		if (strpbrk(t->host, "[]:")) {
			conf_error(conf_get(it, "host", CONF_ANY, false),
				   "IPv6 addresses are not supported here: the CONNECT target HOST:PORT is split at its first ':' (as not-my-board does); use a host name that resolves to the address");
			continue;
		}
		conf_check_unknown(it);
		t->port = (unsigned int)port;
		if (asprintf(&t->target, "%s:%u", t->host, t->port) < 0)
			t->target = NULL;
		pt->n_tcp++;
	}
}

static void load_place(struct conf_node *n, struct place *p)
{
	struct conf_node *parts, *it;
	char why[128];
	long long port;

	if (n->type != CONF_MAP) {
		conf_error(n, "expected a map");
		return;
	}
	if (!conf_str(n, "name", &p->name, true) &&
	    place_name_check(p->name, strlen(p->name), why, sizeof(why)))
		conf_error(conf_get(n, "name", CONF_ANY, false), "%s", why);
	conf_bool(n, "dial_out", &p->dial_out, false);
	if (p->dial_out && conf_get(n, "port", CONF_ANY, false))
		conf_error(conf_get(n, "port", CONF_ANY, false),
			   "a dial_out place has no port: agents reach it through the server's relay");
	else if (!p->dial_out &&
		 conf_int(n, "port", &port, 1, 65535, true) == 0)
		p->port = (unsigned int)port;
	p->ip_fallback = true;
	conf_bool(n, "ip_fallback", &p->ip_fallback, false);
	parts = conf_get(n, "parts", CONF_SEQ, true);
	p->parts = calloc(conf_len(parts) + 1, sizeof(*p->parts));
	if (!p->parts)
		return;
	conf_foreach(it, parts) {
		struct part *pt = &p->parts[p->n_parts++];
		struct conf_node *c;

		if (it->type != CONF_MAP) {
			conf_error(it, "expected a map");
			continue;
		}
		c = conf_get(it, "compatible", CONF_SEQ, true);
		pt->compatible = str_list(c, &pt->n_compatible);
		load_usb(conf_get(it, "usb", CONF_MAP, false), pt);
		load_tcp(conf_get(it, "tcp", CONF_MAP, false), pt);
		virtual_conf_load(conf_get(it, "virtual", CONF_MAP, false), pt);
		conf_check_unknown(it);
	}
	conf_check_unknown(n);
}

/* Names, ports and busids must be unique across places. */
static void check_unique(struct exporter_conf *cfg, struct conf_node *seq)
{
	struct conf_node *ni = seq ? seq->child : NULL, *nj;
	size_t i, j;

	for (i = 0; i < cfg->n_places; i++, ni = ni->next) {
		struct place *p = cfg->places[i];

		for (j = 0, nj = seq->child; j < i; j++, nj = nj->next) {
			struct place *q = cfg->places[j];

			if (p->name && q->name && !strcmp(p->name, q->name))
				conf_error(ni, "place name '%s' is already used at line %d",
					   p->name, nj->line);
			if (p->port && p->port == q->port)
				conf_error(ni, "port %u is already used by place '%s'",
					   p->port, q->name ? q->name : "?");
		}
	}
}

/* A busid may be exported once; the first holder is named. */
static void check_busids(struct exporter_conf *cfg, struct conf_node *seq)
{
	struct conf_node *ni = seq ? seq->child : NULL;
	const char **seen, **owner;	/* busids so far, their places */
	size_t n = 0, i, j, k, m;

	n = config_n_usb(cfg);
	seen = calloc(n + 1, sizeof(*seen));
	owner = calloc(n + 1, sizeof(*owner));
	if (!seen || !owner)
		goto out;
	n = 0;
	for (i = 0; i < cfg->n_places; i++, ni = ni->next) {
		const struct place *p = cfg->places[i];

		for (j = 0; j < p->n_parts; j++)
			for (k = 0; k < p->parts[j].n_usb; k++) {
				const struct usb_if *u = &p->parts[j].usb[k];

				for (m = 0; m < n; m++)
					if (!strcmp(seen[m], u->busid))
						break;
				if (m < n) {
					conf_error(ni, "busid %s is exported twice (also by place '%s')",
						   u->busid, owner[m]);
					continue;
				}
				seen[n] = u->busid;
				owner[n++] = p->name ? p->name : "?";
			}
	}
out:
	free(seen);
	free(owner);
}

static int parse_log_level(struct conf_node *root)
{
	static const struct {
		const char *name;
		int prio;
	} levels[] = {
		{ "err", LOG_ERR }, { "warning", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	const char *s;
	size_t i;

	if (conf_str(root, "log_level", &s, false))
		return 0;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(s, levels[i].name)) {
			nmb_log_set_priority(levels[i].prio);
			return 0;
		}
	return conf_error(conf_get(root, "log_level", CONF_ANY, false),
			  "expected err, warning, notice, info or debug");
}

int config_load(const char *file, struct exporter_conf *cfg)
{
	struct conf_node *root, *places, *tls, *it;
	const char *why;
	struct url url;

	memset(cfg, 0, sizeof(*cfg));
	cfg->tls_verify = true;
	cfg->conf = conf_load(file);
	if (!cfg->conf) {
		int err = errno;

		if (err == ENOENT)
			log_err("%s: no such file; create it or pass -c FILE",
				file);
		return -err;
	}
	root = conf_root(cfg->conf);
	if (!conf_str(root, "server", &cfg->server, false) &&
	    url_parse(cfg->server, &url, &why))
		conf_error(conf_get(root, "server", CONF_ANY, false),
			   "'%.200s': %s", cfg->server, why);
	conf_str(root, "token", &cfg->token, false);
	if (!conf_str(root, "proxy", &cfg->proxy, false) &&
	    proxy_check(cfg->proxy, &why))
		conf_error(conf_get(root, "proxy", CONF_ANY, false),
			   "'%.200s': %s (or \"" PROXY_DIRECT "\")", cfg->proxy,
			   why);
	if (!conf_str(root, "token_cmd", &cfg->token_cmd, false) &&
	    !*cfg->token_cmd)
		conf_error(conf_get(root, "token_cmd", CONF_ANY, false),
			   "expected a shell command that prints an ID token");
	conf_path(root, "token_store", &cfg->token_store, false);
	if (conf_str(root, "state_dir", &cfg->state_dir, false))
		cfg->state_dir = getenv("STATE_DIRECTORY");
	if (!cfg->state_dir || !*cfg->state_dir)
		cfg->state_dir = DEFAULT_STATE_DIR;
	if (!conf_str(root, "metrics_listen", &cfg->metrics_listen, false) &&
	    cfg->metrics_listen && metrics_http_check(cfg->metrics_listen))
		conf_error(conf_get(root, "metrics_listen", CONF_ANY, false),
			   "expected ADDRESS:PORT, [IPv6]:PORT or :PORT");
	tls = conf_get(root, "tls", CONF_MAP, false);
	conf_path(tls, "ca_file", &cfg->ca_file, false);
	conf_bool(tls, "verify", &cfg->tls_verify, false);
	if (tls)
		conf_check_unknown(tls);
	parse_log_level(root);
	places = conf_get(root, "places", CONF_SEQ, true);
	if (places && !conf_len(places))
		conf_error(places, "expected at least one place");
	cfg->places = calloc(conf_len(places) + 1, sizeof(*cfg->places)); /* NOLINT(bugprone-sizeof-expression): pointers */
	if (!cfg->places) {
		config_free(cfg);
		return -ENOMEM;
	}
	conf_foreach(it, places) {
		struct place *p = calloc(1, sizeof(*p));

		if (!p) {
			config_free(cfg);
			return -ENOMEM;
		}
		p->conf = conf_ref(cfg->conf);
		INIT_LIST_HEAD(&p->conns);
		p->lfd_fd[0] = p->lfd_fd[1] = -1;
		cfg->places[cfg->n_places++] = p;
		load_place(it, p);
	}
	check_unique(cfg, places);
	check_busids(cfg, places);
	conf_check_unknown(root);
	if (conf_errors(cfg->conf)) {
		log_err("%s: %u error(s) in the configuration", file,
			conf_errors(cfg->conf));
		config_free(cfg);
		return -EINVAL;
	}
	return 0;
}

void config_place_free(struct place *p)
{
	size_t j, k;

	if (!p)
		return;
	for (j = 0; j < p->n_parts; j++) {
		for (k = 0; k < p->parts[j].n_tcp; k++)
			free(p->parts[j].tcp[k].target);
		free(p->parts[j].compatible);
		free(p->parts[j].usb);
		free(p->parts[j].tcp);
		virtual_conf_free(&p->parts[j]);
	}
	free(p->parts);
	conf_free(p->conf);
	free(p);
}

void config_free(struct exporter_conf *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_places; i++)
		config_place_free(cfg->places[i]);
	free(cfg->places);
	conf_free(cfg->conf);
	memset(cfg, 0, sizeof(*cfg));
}

json_object *config_place_desc(const struct place *p)
{
	json_object *d = json_object_new_object(), *parts = json_object_new_array();
	size_t i, j;

	json_object_object_add(d, "name", json_object_new_string(p->name));
	if (p->dial_out)	/* the server's relay gives the port */
		json_object_object_add(d, "dial_out",
				       json_object_new_boolean(1));
	else
		json_object_object_add(d, "port",
				       json_object_new_int((int)p->port));
	for (i = 0; i < p->n_parts; i++) {
		const struct part *pt = &p->parts[i];
		json_object *o = json_object_new_object();
		json_object *c = json_object_new_array();
		json_object *usb = json_object_new_object();
		json_object *tcp = json_object_new_object();

		for (j = 0; j < pt->n_compatible; j++)
			json_object_array_add(c, json_object_new_string(pt->compatible[j]));
		for (j = 0; j < pt->n_usb; j++) {
			json_object *u = json_object_new_object();

			json_object_object_add(u, "usbid",
					       json_object_new_string(pt->usb[j].busid));
			json_object_object_add(usb, pt->usb[j].name, u);
		}
		for (j = 0; j < pt->n_tcp; j++) {
			json_object *t = json_object_new_object();

			json_object_object_add(t, "host",
					       json_object_new_string(pt->tcp[j].host));
			json_object_object_add(t, "port",
					       json_object_new_int((int)pt->tcp[j].port));
			json_object_object_add(tcp, pt->tcp[j].name, t);
		}
		json_object_object_add(o, "compatible", c);
		json_object_object_add(o, "usb", usb);
		json_object_object_add(o, "tcp", tcp);
		json_object_array_add(parts, o);
	}
	json_object_object_add(d, "parts", parts);
	return d;
}

static bool same_strs(const char *const *a, const char *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* The configured interfaces; a board's own (virtual_conf.c) aside. */
static size_t n_own_tcp(const struct part *pt)
{
	return pt->virt ? pt->virt->first_tcp : pt->n_tcp;
}

static bool same_part(const struct part *a, const struct part *b)
{
	size_t i, n = n_own_tcp(a);

	if (a->n_compatible != b->n_compatible || a->n_usb != b->n_usb ||
	    n != n_own_tcp(b) ||
	    !same_strs(a->compatible, b->compatible, a->n_compatible) ||
	    !virtual_conf_same(a->virt, b->virt))
		return false;
	for (i = 0; i < a->n_usb; i++)
		if (strcmp(a->usb[i].name, b->usb[i].name) != 0 ||
		    strcmp(a->usb[i].busid, b->usb[i].busid) != 0)
			return false;
	for (i = 0; i < n; i++)
		if (strcmp(a->tcp[i].name, b->tcp[i].name) != 0 ||
		    strcmp(a->tcp[i].host, b->tcp[i].host) != 0 ||
		    a->tcp[i].port != b->tcp[i].port)
			return false;
	return true;
}

bool config_place_same(const struct place *a, const struct place *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || a->port != b->port ||
	    a->dial_out != b->dial_out ||
	    a->n_parts != b->n_parts)
		return false;
	for (i = 0; i < a->n_parts; i++)
		if (!same_part(&a->parts[i], &b->parts[i]))
			return false;
	return true;
}

struct place *config_find_place(const struct exporter_conf *cfg,
				const char *name)
{
	for (size_t i = 0; i < cfg->n_places; i++)
		if (!strcmp(cfg->places[i]->name, name))
			return cfg->places[i];
	return NULL;
}

size_t place_n_usb(const struct place *p)
{
	size_t j, n = 0;

	for (j = 0; j < p->n_parts; j++)
		n += p->parts[j].n_usb;
	return n;
}

size_t config_n_usb(const struct exporter_conf *cfg)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->n_places; i++)
		n += place_n_usb(cfg->places[i]);
	return n;
}

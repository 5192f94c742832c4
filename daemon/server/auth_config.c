// SPDX-License-Identifier: GPL-2.0
/*
 * auth_config.c - the `auth:` section of server.yaml, with the keys of
 * not-my-board 0.13's [auth] table. YAML scalars of a permission's
 * claims become JSON values as TOML would have typed them: plain true /
 * false a boolean, plain numbers numbers, null null, anything quoted or
 * else a string; maps and lists nest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth_config.h"
#include "conf.h"
#include "url.h"

#define CLAIMS_DEPTH_MAX	8

static json_object *scalar_json(struct conf_node *n)
{
	const char *v = n->value;
	long long ll;
	double d;
	char *end;

	if (!v)
		return NULL;	/* JSON null */
	if (n->quoted)
		return json_object_new_string(v);
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		return json_object_new_boolean(1);
	if (!strcmp(v, "false") || !strcmp(v, "False") ||
	    !strcmp(v, "FALSE"))
		return json_object_new_boolean(0);
	errno = 0;
	ll = strtoll(v, &end, 10);
	if (*v && !*end && !errno)
		return json_object_new_int64(ll);
	errno = 0;
	d = strtod(v, &end);
	if (*v && !*end && !errno && strspn(v, "+-0123456789.eE") ==
	    strlen(v))
		return json_object_new_double(d);
	return json_object_new_string(v);
}

/* A claim value: *out NULL for null. Returns 0 or -EINVAL (reported). */
static int node_json(struct conf_node *n, unsigned int depth,
		     json_object **out)
{
	struct conf_node *m;
	json_object *o, *v;

	*out = NULL;
	if (depth > CLAIMS_DEPTH_MAX)
		return conf_error(n, "claims nested more than %d deep",
				  CLAIMS_DEPTH_MAX);
	n->used = true;
	if (n->type == CONF_SCALAR) {
		*out = scalar_json(n);
		if (n->value && !*out)
			return -ENOMEM;
		return 0;
	}
	o = n->type == CONF_MAP ? json_object_new_object() :
	    json_object_new_array();
	if (!o)
		return -ENOMEM;
	conf_foreach(m, n) {
		if (node_json(m, depth + 1, &v)) {
			json_object_put(o);
			return -EINVAL;
		}
		if (n->type == CONF_MAP)
			json_object_object_add(o, m->key, v);
		else
			json_object_array_add(o, v);
	}
	*out = o;
	return 0;
}

/* An issuer URL: https://HOST[:PORT][/PATH], as lib/url reads it. */
static bool issuer_ok(struct conf_node *n, const char *s)
{
	const char *why = NULL;
	struct url u;

	if (strncmp(s, "https://", 8) != 0 || url_parse(s, &u, &why) ||
	    strpbrk(s, "?#")) {
		conf_error(n, "expected an issuer URL like https://idp.example.com/realms/lab (https, no query)%s%s",
			   why ? ": " : "", why ? why : "");
		return false;
	}
	return true;
}

static int add_trusted(struct srv_auth_cfg *a, const char *iss)
{
	char **t;

	if (srv_auth_trusted(a, iss))
		return 0;
	if (a->n_trusted >= SRV_AUTH_MAX_ISSUERS)
		return -E2BIG;
	t = realloc(a->trusted, (a->n_trusted + 1) * sizeof(*t)); /* NOLINT(bugprone-sizeof-expression) */
	if (!t)
		return -ENOMEM;
	a->trusted = t;
	t[a->n_trusted] = strdup(iss);
	if (!t[a->n_trusted])
		return -ENOMEM;
	a->n_trusted++;
	return 0;
}

/* A list of strings; *out NULL-free array of n copies. */
static int str_list(struct conf_node *seq, char ***out, size_t *n)
{
	struct conf_node *m;
	const char *s;
	char **v;

	if (conf_len(seq) > SRV_AUTH_MAX_LIST)
		return conf_error(seq, "at most %d entries",
				  SRV_AUTH_MAX_LIST);
	v = calloc(conf_len(seq) + 1, sizeof(*v)); /* NOLINT(bugprone-sizeof-expression) */
	if (!v)
		return -ENOMEM;
	*out = v;
	*n = 0;
	conf_foreach(m, seq) {
		if (conf_node_str(m, &s))
			continue;
		v[*n] = strdup(s);
		if (!v[*n])
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static void parse_issuers(struct srv_auth_cfg *a, struct conf_node *map)
{
	struct conf_node *m, *seq;

	if (conf_len(map) > SRV_AUTH_MAX_ISSUERS) {
		conf_error(map, "at most %d issuers", SRV_AUTH_MAX_ISSUERS);
		return;
	}
	a->issuers = calloc(conf_len(map) + 1, sizeof(*a->issuers));
	if (!a->issuers)
		return;
	conf_foreach(m, map) {
		struct srv_auth_issuer *is = &a->issuers[a->n_issuers];

		if (m->type != CONF_MAP) {
			conf_error(m, "expected a map with show_claims and user_name_formats");
			continue;
		}
		m->used = true;
		is->url = strdup(m->key);
		if (!is->url)
			return;
		a->n_issuers++;
		seq = conf_get(m, "show_claims", CONF_SEQ, false);
		if (seq)
			str_list(seq, &is->show, &is->n_show);
		seq = conf_get(m, "user_name_formats", CONF_SEQ, false);
		if (seq)
			str_list(seq, &is->formats, &is->n_formats);
		conf_check_unknown(m);
	}
}

static void parse_permission(struct srv_auth_cfg *a, struct conf_node *p)
{
	struct claims_permission *perm = &a->perms[a->n_perms];
	struct conf_node *claims, *roles, *m;
	json_object *iss;
	const char *s;

	claims = conf_get(p, "claims", CONF_MAP, true);
	roles = conf_get(p, "roles", CONF_SEQ, true);
	conf_check_unknown(p);
	if (!claims || !roles)
		return;
	if (node_json(claims, 0, &perm->claims) || !perm->claims)
		return;
	conf_foreach(m, roles)
		if (!conf_node_str(m, &s))
			perm->roles |= claims_role_bit(s);
	a->n_perms++;
	if (!json_object_object_get_ex(perm->claims, "iss", &iss))
		return;
	m = conf_get(claims, "iss", CONF_ANY, false);
	if (!json_object_is_type(iss, json_type_string)) {
		conf_error(m, "expected an issuer URL string");
		return;
	}
	if (!issuer_ok(m, json_object_get_string(iss)))
		return;
	if (add_trusted(a, json_object_get_string(iss)) == -E2BIG)
		conf_error(m, "more than %d trusted issuers",
			   SRV_AUTH_MAX_ISSUERS);
}

struct srv_auth_cfg *srv_auth_cfg_parse(struct conf_node *node)
{
	struct conf_node *perms, *p, *issuers;
	struct srv_auth_cfg *a;
	const char *s;
	unsigned int errs;
	long long v;

	if (!node || (node->type == CONF_SCALAR && !node->value))
		return NULL;
	if (node->type != CONF_MAP) {
		conf_error(node, "expected a map with issuer, client_id and permissions");
		return NULL;
	}
	if (!node->child)
		return NULL;
	errs = conf_errors(node->conf);
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	if (!conf_str(node, "issuer", &s, true) &&
	    issuer_ok(conf_get(node, "issuer", CONF_ANY, true), s)) {
		a->issuer = strdup(s);
		if (a->issuer)
			add_trusted(a, s);
	}
	if (!conf_str(node, "client_id", &s, true)) {
		if (!s[0])
			conf_error(conf_get(node, "client_id", CONF_ANY, true),
				   "expected the OAuth client id, not empty");
		a->client_id = strdup(s);
	}
	if (!conf_path(node, "ca_file", &s, false)) {
		if (access(s, R_OK))
			conf_error(conf_get(node, "ca_file", CONF_ANY, false),
				   "cannot read %s: %s", s, strerror(errno));
		a->ca_file = strdup(s);
	}
	a->answer_s = SRV_AUTH_ANSWER_DEFAULT_S;
	if (!conf_int(node, "id_token_timeout", &v, 1, 600, false))
		a->answer_s = (unsigned int)v;
	perms = conf_get(node, "permissions", CONF_SEQ, true);
	if (conf_len(perms) > SRV_AUTH_MAX_PERMS) {
		conf_error(perms, "at most %d permissions", SRV_AUTH_MAX_PERMS);
		perms = NULL;
	}
	a->perms = calloc(conf_len(perms) + 1, sizeof(*a->perms));
	conf_foreach(p, perms) {
		if (!a->perms)
			break;
		if (p->type != CONF_MAP) {
			conf_error(p, "expected a map with claims and roles");
			continue;
		}
		p->used = true;
		parse_permission(a, p);
	}
	issuers = conf_get(node, "issuers", CONF_MAP, false);
	if (issuers)
		parse_issuers(a, issuers);
	conf_check_unknown(node);
	if (conf_errors(node->conf) != errs || !a->issuer || !a->client_id ||
	    !a->perms || (issuers && !a->issuers)) {
		if (conf_errors(node->conf) == errs)
			conf_error(node, "out of memory");
		srv_auth_cfg_free(a);
		return NULL;
	}
	return a;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void srv_auth_cfg_free(struct srv_auth_cfg *a)
{
	if (!a)
		return;
	for (size_t i = 0; a->perms && i < a->n_perms; i++)
		json_object_put(a->perms[i].claims);
	free(a->perms);
	for (size_t i = 0; a->issuers && i < a->n_issuers; i++) {
		free(a->issuers[i].url);
		free_list(a->issuers[i].show, a->issuers[i].n_show);
		free_list(a->issuers[i].formats, a->issuers[i].n_formats);
	}
	free(a->issuers);
	free_list(a->trusted, a->n_trusted);
	free(a->issuer);
	free(a->client_id);
	free(a->ca_file);
	free(a);
}

const struct srv_auth_issuer *srv_auth_issuer(const struct srv_auth_cfg *a,
					      const char *iss)
{
	for (size_t i = 0; iss && i < a->n_issuers; i++)
		if (!strcmp(a->issuers[i].url, iss))
			return &a->issuers[i];
	return NULL;
}

bool srv_auth_trusted(const struct srv_auth_cfg *a, const char *iss)
{
	for (size_t i = 0; iss && i < a->n_trusted; i++)
		if (!strcmp(a->trusted[i], iss))
			return true;
	return false;
}

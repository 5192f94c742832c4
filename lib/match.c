// SPDX-License-Identifier: GPL-2.0
/*
 * match.c - import descriptions: validation and bipartite matching.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf.h"
#include "match.h"

struct ctx {
	const char *file;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const struct conf_node *n, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const struct conf_node *n, const char *fmt,
		...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n && n->path && n->path[0])
		snprintf(c->err, c->errlen, "%s:%d: key '%s': %s", c->file,
			 n->line, n->path, msg);
	else
		snprintf(c->err, c->errlen, "%s:%d: %s", c->file,
			 n ? n->line : 1, msg);
	return -EINVAL;
}

/* libyaml's own message for a syntax error, with its line. */
static int syntax_check(struct ctx *c, const char *text)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int ret = 0, done = 0, depth = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text,
				     strlen(text));
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			snprintf(c->err, c->errlen,
				 "%s:%zu: %s; fix the YAML syntax", c->file,
				 p.problem_mark.line + 1,
				 p.problem ? p.problem : "invalid YAML");
			ret = -EINVAL;
			break;
		}
		if (ev.type == YAML_ALIAS_EVENT) {
			snprintf(c->err, c->errlen,
				 "%s:%zu: YAML aliases are not supported",
				 c->file, ev.start_mark.line + 1);
			ret = -EINVAL;
		}
		/*
		 * Stop at lib/conf's depth limit: libyaml's scanner spends
		 * time in the flow level on every token, so reading 25,000
		 * nested '[' to the end took seconds.
		 */
		if (ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (ev.type == YAML_MAPPING_END_EVENT ||
			 ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		if (depth > CONF_DEPTH_MAX) {
			snprintf(c->err, c->errlen,
				 "%s:%zu: maps and lists nested more than %d deep; flatten them",
				 c->file, ev.start_mark.line + 1,
				 CONF_DEPTH_MAX);
			ret = -EINVAL;
		}
		done = ret || ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return ret;
}

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

int match_parse_duration(const char *s, unsigned int *seconds)
{
	static const struct { char unit; unsigned int mult; } units[] = {
		{ 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 },
		{ 'm', 60 }, { 's', 1 },
	};
	const unsigned long long max = 366ULL * 86400;
	unsigned long long total = 0, v;
	size_t next = 0;	/* units go largest first, each once */
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	while (*s) {
		size_t u;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || v > max)
			return -EINVAL;
		if (!*end && next == 0) {	/* a plain number: seconds */
			total = v;
			break;
		}
		for (u = next; u < ARRAY_SIZE(units); u++)
			if (units[u].unit == *end)
				break;
		if (u == ARRAY_SIZE(units))
			return -EINVAL;
		total += v * units[u].mult;
		if (total > max)
			return -EINVAL;
		next = u + 1;
		s = end + 1;
	}
	*seconds = (unsigned int)total;
	return 0;
}

static int scalar_uint(struct ctx *c, struct conf_node *n, unsigned int min,
		       unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (n->type != CONF_SCALAR || !n->value || *n->value < '0' ||
	    *n->value > '9')
		goto bad;
	errno = 0;
	v = strtoul(n->value, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = (unsigned int)v;
	return 0;
bad:
	return fail(c, n, "expected an integer from %u to %u", min, max);
}

static int check_keys(struct ctx *c, struct conf_node *map,
		      const char *const *keys)
{
	struct conf_node *m;
	char list[128];
	size_t len = 0;

	conf_foreach(m, map) {
		const char *const *k;

		for (k = keys; *k; k++)
			if (!strcmp(m->key, *k))
				break;
		if (*k)
			continue;
		list[0] = '\0';
		for (k = keys; *k && len < sizeof(list); k++)
			len += (size_t)snprintf(list + len, sizeof(list) - len,
						"%s%s", k == keys ? "" :
						k[1] ? ", " : " or ", *k);
		return fail(c, m, "unknown key; expected %s", list);
	}
	return 0;
}

static struct conf_node *member(struct conf_node *map, const char *key)
{
	struct conf_node *m;

	conf_foreach(m, map)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

static int parse_ifaces(struct ctx *c, struct conf_node *map, bool usb,
			struct match_iface **out, size_t *nout)
{
	static const char *const usb_keys[] = { "port_num", NULL };
	static const char *const tcp_keys[] = { "local_port", NULL };
	const char *key = usb ? "port_num" : "local_port";
	struct conf_node *m, *v;
	size_t n = 0;
	int ret;

	if (!map || (map->type == CONF_SCALAR && !map->value))
		return 0;	/* "usb:" with nothing: none */
	if (map->type != CONF_MAP)
		return fail(c, map, "expected a map of interface names");
	*out = calloc(conf_len(map) + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	conf_foreach(m, map) {
		struct match_iface *i = &(*out)[n++];

		*nout = n;
		i->line = m->line;
		i->name = strdup(m->key);
		if (!i->name)
			return -ENOMEM;
		if (m->type != CONF_MAP)
			return fail(c, m, "expected {%s: N}", key);
		ret = check_keys(c, m, usb ? usb_keys : tcp_keys);
		if (ret)
			return ret;
		v = member(m, key);
		if (!v)
			return fail(c, m, "missing '%s'; add it", key);
		ret = usb ? scalar_uint(c, v, 0, MATCH_PORT_NUM_MAX, &i->port) :
			    scalar_uint(c, v, 1, 65535, &i->port);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_part(struct ctx *c, struct conf_node *n,
		      struct match_part *p)
{
	static const char *const keys[] = { "compatible", "usb", "tcp", NULL };
	struct conf_node *comp, *t;
	size_t k = 0;
	int ret;

	p->line = n->line;
	p->name = strdup(n->key);
	if (!p->name)
		return -ENOMEM;
	if (n->type != CONF_MAP)
		return fail(c, n, "expected a map with compatible, usb, tcp");
	ret = check_keys(c, n, keys);
	if (ret)
		return ret;
	comp = member(n, "compatible");
	if (!comp)
		return fail(c, n, "missing 'compatible'; add a list of tags");
	if (comp->type != CONF_SEQ)
		return fail(c, comp, "expected a list of tags");
	p->compatible = calloc(conf_len(comp) + 1, sizeof(char *));
	if (!p->compatible)
		return -ENOMEM;
	conf_foreach(t, comp) {
		if (t->type != CONF_SCALAR || !t->value)
			return fail(c, t, "expected a tag (a string)");
		p->compatible[k] = strdup(t->value);
		if (!p->compatible[k])
			return -ENOMEM;
		p->ncompatible = ++k;
	}
	ret = parse_ifaces(c, member(n, "usb"), true, &p->usb, &p->nusb);
	if (!ret)
		ret = parse_ifaces(c, member(n, "tcp"), false, &p->tcp,
				   &p->ntcp);
	return ret;
}

static int check_ports(struct ctx *c, const struct match_import *imp)
{
	for (size_t a = 0; a < imp->nparts; a++) {
		const struct match_part *pa = &imp->parts[a];

		for (size_t i = 0; i < pa->nusb + pa->ntcp; i++) {
			bool usb = i < pa->nusb;
			const struct match_iface *x = usb ? &pa->usb[i] :
					&pa->tcp[i - pa->nusb];

			for (size_t b = a; b < imp->nparts; b++) {
				const struct match_part *pb = &imp->parts[b];
				const struct match_iface *y = usb ? pb->usb :
							      pb->tcp;
				size_t ny = usb ? pb->nusb : pb->ntcp;

				for (size_t j = 0; j < ny; j++) {
					if (&y[j] == x ||
					    (b == a && &y[j] < x) ||
					    y[j].port != x->port)
						continue;
					snprintf(c->err, c->errlen,
						 "%s:%d: %s %u is used twice: by %s.%s and %s.%s; give each interface its own",
						 c->file, y[j].line,
						 usb ? "port_num" : "local_port",
						 x->port, pa->name, x->name,
						 pb->name, y[j].name);
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

static int parse_root(struct ctx *c, struct conf_node *root,
		      struct match_import *imp)
{
	static const char *const keys[] = { "parts", "auto_return",
					    "auto_return_time", NULL };
	struct conf_node *parts, *ar, *p;
	int ret;

	ret = check_keys(c, root, keys);
	if (ret)
		return ret;
	ar = member(root, "auto_return");
	/* auto_return_time: not-my-board's name for it */
	if (ar && member(root, "auto_return_time"))
		return fail(c, member(root, "auto_return_time"),
			    "auto_return_time is another name for auto_return; give one of them");
	if (!ar)
		ar = member(root, "auto_return_time");
	if (ar && (ar->type != CONF_SCALAR ||
		   match_parse_duration(ar->value, &imp->auto_return_s)))
		return fail(c, ar,
			    "expected a duration such as 3600, 90s, 30m, 1h30m, 2d or 1w (0: never)");
	parts = member(root, "parts");
	if (!parts)
		return fail(c, root, "missing key 'parts'; add a map of parts");
	if (parts->type != CONF_MAP || !conf_len(parts))
		return fail(c, parts, "expected a map of parts, at least one");
	imp->parts = calloc(conf_len(parts), sizeof(*imp->parts));
	if (!imp->parts)
		return -ENOMEM;
	conf_foreach(p, parts) {
		ret = parse_part(c, p, &imp->parts[imp->nparts++]);
		if (ret)
			return ret;
	}
	return check_ports(c, imp);
}

int match_import_parse(const char *text, const char *file,
		       struct match_import **out, char *err, size_t errlen)
{
	struct ctx c = { .file = file, .err = err, .errlen = errlen };
	struct match_import *imp;
	struct conf *cf;
	int ret;

	*out = NULL;
	err[0] = '\0';
	ret = syntax_check(&c, text);
	if (ret)
		return ret;
	cf = conf_parse_string(file, text, err, errlen);
	if (!cf)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	imp = calloc(1, sizeof(*imp));
	ret = imp ? parse_root(&c, conf_root(cf), imp) : -ENOMEM;
	conf_free(cf);
	if (ret) {
		if (ret == -ENOMEM && !err[0])
			snprintf(err, errlen, "%s: out of memory", file);
		match_import_free(imp);
		return ret;
	}
	*out = imp;
	return 0;
}

void match_import_free(struct match_import *imp)
{
	if (!imp)
		return;
	for (size_t i = 0; i < imp->nparts; i++) {
		struct match_part *p = &imp->parts[i];

		free(p->name);
		for (size_t k = 0; p->compatible && p->compatible[k]; k++)
			free(p->compatible[k]);
		free(p->compatible);
		for (size_t k = 0; k < p->nusb; k++)
			free(p->usb[k].name);
		for (size_t k = 0; k < p->ntcp; k++)
			free(p->tcp[k].name);
		free(p->usb);
		free(p->tcp);
	}
	free(imp->parts);
	free(imp);
}

/* --- matching --------------------------------------------------------- */

static bool has_string(json_object *arr, const char *s)
{
	size_t n = json_object_is_type(arr, json_type_array) ?
		   json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);

		if (json_object_is_type(o, json_type_string) &&
		    !strcmp(json_object_get_string(o), s))
			return true;
	}
	return false;
}

static bool has_ifaces(json_object *exp, const char *key,
		       const struct match_iface *ifs, size_t n)
{
	json_object *map;

	if (!n)
		return true;
	if (!json_object_object_get_ex(exp, key, &map) ||
	    !json_object_is_type(map, json_type_object))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!json_object_object_get_ex(map, ifs[i].name, NULL))
			return false;
	return true;
}

static bool part_fits(const struct match_part *imp, json_object *exp)
{
	json_object *comp;

	if (!json_object_is_type(exp, json_type_object) ||
	    !json_object_object_get_ex(exp, "compatible", &comp))
		return false;
	for (size_t i = 0; i < imp->ncompatible; i++)
		if (!has_string(comp, imp->compatible[i]))
			return false;
	return has_ifaces(exp, "usb", imp->usb, imp->nusb) &&
	       has_ifaces(exp, "tcp", imp->tcp, imp->ntcp);
}

struct bip {
	const bool *fits;	/* fits[i * ne + j] */
	size_t ni, ne;
	int *owner;		/* exported part -> imported part, -1 */
	bool *seen;
};

/* Kuhn's augmenting path from imported part i. */
static bool augment(struct bip *b, size_t i)
{
	for (size_t j = 0; j < b->ne; j++) {
		if (!b->fits[i * b->ne + j] || b->seen[j])
			continue;
		b->seen[j] = true;
		if (b->owner[j] < 0 || augment(b, (size_t)b->owner[j])) {
			b->owner[j] = (int)i;
			return true;
		}
	}
	return false;
}

bool match_place(const struct match_import *imp, json_object *place,
		 int *assign)
{
	json_object *parts;
	struct bip b = { 0 };
	bool *fits, ok = true;

	if (!json_object_object_get_ex(place, "parts", &parts) ||
	    !json_object_is_type(parts, json_type_array))
		return false;
	b.ni = imp->nparts;
	b.ne = json_object_array_length(parts);
	if (b.ni > b.ne)
		return false;
	if (!b.ni)
		return true;
	fits = calloc(b.ni * b.ne, sizeof(*fits));
	b.owner = calloc(b.ne, sizeof(*b.owner));
	b.seen = calloc(b.ne, sizeof(*b.seen));
	if (!fits || !b.owner || !b.seen) {
		ok = false;
		goto out;
	}
	for (size_t i = 0; i < b.ni; i++)
		for (size_t j = 0; j < b.ne; j++)
			fits[i * b.ne + j] = part_fits(&imp->parts[i],
					json_object_array_get_idx(parts, j));
	b.fits = fits;
	for (size_t j = 0; j < b.ne; j++)
		b.owner[j] = -1;
	for (size_t i = 0; i < b.ni && ok; i++) {
		memset(b.seen, 0, b.ne * sizeof(*b.seen));
		ok = augment(&b, i);
	}
	if (ok && assign)
		for (size_t j = 0; j < b.ne; j++)
			if (b.owner[j] >= 0)
				assign[b.owner[j]] = (int)j;
out:
	free(fits);
	free(b.owner);
	free(b.seen);
	return ok;
}

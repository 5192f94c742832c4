// SPDX-License-Identifier: GPL-2.0
/*
 * conf.c - YAML configuration tree with line numbers, and typed getters.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "conf.h"
#include "conf_alias.h"
#include "toml_hint.h"
#include "log.h"

struct conf {
	unsigned int refs;	/* holders besides the first (conf_ref) */
	char *file;
	unsigned int errors;
	struct conf_node *root;
};

static const char *const type_names[] = {
	[CONF_SCALAR] = "a scalar", [CONF_MAP] = "a map",
	[CONF_SEQ] = "a list", [CONF_ANY] = "a value",
};

int conf_error(struct conf_node *node, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	node->conf->errors++;
	if (node->path[0])
		log_err("%s:%d: key '%s': %s", node->conf->file, node->line,
			node->path, msg);
	else
		log_err("%s:%d: %s", node->conf->file, node->line, msg);
	return -EINVAL;
}

static void node_free(struct conf_node *n)
{
	while (n) {
		struct conf_node *next = n->next;

		node_free(n->child);
		free(n->key);
		free(n->value);
		free(n->path);
		free(n);
		n = next;
	}
}

static struct conf_node *node_new(struct conf *c, enum conf_type type,
				  int line, const char *path)
{
	struct conf_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->line = line;
	n->conf = c;
	n->path = strdup(path);
	if (!n->path) {
		free(n);
		return NULL;
	}
	return n;
}

static bool is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !v[0] || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

struct parser {
	struct conf *c;
	yaml_parser_t yp;
	unsigned int depth;	/* maps and lists open around the event */
	unsigned int nodes;
	char err[256];
	int err_line;
};

static int parse_fail(struct parser *p, int line, const char *msg)
{
	if (!p->err[0]) {
		snprintf(p->err, sizeof(p->err), "%.200s", msg);
		p->err_line = line;
	}
	return -EINVAL;
}

static int next_event(struct parser *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->yp, ev)) {
		snprintf(p->err, sizeof(p->err), "%s%s%s",
			 p->yp.problem ? p->yp.problem : "invalid YAML",
			 p->yp.context ? " " : "",
			 p->yp.context ? p->yp.context : "");
		p->err_line = (int)p->yp.problem_mark.line + 1;
		return -EINVAL;
	}
	return 0;
}

static int parse_node(struct parser *p, yaml_event_t *ev, const char *path,
		      struct conf_node **out);

static int parse_children(struct parser *p, struct conf_node *n)
{
	struct conf_node **tail = &n->child;
	char path[512];
	size_t idx = 0;
	yaml_event_t ev;
	int ret;

	for (;;) {
		char *key = NULL;
		int key_line = 0;

		if (next_event(p, &ev))
			return -EINVAL;
		if (ev.type == YAML_MAPPING_END_EVENT ||
		    ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (n->type == CONF_MAP) {
			if (ev.type != YAML_SCALAR_EVENT) {
				ret = parse_fail(p,
						 (int)ev.start_mark.line + 1,
						 "map keys must be plain strings");
				yaml_event_delete(&ev);
				return ret;
			}
			key = strdup((const char *)ev.data.scalar.value);
			key_line = (int)ev.start_mark.line + 1;
			yaml_event_delete(&ev);
			if (!key)
				return -ENOMEM;
			for (struct conf_node *m = n->child; m; m = m->next) {
				if (!strcmp(m->key, key)) {
					snprintf(path, sizeof(path),
						 "duplicate key '%.200s'", key);
					free(key);
					return parse_fail(p, key_line, path);
				}
			}
			snprintf(path, sizeof(path), "%s%s%s", n->path,
				 n->path[0] ? "." : "", key);
			if (next_event(p, &ev)) {
				free(key);
				return -EINVAL;
			}
		} else {
			snprintf(path, sizeof(path), "%s[%zu]", n->path, idx);
		}
		idx++;
		ret = parse_node(p, &ev, path, tail);
		if (ret) {
			free(key);
			return ret;
		}
		(*tail)->key = key;
		if (key)
			(*tail)->line = key_line;
		tail = &(*tail)->next;
	}
}

/* Consumes ev (already parsed) and the events of its content. */
static int parse_node(struct parser *p, yaml_event_t *ev, const char *path,
		      struct conf_node **out)
{
	int line = (int)ev->start_mark.line + 1;
	char msg[128];
	struct conf_node *n;
	int ret = 0;

	if (++p->nodes > CONF_NODES_MAX) {
		yaml_event_delete(ev);
		snprintf(msg, sizeof(msg),
			 "more than %d values; split the file or shorten its lists",
			 CONF_NODES_MAX);
		return parse_fail(p, line, msg);
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = node_new(p->c, CONF_SCALAR, line, path);
		if (n && !is_null(ev))
			n->value = strdup((const char *)ev->data.scalar.value);
		if (n)
			n->quoted = ev->data.scalar.style !=
				    YAML_PLAIN_SCALAR_STYLE;
		yaml_event_delete(ev);
		if (!n)
			return -ENOMEM;
		*out = n;
		return 0;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (p->depth >= CONF_DEPTH_MAX) {
			yaml_event_delete(ev);
			snprintf(msg, sizeof(msg),
				 "maps and lists nested more than %d deep; flatten them",
				 CONF_DEPTH_MAX);
			return parse_fail(p, line, msg);
		}
		n = node_new(p->c, ev->type == YAML_MAPPING_START_EVENT ?
				   CONF_MAP : CONF_SEQ, line, path);
		yaml_event_delete(ev);
		if (!n)
			return -ENOMEM;
		*out = n;
		p->depth++;
		ret = parse_children(p, n);
		p->depth--;
		return ret;
	case YAML_ALIAS_EVENT:
		yaml_event_delete(ev);
		return parse_fail(p, line, "YAML aliases are not supported");
	default:
		yaml_event_delete(ev);
		return parse_fail(p, line, "unexpected YAML event");
	}
}

static int parse_doc(struct parser *p)
{
	yaml_event_t ev;
	int ret;

	do {
		if (next_event(p, &ev))
			return -EINVAL;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;	/* empty file */
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		break;
	} while (1);
	node_free(p->c->root);
	p->c->root = NULL;
	ret = parse_node(p, &ev, "", &p->c->root);
	if (ret)
		return ret;
	if (next_event(p, &ev))
		return -EINVAL;
	if (ev.type != YAML_DOCUMENT_END_EVENT) {
		yaml_event_delete(&ev);
		return parse_fail(p, (int)ev.start_mark.line + 1,
				  "only one YAML document is allowed");
	}
	yaml_event_delete(&ev);
	if (next_event(p, &ev))
		return -EINVAL;
	ret = ev.type == YAML_STREAM_END_EVENT ? 0 :
	      parse_fail(p, (int)ev.start_mark.line + 1,
			 "only one YAML document is allowed");
	yaml_event_delete(&ev);
	return ret;
}

/*
 * Parses f or text. On failure returns NULL with errno set, and the
 * reason ("FILE:LINE: what") is written to err, or logged if err is NULL.
 */
static struct conf *load(const char *file, FILE *f, const char *text,
			 char *err, size_t errlen)
{
	struct parser p = { 0 };
	struct conf *c = calloc(1, sizeof(*c));
	char msg[512];
	int ret;

	if (c)
		c->file = strdup(file);
	if (!c || !c->file) {
		free(c);
		if (err)
			snprintf(err, errlen, "%s: out of memory while loading",
				 file);
		errno = ENOMEM;
		return NULL;
	}
	p.c = c;
	yaml_parser_initialize(&p.yp);
	if (f)
		yaml_parser_set_input_file(&p.yp, f);
	else
		yaml_parser_set_input_string(&p.yp,
					     (const unsigned char *)text,
					     strlen(text));
	ret = parse_doc(&p);
	yaml_parser_delete(&p.yp);
	if (!ret && !c->root)
		c->root = node_new(c, CONF_MAP, 1, "");
	if (!ret && !c->root)
		ret = -ENOMEM;
	if (!ret && c->root->type != CONF_MAP) {
		snprintf(p.err, sizeof(p.err),
			 "the top level must be a map of settings");
		p.err_line = c->root->line;
		ret = -EINVAL;
	}
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(msg, sizeof(msg),
				 "%s: out of memory while loading", file);
		else	/* the limits' messages bring their own advice */
			snprintf(msg, sizeof(msg), "%s:%d: %s%s", file,
				 p.err_line, p.err, strchr(p.err, ';') ? "" :
				 "; fix the YAML syntax");
		if (err)
			snprintf(err, errlen, "%s", msg);
		else
			log_err("%s", msg);
		conf_free(c);
		errno = -ret;
		return NULL;
	}
	return c;
}

struct conf *conf_load(const char *file)
{
	struct conf *c;
	FILE *f;
	int err;

	if (toml_is_toml(file)) {
		log_err("%s: %s", file, toml_advice(file));
		errno = EINVAL;
		return NULL;
	}
	f = fopen(file, "r");
	if (!f) {
		err = errno;
		if (err != ENOENT)
			log_err("%s: cannot open: %s", file, strerror(err));
		errno = err;
		return NULL;
	}
	c = load(file, f, NULL, NULL, 0);
	err = errno;
	fclose(f);
	errno = err;
	return c;
}

struct conf *conf_load_string(const char *file, const char *text)
{
	return load(file, NULL, text, NULL, 0);
}

struct conf *conf_parse_string(const char *file, const char *text,
			       char *err, size_t errlen)
{
	return load(file, NULL, text, err, errlen);
}

void conf_free(struct conf *c)
{
	if (!c || c->refs--)
		return;
	node_free(c->root);
	free(c->file);
	free(c);
}

struct conf *conf_ref(struct conf *c)
{
	c->refs++;
	return c;
}

struct conf_node *conf_root(struct conf *c)
{
	return c->root;
}

const char *conf_file(const struct conf *c)
{
	return c->file;
}

unsigned int conf_errors(const struct conf *c)
{
	return c->errors;
}

size_t conf_len(const struct conf_node *node)
{
	size_t n = 0;

	for (node = node ? node->child : NULL; node; node = node->next)
		n++;
	return n;
}

static struct conf_node *member(struct conf_node *map, const char *key,
				bool required)
{
	struct conf_node *m;

	if (!map)
		return NULL;
	if (map->type != CONF_MAP) {
		conf_error(map, "expected a map");
		map->used = true;
		return NULL;
	}
	for (m = map->child; m; m = m->next) {
		if (!strcmp(m->key, key)) {
			m->used = true;
			return m;
		}
	}
	m = conf_alias_member(map, key);
	if (m)
		return m;
	if (required) {
		map->conf->errors++;
		log_err("%s:%d: key '%s%s%s': missing; add it", map->conf->file,
			map->line, map->path, map->path[0] ? "." : "", key);
	}
	return NULL;
}

struct conf_node *conf_get(struct conf_node *map, const char *key,
			   enum conf_type type, bool required)
{
	struct conf_node *n = member(map, key, required);

	if (!n)
		return NULL;
	if (type == CONF_ANY || n->type == type)
		return n;
	if (type != CONF_SCALAR && n->type == CONF_SCALAR && !n->value)
		return NULL;	/* "key:" with nothing is an absent section */
	conf_error(n, "expected %s", type_names[type]);
	return NULL;
}

int conf_node_str(struct conf_node *n, const char **out)
{
	n->used = true;
	if (n->type != CONF_SCALAR || !n->value)
		return conf_error(n, "expected a string");
	*out = n->value;
	return 0;
}

int conf_node_int(struct conf_node *n, long long *out, long long min,
		  long long max)
{
	long long v;
	char *end;

	n->used = true;
	if (n->type != CONF_SCALAR || !n->value || !n->value[0])
		return conf_error(n, "expected an integer");
	errno = 0;
	v = strtoll(n->value, &end, 0);
	if (errno || *end)
		return conf_error(n, "expected an integer, got '%.64s'",
				  n->value);
	if (v < min || v > max)
		return conf_error(n, "expected an integer from %lld to %lld, got %lld",
				  min, max, v);
	*out = v;
	return 0;
}

int conf_node_bool(struct conf_node *n, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };

	n->used = true;
	if (n->type == CONF_SCALAR && n->value) {
		for (int i = 0; yes[i]; i++) {
			if (!strcasecmp(n->value, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcasecmp(n->value, no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return conf_error(n, "expected true or false");
}

int conf_str(struct conf_node *map, const char *key, const char **out,
	     bool required)
{
	struct conf_node *n = member(map, key, required);

	return n ? conf_node_str(n, out) : -ENOENT;
}

int conf_node_path(struct conf_node *n, const char **out)
{
	const char *v;

	n->used = true;
	if (n->type != CONF_SCALAR || !n->value)
		return conf_error(n, "expected a path such as /etc/nmb/file or ./file");
	v = n->value;
	if (!strchr(v, '/'))
		return conf_error(n, "expected a path such as /etc/nmb/file or ./file, got '%.64s'; a name without '/' is not taken as a path",
				  v);
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			return conf_error(n, "a path holds no control characters");
	if (strlen(v) >= 4096)
		return conf_error(n, "path longer than 4095 bytes");
	*out = v;
	return 0;
}

int conf_path(struct conf_node *map, const char *key, const char **out,
	      bool required)
{
	struct conf_node *n = member(map, key, required);

	return n ? conf_node_path(n, out) : -ENOENT;
}

int conf_int(struct conf_node *map, const char *key, long long *out,
	     long long min, long long max, bool required)
{
	struct conf_node *n = member(map, key, required);

	return n ? conf_node_int(n, out, min, max) : -ENOENT;
}

int conf_double(struct conf_node *map, const char *key, double *out,
		double min, double max, bool required)
{
	struct conf_node *n = member(map, key, required);
	char *end;
	double v;

	if (!n)
		return -ENOENT;
	if (n->type != CONF_SCALAR || !n->value || !n->value[0])
		return conf_error(n, "expected a number");
	errno = 0;
	v = strtod(n->value, &end);
	if (errno || *end || !isfinite(v))
		return conf_error(n, "expected a number, got '%.64s'",
				  n->value);
	if (v < min || v > max)
		return conf_error(n, "expected a number from %g to %g, got %g",
				  min, max, v);
	*out = v;
	return 0;
}

int conf_bool(struct conf_node *map, const char *key, bool *out,
	      bool required)
{
	struct conf_node *n = member(map, key, required);

	return n ? conf_node_bool(n, out) : -ENOENT;
}

int conf_check_unknown(struct conf_node *map)
{
	int n = 0;

	if (!map || map->type != CONF_MAP)
		return 0;
	for (struct conf_node *m = map->child; m; m = m->next) {
		const char *twice;

		if (m->used)
			continue;
		twice = conf_alias_conflict(map, m);
		if (twice)
			conf_error(m, "'%s' is set too; remove the deprecated '%s'",
				   twice, m->key);
		else
			conf_error(m, "unknown key; check its spelling");
		n++;
	}
	return n;
}

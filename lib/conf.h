/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conf.h - YAML configuration files (libyaml) as a small tree that keeps
 * line numbers, with typed getters that report errors an operator can act
 * on: "FILE:LINE: key 'a.b': expected <what>".
 *
 * Usage:
 *
 *	struct conf *c = conf_load("/etc/nmb/exporter.yaml");
 *	struct conf_node *root, *places, *p;
 *	const char *name;
 *	long long port;
 *
 *	if (!c)
 *		return -errno;		// already logged, with FILE:LINE
 *	root = conf_root(c);		// a map (an empty file is {})
 *	places = conf_get(root, "places", CONF_SEQ, true);
 *	conf_foreach(p, places) {	// items of a sequence or a map
 *		conf_str(p, "name", &name, true);
 *		conf_int(p, "port", &port, 1, 65535, false);  // keeps default
 *		conf_check_unknown(p);	// every key not asked for is an error
 *	}
 *	conf_check_unknown(root);
 *	if (conf_errors(c))		// every error was logged already
 *		goto fail;
 *	...strings returned stay valid until conf_free(c)...
 *
 * Getters return 0 when the key is there and well typed, -ENOENT when it is
 * absent (an error only if required), -EINVAL when it is wrong (logged and
 * counted). A NULL map is accepted and behaves as an empty one, so a missing
 * section needs no special case. Scalars are strings; conf_int/bool/double
 * convert them (YAML 1.1 booleans: true/false/yes/no/on/off).
 *
 * Limits: maps and lists nest at most CONF_DEPTH_MAX deep and a file holds
 * at most CONF_NODES_MAX values; beyond, loading fails with FILE:LINE.
 */
#ifndef NMB_CONF_H
#define NMB_CONF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The parser recurses once per nesting level, and every value costs
 * memory and a path string. Real configurations and import descriptions
 * nest fewer than 10 levels and hold a few hundred values.
 */
#define CONF_DEPTH_MAX	64
#define CONF_NODES_MAX	100000

enum conf_type { CONF_SCALAR, CONF_MAP, CONF_SEQ, CONF_ANY };

struct conf;

struct conf_node {
	enum conf_type type;
	int line;
	char *key;		/* when a member of a map */
	char *value;		/* CONF_SCALAR: the text; NULL for null/~ */
	bool quoted;		/* CONF_SCALAR: quoted, so always a string */
	char *path;		/* "places[2].name", for messages */
	bool used;		/* asked for by a getter */
	struct conf *conf;
	struct conf_node *child, *next;	/* map members / sequence items */
};

/* Loads FILE; NULL with errno set (ENOENT: no such file) and logged. */
struct conf *conf_load(const char *file);
/* Parses a string; file names it in messages. */
struct conf *conf_load_string(const char *file, const char *text);
/*
 * The same without logging: on failure NULL with errno set, and err holds
 * "FILE:LINE: what was wrong" (for answers to a peer).
 */
struct conf *conf_parse_string(const char *file, const char *text,
			       char *err, size_t errlen);
/* Drops a reference: the tree goes with the last one. */
void conf_free(struct conf *c);
/*
 * One more holder of c's strings (e.g. a place a reload keeps while the
 * rest of its file goes): each holder calls conf_free() once.
 */
struct conf *conf_ref(struct conf *c);
struct conf_node *conf_root(struct conf *c);
const char *conf_file(const struct conf *c);
/* Errors reported so far (by getters and conf_error). */
unsigned int conf_errors(const struct conf *c);

#define conf_foreach(item, node) \
	for ((item) = (node) ? (node)->child : NULL; (item); \
	     (item) = (item)->next)

/* Member key of map; NULL if absent or map is NULL. Marks it used. */
struct conf_node *conf_get(struct conf_node *map, const char *key,
			   enum conf_type type, bool required);
size_t conf_len(const struct conf_node *node);

int conf_str(struct conf_node *map, const char *key, const char **out,
	     bool required);
/*
 * A file system path: a string holding a '/' (absolute, or relative like
 * ./agent.sock), no control characters. "socket: 5" is refused.
 */
int conf_path(struct conf_node *map, const char *key, const char **out,
	      bool required);
int conf_int(struct conf_node *map, const char *key, long long *out,
	     long long min, long long max, bool required);
int conf_double(struct conf_node *map, const char *key, double *out,
		double min, double max, bool required);
int conf_bool(struct conf_node *map, const char *key, bool *out,
	      bool required);

/* Conversions of a scalar node itself (e.g. sequence items). */
int conf_node_str(struct conf_node *n, const char **out);
int conf_node_int(struct conf_node *n, long long *out, long long min,
		  long long max);
int conf_node_bool(struct conf_node *n, bool *out);
int conf_node_path(struct conf_node *n, const char **out);

/* Reports every member of map that no getter asked for. Returns count. */
int conf_check_unknown(struct conf_node *map);

/* Logs "FILE:LINE: key 'PATH': MESSAGE" and counts it. Returns -EINVAL. */
int conf_error(struct conf_node *node, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* NMB_CONF_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * conf_test.c - unit tests of lib/conf: tree, typed getters, and the
 * FILE:LINE: key 'a.b' error messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "tap.h"

static char logbuf[4096];

/* Runs with stderr sent to a file, then reads what was logged. */
static FILE *errf;

static void capture_start(void)
{
	fflush(stderr);
	errf = tmpfile();
	dup2(fileno(errf), 2);
}

static const char *capture_end(void)
{
	size_t n;

	fflush(stderr);
	rewind(errf);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, errf);
	logbuf[n] = 0;
	fclose(errf);
	return logbuf;
}

static const char doc[] =
	"listen:\n"
	"  - \"[::]:2092\"\n"
	"  - address: 127.0.0.1:2093\n"
	"    plain: yes\n"
	"grace: 30\n"
	"tls:\n"
	"  cert: /etc/nmb/cert.pem\n"
	"tolerance: 0.5\n"
	"empty:\n";

/* "a: " then depth nested flow lists, e.g. depth 2: "a: [[1]]" */
static char *nested(int depth)
{
	char *t = malloc(3 + 2 * (size_t)depth + 3);
	int i;

	strcpy(t, "a: ");
	for (i = 0; i < depth; i++)
		t[3 + i] = '[';
	t[3 + depth] = '1';
	for (i = 0; i < depth; i++)
		t[4 + depth + i] = ']';
	strcpy(t + 4 + (size_t)2 * depth, "\n");
	return t;
}

static void test_limits(void)
{
	char err[256] = "", *t;
	struct conf *c;
	size_t i;

	t = nested(CONF_DEPTH_MAX - 1);	/* the map at the top is one level */
	c = conf_parse_string("d.yaml", t, err, sizeof(err));
	ok(c, "%d nested levels load", CONF_DEPTH_MAX);
	conf_free(c);
	free(t);
	t = nested(CONF_DEPTH_MAX);
	c = conf_parse_string("d.yaml", t, err, sizeof(err));
	ok(!c && errno == EINVAL &&
	       strstr(err, "d.yaml:1: maps and lists nested more than 64 deep"),
	       "%d nested levels refused with FILE:LINE: %s",
	       CONF_DEPTH_MAX + 1, err);
	free(t);
	t = nested(100000);
	c = conf_parse_string("e.yaml", t, err, sizeof(err));
	ok(!c && strstr(err, "e.yaml:1: maps and lists nested"),
	       "100,000 nested levels refused, no stack overflow");
	free(t);
	/* "a: [0,0,...]" with CONF_NODES_MAX items: one value too many */
	t = malloc(8 + 2 * (size_t)CONF_NODES_MAX);
	strcpy(t, "a: [");
	for (i = 0; i < CONF_NODES_MAX; i++)
		strcpy(t + 4 + 2 * i, "0,");
	strcpy(t + 4 + 2 * i - 1, "]\n");
	c = conf_parse_string("f.yaml", t, err, sizeof(err));
	ok(!c && strstr(err, "f.yaml:1: more than 100000 values"),
	       "more than %d values refused: %s", CONF_NODES_MAX, err);
	t[4 + 2 * (CONF_NODES_MAX - 2) - 1] = ']';	/* root, a, items */
	t[4 + 2 * (CONF_NODES_MAX - 2)] = 0;
	c = conf_parse_string("f.yaml", t, err, sizeof(err));
	ok(c && conf_len(conf_get(conf_root(c), "a", CONF_SEQ, true)) ==
		    CONF_NODES_MAX - 2, "%d values load", CONF_NODES_MAX);
	conf_free(c);
	free(t);
}

int main(void)
{
	struct conf_node *root, *listen, *item, *tls;
	const char *s = NULL, *log;
	long long v = 0;
	double d = 0;
	bool b = false;
	struct conf *c;
	int saved = dup(2), ret;

	nmb_log_init("conf_test", LOG_ERR);
	printf("TAP version 13\n");
	c = conf_load_string("t.yaml", doc);
	ok(c != NULL, "valid document loads");
	root = conf_root(c);
	listen = conf_get(root, "listen", CONF_SEQ, true);
	ok(listen && conf_len(listen) == 2 && listen->line == 1,
	       "sequence with its length and line");
	item = listen->child;
	ok(!conf_node_str(item, &s) && !strcmp(s, "[::]:2092") &&
	       item->line == 2, "scalar item, quoted, line 2");
	item = item->next;
	ok(!conf_str(item, "address", &s, true) &&
	       !strcmp(s, "127.0.0.1:2093") && !conf_bool(item, "plain", &b,
							  false) && b,
	       "map inside a sequence; yes is true");
	ok(!conf_int(root, "grace", &v, 0, 3600, true) && v == 30,
	       "integer");
	ok(!conf_double(root, "tolerance", &d, 0, 1, true) && d == 0.5,
	       "double");
	ok(conf_get(root, "empty", CONF_MAP, false) == NULL &&
	       conf_errors(c) == 0, "empty section is absent, no error");
	ok(conf_int(root, "nothere", &v, 0, 1, false) == -ENOENT &&
	       conf_errors(c) == 0, "optional missing key: -ENOENT");

	capture_start();
	tls = conf_get(root, "tls", CONF_MAP, true);
	ret = conf_int(tls, "cert", &v, 0, 10, false);
	conf_check_unknown(root);
	conf_str(tls, "key", &s, true);
	log = capture_end();
	dup2(saved, 2);
	ok(ret == -EINVAL, "wrong type: -EINVAL");
	ok(strstr(log, "t.yaml:7: key 'tls.cert': expected an integer") != NULL,
	       "message names file, line and key path");
	ok(strstr(log, "t.yaml:6: key 'tls.key': missing") != NULL,
	       "missing required key is reported at its map");
	ok(conf_errors(c) == 2, "every error counted (%u)",
	       conf_errors(c));
	conf_free(c);

	capture_start();
	c = conf_load_string("u.yaml", "a: 1\nb: 2\nc: {d: 3}\n");
	root = conf_root(c);
	conf_int(root, "a", &v, 0, 0, true);
	conf_get(root, "c", CONF_MAP, false);
	conf_check_unknown(root);
	conf_check_unknown(conf_get(root, "c", CONF_MAP, false));
	log = capture_end();
	dup2(saved, 2);
	ok(strstr(log, "u.yaml:1: key 'a': expected an integer from 0 to 0, got 1") &&
	       strstr(log, "u.yaml:2: key 'b': unknown key") &&
	       strstr(log, "u.yaml:3: key 'c.d': unknown key"),
	       "range and unknown keys reported");
	conf_free(c);

	capture_start();
	c = conf_load_string("v.yaml", "a: 1\n  b: [\n");
	log = capture_end();
	dup2(saved, 2);
	ok(!c && errno == EINVAL && strstr(log, "v.yaml:2:"),
	       "syntax error reported with its line");
	capture_start();
	c = conf_load_string("w.yaml", "a: 1\na: 2\n");
	log = capture_end();
	dup2(saved, 2);
	ok(!c && strstr(log, "w.yaml:2: duplicate key 'a'"),
	       "duplicate key rejected");
	c = conf_load_string("x.yaml", "");
	ok(c && conf_root(c)->type == CONF_MAP && !conf_len(conf_root(c)),
	       "empty file is an empty map");
	conf_free(c);
	c = conf_load("/nonexistent/nmb.yaml");
	ok(!c && errno == ENOENT, "missing file: ENOENT");
	test_limits();
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * conf.c - fuzz target: lib/conf, the YAML tree of every configuration
 * file, and its typed getters on whatever the tree holds.
 */
#include "conf.h"
#include "fuzz.h"

static void walk(struct conf_node *n)
{
	struct conf_node *m;
	long long i;
	double d;
	bool b;
	const char *s;

	conf_foreach(m, n) {
		if (m->type != CONF_SCALAR) {
			walk(m);
			continue;
		}
		conf_node_str(m, &s);
		conf_node_int(m, &i, -1000, 1000);
		conf_node_bool(m, &b);
		if (m->key && n->type == CONF_MAP)
			conf_double(n, m->key, &d, -1, 1e9, false);
	}
	conf_check_unknown(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	char *text = fuzz_strdup(data, size);
	struct conf *c;
	char err[256];

	if (!init) {
		fuzz_log_init("fuzz-conf");
		init = true;
	}
	c = conf_parse_string("fuzz.yaml", text, err, sizeof(err));
	if (c) {
		struct conf_node *root = conf_root(c);

		walk(root);
		conf_get(root, "places", CONF_SEQ, false);
		conf_errors(c);
	}
	conf_free(c);
	free(text);
	return 0;
}

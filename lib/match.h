/* SPDX-License-Identifier: GPL-2.0 */
/*
 * match.h - import descriptions (Documentation/agent-api.rst): YAML
 * parsing with FILE:LINE: key errors, and the matching of not-my-board:
 * each imported part takes a different exported part whose compatible
 * tags and interface names include its own (bipartite matching).
 * Shared by nmb-agent (reserve, search) and nmbctl.
 *
 *	struct match_import *imp;
 *	char err[512];
 *
 *	if (match_import_parse(yaml_text, "demo.yaml", &imp, err, sizeof(err)))
 *		...err: "demo.yaml:7: key 'parts.board.usb.serial.port_num':
 *		   expected an integer from 0 to 255"
 *	int assign[imp->nparts];
 *	if (match_place(imp, place_json, assign))
 *		...imported part i uses exported part assign[i] of the
 *		   place's "parts" array (server JSON form, wire note §1)
 *	match_import_free(imp);
 */
#ifndef NMB_MATCH_H
#define NMB_MATCH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define MATCH_PORT_NUM_MAX	255

struct match_iface {
	char *name;
	unsigned int port;	/* usb: port_num; tcp: local_port */
	int line;
};

struct match_part {
	char *name;
	char **compatible;
	size_t ncompatible;
	struct match_iface *usb, *tcp;
	size_t nusb, ntcp;
	int line;
};

struct match_import {
	struct match_part *parts;
	size_t nparts;
	unsigned int auto_return_s;	/* 0: none */
};

/*
 * Parses and validates an import description. file names it in
 * messages. Returns 0, -EINVAL with the first error in err, or -ENOMEM.
 */
int match_import_parse(const char *text, const char *file,
		       struct match_import **out, char *err, size_t errlen);
void match_import_free(struct match_import *imp);

/*
 * Parses a duration: an integer of seconds, or numbers each followed by
 * a unit, w, d, h, m, s, largest first ("90s", "30m", "1h30m", "1w");
 * "0" is 0. At most 366 days. Returns 0 or -EINVAL.
 */
int match_parse_duration(const char *s, unsigned int *seconds);

/*
 * True if every imported part can take a different exported part of
 * place (a JSON object with "parts"). assign (imp->nparts entries, may
 * be NULL) receives the exported part index of each imported part.
 */
bool match_place(const struct match_import *imp, json_object *place,
		 int *assign);

#endif /* NMB_MATCH_H */

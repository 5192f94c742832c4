/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - exporter.yaml, read and checked completely (config.c): the
 * hub settings and the places.
 */
#ifndef NMB_EXPORTER_CONFIG_H
#define NMB_EXPORTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "place.h"

struct conf;

/* state_dir when exporter.yaml and systemd ($STATE_DIRECTORY) name none */
#define DEFAULT_STATE_DIR	"/var/lib/nmb-exporter"

struct exporter_conf {
	struct conf *conf;		/* owns the strings below */
	const char *server;
	const char *token;
	const char *proxy;		/* proxy: key, NULL: the environment */
	const char *token_cmd;		/* get_id_token runs it, or NULL */
	const char *token_store;	/* else this store (NULL: default) */
	const char *ca_file;
	const char *state_dir;		/* sessions.json lives there */
	const char *metrics_listen;	/* NULL: no /metrics listener */
	bool tls_verify;
	struct place **places;
	size_t n_places;
};

/*
 * Loads and checks file; every error is logged as FILE:LINE: key, and
 * -EINVAL returned after a count of them (the caller says what it keeps).
 */
int config_load(const char *file, struct exporter_conf *cfg);
void config_free(struct exporter_conf *cfg);
/* Frees one place of a configuration (after config_take_place). */
void config_place_free(struct place *p);
/* The register_place description of §5. */
json_object *config_place_desc(const struct place *p);
/* Same description, same emulated board: a reload keeps the place. */
bool config_place_same(const struct place *a, const struct place *b);
/* The place of cfg named name, or NULL. */
struct place *config_find_place(const struct exporter_conf *cfg,
				const char *name);
/* The number of USB interfaces in every place of cfg. */
size_t config_n_usb(const struct exporter_conf *cfg);

#endif /* NMB_EXPORTER_CONFIG_H */

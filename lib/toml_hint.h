/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toml_hint.h - not-my-board's configuration and import description files
 * are TOML; nmb reads YAML. Given a .toml file, the daemons and nmbctl
 * refuse it with one message that names the converter of the Python
 * package: "convert it with: nmb-from-toml FILE > NEW.yaml".
 */
#ifndef NMB_TOML_HINT_H
#define NMB_TOML_HINT_H

#include <stdbool.h>

/* FILE's name ends in .toml (any case). */
bool toml_is_toml(const char *file);

/*
 * The advice for FILE, without the file name in front: "this is a TOML
 * file (not-my-board's format) and nmb reads YAML; convert it with:
 * nmb-from-toml FILE > FILE-without-.toml.yaml". A static buffer.
 */
const char *toml_advice(const char *file);

#endif /* NMB_TOML_HINT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * claims.h - what a validated ID token's claims grant and how its user
 * is named (issue 15): not-my-board 0.13's `auth.permissions`,
 * `user_name_formats` and `show_claims` as pure functions on json-c
 * objects (the claims returned by jwt_verify_token()).
 *
 * Differences from not-my-board, on purpose (each marked "nmb:" below):
 *  1. A configured array R requires the token's array T to contain
 *     every value of R (T ⊇ R), as not-my-board's documentation says.
 *     not-my-board refuses only when set(T) is a proper subset of R, so
 *     ["a", "z"] and even ["x"] pass R = ["a", "b"] / ["a"] there.
 *  2. An array T holding objects or arrays: not-my-board raises an
 *     error (unhashable); nmb compares its members by value, so such a
 *     member can only match an equal configured one.
 *  3. A user name holding a control character (from a raw string
 *     claim), or longer than CLAIMS_NAME_MAX bytes, makes its template
 *     fail (it would reach log lines and `nmbctl who` as it is).
 *  4. When even the fallback ${sub}@${iss} cannot be formatted (the
 *     token lacks them; jwt_verify_token() refuses such tokens anyway)
 *     not-my-board raises; nmb returns -ENOENT and the caller uses the
 *     connection number, as for a connection without a token.
 * Python's value printing (True, 42, 1.5, ['a', 'b'], {'k': None}) is
 * reproduced for JSON values; str()/repr() of strings with non-ASCII
 * characters that Python deems unprintable (other than C1 controls,
 * which are escaped) may differ.
 */
#ifndef NMB_CLAIMS_H
#define NMB_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* The roles nmb checks; other role names are accepted and ignored. */
#define CLAIMS_ROLE_EXPORTER	(1u << 0)	/* register_place */
#define CLAIMS_ROLE_IMPORTER	(1u << 1)	/* reserve, return, ... */

/* Longest user name, in bytes. */
#define CLAIMS_NAME_MAX		256

/* The bit of a role name ("exporter", "importer"); 0 for any other. */
unsigned int claims_role_bit(const char *name);

/* One entry of auth.permissions. */
struct claims_permission {
	json_object *claims;	/* object: claim name -> configured value */
	unsigned int roles;	/* CLAIMS_ROLE_* granted when all match */
};

/*
 * Whether the token's claim value have satisfies the configured value
 * want (have NULL: the claim is missing, which never satisfies):
 *  - want an array R: have must be an array T containing, for every
 *    member of R, an equal member (nmb: differences 1 and 2 above);
 *  - want anything else: have must be equal under Python's rules:
 *    numbers and booleans by value (1 == 1.0 == true, 0 == false),
 *    strings byte for byte, null only to null, objects by their keys
 *    and values, arrays in order (inside objects only).
 */
bool claims_value_matches(json_object *want, json_object *have);

/*
 * The roles token grants under perms, in order: each permission whose
 * claims all match adds its roles (a permission adding no new role is
 * skipped, as in not-my-board). A permission without "iss" requires
 * iss == default_iss (auth.issuer) when default_iss is not NULL.
 */
unsigned int claims_roles(const struct claims_permission *perms, size_t n,
			  json_object *token, const char *default_iss);

/*
 * Formats one user_name_formats template with the token's claims:
 * $name or ${name} (name: [_A-Za-z][_A-Za-z0-9]*) replaced by the claim
 * printed as Python's str() would; $$ gives $. A missing claim or any
 * other $ fails. Returns 0 and a malloc'ed *out, -EINVAL (template
 * fails, nmb: difference 3 included) or -ENOMEM.
 */
int claims_format(const char *tmpl, json_object *token, char **out);

/*
 * The user's name: the first of formats[0..n) that formats, else
 * "${sub}@${iss}". Returns 0 and a malloc'ed *name, -ENOENT if nothing
 * formats (nmb: difference 4), or -ENOMEM.
 */
int claims_user_name(const char *const *formats, size_t n,
		     json_object *token, char **name);

/*
 * show_claims: a new object with the token's claims named in
 * show[0..n), in the token's order; show NULL (show_claims unset) keeps
 * all of them, n 0 with show not NULL (show_claims = []) none. NULL
 * when out of memory. The caller json_object_put()s it.
 */
json_object *claims_show(json_object *token, const char *const *show,
			 size_t n);

#endif /* NMB_CLAIMS_H */

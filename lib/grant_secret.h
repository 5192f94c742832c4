/* SPDX-License-Identifier: GPL-2.0 */
/*
 * grant_secret.h - the per-reservation secret of the data plane
 * (Documentation/protocol.rst, "Per-reservation secrets"): minted by
 * nmb-server at each grant, given to the agent in the reserve result
 * and to the exporter in set_allowed_ips, sent by the agent as
 * "Proxy-Authorization: Bearer SECRET" on every CONNECT.
 *
 * A secret is 32 random bytes (getrandom) in base64url without padding:
 * 43 characters of [A-Za-z0-9_-]. It is a credential: never logged,
 * never in metrics or --json output.
 */
#ifndef NMB_GRANT_SECRET_H
#define NMB_GRANT_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define GRANT_SECRET_BYTES	32
#define GRANT_SECRET_LEN	43	/* base64url of 32 bytes, no '=' */
#define GRANT_SECRET_SIZE	(GRANT_SECRET_LEN + 1)

/* A fresh secret into out (GRANT_SECRET_SIZE bytes): 0 or -errno. */
int grant_secret_mint(char out[GRANT_SECRET_SIZE]);

/* Is s a well-formed secret (43 base64url characters)? */
bool grant_secret_valid(const char *s);

/*
 * Do the len bytes at s equal the secret want? In time that depends on
 * len and the length of want only, never on where they differ.
 */
bool grant_secret_equal(const char *want, const char *s, size_t len);

#endif /* NMB_GRANT_SECRET_H */
